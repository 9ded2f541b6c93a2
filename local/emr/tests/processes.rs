//! A step is a process group, and no process of it outlives the step: not after
//! TerminateJobFlows, CancelSteps, the step's own end, the endpoint's shutdown, nor the
//! endpoint being killed by SIGKILL. Read from /proc.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_sdk_emr::config::retry::RetryConfig;
use aws_sdk_emr::types::{ActionOnFailure, JobFlowInstancesConfig, StepState};
use common::{
    assert_group_ends, client, failure_details, group_members, read_group, shell_step,
    sleeper_script, started_group, Harness, WAIT,
};
use emrflow_vocabulary::logs::LogStream;

/// A waiting cluster running one step with [`sleeper_script`] (`ending` once the sleep has
/// started): the cluster's id, the step's id, and the file the step writes its group to.
async fn sleeper_step(harness: &Harness, ending: &str) -> (String, String, PathBuf) {
    let cluster_id = harness.run_cluster("processes", vec![]).await;
    let marker = harness.root.path().join("pgid");
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![shell_step(
                "sleeper",
                ActionOnFailure::Continue,
                &sleeper_script(&marker, ending),
            )],
        )
        .await;
    (cluster_id, ids[0].clone(), marker)
}

#[tokio::test]
async fn given_a_step_with_a_background_child_when_the_cluster_terminates_then_no_process_remains()
{
    let harness = Harness::start().await;
    // GIVEN a running step whose shell started `sleep 600 &` and waits
    let (cluster_id, _, marker) = sleeper_step(&harness, "wait").await;
    let pgid = started_group(&marker).await;
    // WHEN the cluster is terminated
    harness.terminate(&cluster_id, WAIT).await;
    // THEN by the time it is TERMINATED, no process of the step's group is left
    assert_eq!(group_members(pgid), Vec::<String>::new());
}

#[tokio::test]
async fn given_a_running_step_when_it_is_cancelled_then_its_whole_group_ends() {
    let harness = Harness::start().await;
    // GIVEN a running step whose shell started `sleep 600 &` and waits
    let (cluster_id, step_id, marker) = sleeper_step(&harness, "wait").await;
    let pgid = started_group(&marker).await;
    // WHEN the running step is cancelled
    harness
        .client
        .cancel_steps()
        .cluster_id(&cluster_id)
        .step_ids(&step_id)
        .send()
        .await
        .expect("CancelSteps");
    // THEN it ends CANCELLED with its background child gone too
    let step = harness.wait_step_done(&cluster_id, &step_id, WAIT).await;
    assert_eq!(
        step.status.and_then(|s| s.state),
        Some(StepState::Cancelled)
    );
    assert_eq!(group_members(pgid), Vec::<String>::new());
}

#[tokio::test]
async fn given_a_step_that_fails_leaving_a_child_behind_when_it_ends_then_the_child_ends_too() {
    let harness = Harness::start().await;
    // GIVEN a step whose shell starts `sleep 600 &` and exits 3 without waiting for it
    let (cluster_id, step_id, marker) = sleeper_step(&harness, "exit 3").await;
    // WHEN the step is FAILED
    let step = harness.wait_step_done(&cluster_id, &step_id, WAIT).await;
    assert_eq!(step.status.and_then(|s| s.state), Some(StepState::Failed));
    // THEN the child it left is gone
    assert_eq!(group_members(read_group(&marker)), Vec::<String>::new());
}

#[tokio::test]
async fn given_a_step_killed_by_a_signal_when_described_then_the_signal_is_named_once() {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("signal", vec![]).await;
    // WHEN a step's process is killed by SIGKILL (not by the local EMR)
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![shell_step(
                "killed",
                ActionOnFailure::Continue,
                "kill -KILL $$",
            )],
        )
        .await;
    let step = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    // THEN it FAILED, the reason names the signal, and no message repeats it
    let details = failure_details(&step);
    assert_eq!(
        details.reason.as_deref(),
        Some("Step failed: the process was killed by SIGKILL")
    );
    assert_eq!(details.message, None);
    // AND the controller log says it in words
    let controller = harness.step_log(&cluster_id, &ids[0], LogStream::Controller);
    assert!(
        controller.contains("The process was killed by SIGKILL"),
        "{controller}"
    );
    assert!(
        controller.contains("Args: bash -c 'kill -KILL $$'"),
        "{controller}"
    );
}

#[tokio::test]
async fn given_a_running_step_when_the_endpoint_shuts_down_then_its_group_ends() {
    let harness = Harness::start().await;
    // GIVEN a running step whose shell started `sleep 600 &` and waits
    let (_, _, marker) = sleeper_step(&harness, "wait").await;
    let pgid = started_group(&marker).await;
    // WHEN the endpoint shuts down
    let common::Harness { server, root, .. } = harness;
    server.shutdown();
    // THEN the step's group ends (SIGTERM at once, SIGKILL after the grace)
    assert_group_ends(pgid, WAIT).await;
    drop(root);
}

/// The local EMR as a process of its own, with one running step whose shell started
/// `sleep 600 &`: the endpoint, its stderr, and the step's process group.
struct SeparateEndpoint {
    process: std::process::Child,
    pgid: i32,
    cluster_id: String,
    _root: tempfile::TempDir,
}

impl SeparateEndpoint {
    async fn start_with_a_running_step() -> Self {
        let root = tempfile::tempdir().expect("root");
        let mut process = Command::new(env!("CARGO_BIN_EXE_emrflow-local-emr"))
            .arg("127.0.0.1:0")
            .arg(root.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("endpoint starts");
        let mut first_line = String::new();
        BufReader::new(process.stdout.take().expect("stdout"))
            .read_line(&mut first_line)
            .expect("address line");
        let url = first_line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .expect("address")
            .to_string();
        let client = client(&url, RetryConfig::standard());
        let cluster_id = client
            .run_job_flow()
            .name("separate endpoint")
            .instances(
                JobFlowInstancesConfig::builder()
                    .keep_job_flow_alive_when_no_steps(true)
                    .build(),
            )
            .send()
            .await
            .expect("RunJobFlow")
            .job_flow_id
            .expect("id");
        let marker = root.path().join("pgid");
        client
            .add_job_flow_steps()
            .job_flow_id(&cluster_id)
            .steps(shell_step(
                "waits",
                ActionOnFailure::Continue,
                &sleeper_script(&marker, "wait"),
            ))
            .send()
            .await
            .expect("AddJobFlowSteps");
        let pgid = started_group(&marker).await;
        SeparateEndpoint {
            process,
            pgid,
            cluster_id,
            _root: root,
        }
    }
}

#[tokio::test]
async fn given_a_running_step_when_the_endpoint_process_is_killed_then_its_group_ends() {
    // GIVEN the local EMR as a process of its own, running a step with a background child
    let mut endpoint = SeparateEndpoint::start_with_a_running_step().await;
    // WHEN the endpoint is killed by SIGKILL (no chance to clean up)
    endpoint.process.kill().expect("SIGKILL");
    endpoint.process.wait().expect("reaped");
    // THEN the step's group ends anyway (the watcher, and PR_SET_PDEATHSIG on its leader)
    assert_group_ends(endpoint.pgid, Duration::from_secs(15)).await;
}

#[tokio::test]
async fn given_a_running_step_when_the_endpoint_gets_sigterm_then_it_terminates_its_cluster_and_says_so(
) {
    let endpoint = SeparateEndpoint::start_with_a_running_step().await;
    // WHEN the endpoint gets SIGTERM
    let pid = i32::try_from(endpoint.process.id()).expect("pid");
    // SAFETY: signals the endpoint process this test started.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let output = endpoint.process.wait_with_output().expect("exits");
    // THEN it exits cleanly, naming the cluster it terminated, with no step process left
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "stopped by SIGTERM: terminated 1 local cluster(s) {}",
            endpoint.cluster_id
        )),
        "{stderr}"
    );
    assert_eq!(group_members(endpoint.pgid), Vec::<String>::new());
}

/// Alive = /proc entry exists and is not a zombie (reaping depends on the container's init).
fn process_alive(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .map(|rest| !rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
        Err(_) => false,
    }
}

#[tokio::test]
async fn given_a_step_with_child_processes_when_the_cluster_terminates_then_the_whole_tree_is_killed(
) {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("tree", vec![]).await;
    let pid_file = harness.emr().s3_root().join("grandchild.pid");
    // GIVEN a step whose child starts a grandchild (like spark-submit starting a JVM)
    let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![shell_step("tree", ActionOnFailure::Continue, &script)],
        )
        .await;
    let deadline = std::time::Instant::now() + WAIT;
    while !pid_file.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "grandchild never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let pid = std::fs::read_to_string(&pid_file)
        .expect("pid")
        .trim()
        .to_string();
    assert!(process_alive(&pid));
    // WHEN the cluster is terminated
    harness
        .client
        .terminate_job_flows()
        .job_flow_ids(&cluster_id)
        .send()
        .await
        .expect("terminate");
    // THEN the step is INTERRUPTED and the grandchild is gone too
    let step = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    assert_eq!(
        step.status.and_then(|s| s.state),
        Some(StepState::Interrupted)
    );
    let deadline = std::time::Instant::now() + WAIT;
    while process_alive(&pid) {
        assert!(
            std::time::Instant::now() < deadline,
            "grandchild {pid} survived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
