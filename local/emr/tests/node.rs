//! A cluster's node: a running step's logs are readable live where `live_step_log` says, and
//! nothing of the node is left once the cluster has terminated — even when the local EMR is
//! stopped right after the termination began.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_emr::types::{ActionOnFailure, StepState};
use common::{shell_step, Harness, WAIT};
use emrflow_local_emr::{live_step_log, ClusterState, LogStream};

/// Waits until `done` holds, or fails naming `what`.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn given_a_running_step_when_its_live_log_is_read_then_it_holds_what_was_written_so_far() {
    // GIVEN a step that writes a line, then waits for a go file
    let harness = Harness::start().await;
    let go = harness.root.path().join("go");
    let cluster_id = harness.run_cluster("live", vec![]).await;
    let script = format!(
        "echo 'read 42 rows'\necho 'a warning' >&2\nwhile [ ! -e {} ]; do sleep 0.02; done\necho done",
        go.display()
    );
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![shell_step("live", ActionOnFailure::Continue, &script)],
        )
        .await;
    let root = harness.emr().root().to_path_buf();
    let stdout = live_step_log(&root, &cluster_id, &ids[0], LogStream::Stdout);
    // WHEN it runs THEN its stdout and stderr are there, plain, as written so far
    until("the live stdout", || {
        std::fs::read_to_string(&stdout).is_ok_and(|text| text == "read 42 rows\n")
    })
    .await;
    assert_eq!(
        harness.step_state(&cluster_id, &ids[0]).await,
        StepState::Running
    );
    let stderr = live_step_log(&root, &cluster_id, &ids[0], LogStream::Stderr);
    assert_eq!(
        std::fs::read_to_string(&stderr).ok().as_deref(),
        Some("a warning\n")
    );
    assert!(live_step_log(&root, &cluster_id, &ids[0], LogStream::Controller).is_file());
    // AND once it ended under a LogUri, the logs are gzipped there and the live ones gone
    std::fs::write(&go, "").expect("go");
    harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    assert_eq!(
        harness.step_log(&cluster_id, &ids[0], LogStream::Stdout),
        "read 42 rows\ndone\n"
    );
    assert!(!stdout.exists() && !stderr.exists());
}

#[tokio::test]
async fn given_a_terminated_cluster_then_neither_its_work_folder_nor_empty_log_folders_remain() {
    // GIVEN a cluster (LogUri set) whose step ran
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("tidy", vec![]).await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![shell_step(
                "work",
                ActionOnFailure::Continue,
                "echo hi > out.txt",
            )],
        )
        .await;
    harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    let root = harness.emr().root().to_path_buf();
    assert!(root.join("work").join(&cluster_id).is_dir());
    // WHEN it terminates
    harness.terminate(&cluster_id, WAIT).await;
    // THEN its work folder and the node's emptied log folders are gone; its logs stay
    assert!(!root.join("work").join(&cluster_id).exists());
    assert!(!root.join("logs").join(&cluster_id).exists());
    assert!(harness
        .log_dir(&cluster_id, &ids[0])
        .join("stdout.gz")
        .is_file());
}

#[tokio::test]
async fn given_a_terminating_cluster_when_the_local_emr_stops_then_stop_returns_once_it_is_tidy() {
    // GIVEN a local EMR with a long TERMINATING phase, and a cluster whose step ran
    let harness = Harness::start_with(|mut config| {
        config.timings.terminate = Duration::from_millis(300);
        config
    })
    .await;
    let cluster_id = harness.run_cluster("stopped", vec![]).await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![shell_step("work", ActionOnFailure::Continue, "true")],
        )
        .await;
    harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    let root = harness.emr().root().to_path_buf();
    // WHEN its termination begins and the endpoint is stopped at once (as `local run` does)
    harness
        .client
        .terminate_job_flows()
        .job_flow_ids(&cluster_id)
        .send()
        .await
        .expect("TerminateJobFlows");
    let Harness {
        root: _kept,
        server,
        ..
    } = harness;
    let emr = server.emr.clone();
    server.stop().await;
    // THEN by the time stop returned the cluster had ended and left no work folder behind
    let cluster = emr.inspect().cluster(&cluster_id).expect("cluster");
    assert_eq!(cluster.state, ClusterState::Terminated);
    assert!(!root.join("work").join(&cluster_id).exists());
}
