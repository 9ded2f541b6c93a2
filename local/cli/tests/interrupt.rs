//! Stopping `emrflow local run` while a step runs: Ctrl-C (SIGINT) aborts the execution, the
//! reaper cancels the step and terminates the cluster, and nothing is left running — and the
//! same through `emrflow start --local` / `emrflow stop --local` (SIGTERM).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use emrflow_executions::{ExecutionStatus, Executions, LocalExecutions};
use emrflow_local_emr::{LocalEmr, LocalEmrConfig, StepState, Timings};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(90);

/// A pipeline of one step that records its pid and then hangs, in `dir`.
fn hanging_pipeline(dir: &Path, s3_root: &Path) -> PathBuf {
    let script = s3_root.join("jobs/hang.sh");
    std::fs::create_dir_all(script.parent().expect("folder")).expect("jobs folder");
    let pid_file = dir.join("step.pid");
    std::fs::write(
        &script,
        format!(
            "#!/usr/bin/env bash\necho 'hanging for good'\necho $$ > {}\nexec sleep 300\n",
            pid_file.display()
        ),
    )
    .expect("script");
    let pipeline = json!({
        "Name": "interrupted", "PollIntervalSeconds": 1,
        "Cluster": {"ReleaseLabel": "emr-7.5.0", "Applications": ["Hadoop"],
            "ServiceRole": "EMR_DefaultRole", "JobFlowRole": "EMR_EC2_DefaultRole",
            "LogUri": "s3://logs/emr/",
            "InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]},
        "Steps": [{"Name": "hang", "Type": "Script", "Script": "s3://jobs/hang.sh",
                   "ActionOnFailure": "CANCEL_AND_WAIT"}]
    });
    let path = dir.join("pipeline.json");
    std::fs::write(&path, pipeline.to_string()).expect("pipeline");
    path
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn emrflow() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_emrflow"));
    command.current_dir(repo()).env("NO_COLOR", "1");
    command
}

fn signal(pid: u32, name: &str) {
    let sent = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{name} {pid}");
}

fn alive(pid: &str) -> bool {
    Command::new("kill")
        .args(["-0", pid.trim()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Waits until `done` says yes, or fails naming `what`.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn record_arn(local: &LocalExecutions, name: &str) -> String {
    local
        .record(name)
        .await
        .expect("record")
        .execution
        .execution_arn
}

fn wait_for_exit(mut child: Child) -> Output {
    let deadline = Instant::now() + WAIT;
    while child.try_wait().expect("try_wait").is_none() {
        assert!(
            Instant::now() < deadline,
            "emrflow did not exit after the signal"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().expect("output")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_step_cancels_it_and_terminates_the_cluster() {
    // GIVEN a local EMR of our own (to inspect afterwards) and a run whose step hangs
    let dir = tempfile::tempdir().expect("temp dir");
    let emr =
        LocalEmr::new(LocalEmrConfig::new(dir.path().join("emr")).with_timings(Timings::fast()))
            .spawn("127.0.0.1:0".parse().expect("address"))
            .await
            .expect("local EMR");
    let pipeline = hanging_pipeline(dir.path(), &emr.emr.s3_root());
    let child = emrflow()
        .args([
            "local",
            "run",
            "--input",
            "{}",
            "--time-scale",
            "0.05",
            "--name",
            "interrupted",
        ])
        .arg("--pipeline")
        .arg(&pipeline)
        .arg("--root")
        .arg(dir.path())
        .args(["--emr-endpoint", &emr.endpoint_url()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("emrflow starts");
    let inspect = emr.emr.inspect();
    until("the step to run", || {
        inspect.clusters().iter().any(|cluster| {
            cluster
                .steps
                .iter()
                .any(|step| step.state == StepState::Running)
        }) && dir.path().join("step.pid").exists()
    })
    .await;
    // WHEN Ctrl-C reaches it
    signal(child.id(), "INT");
    let output = wait_for_exit(child);
    // THEN it exits 1 saying it was aborted, what the reaper did and that nothing is left
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("SIGINT: stopping the execution"),
        "{stderr}"
    );
    assert!(
        stderr.contains("reaper: asked EMR to cancel 1 step(s)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("reaper: asked EMR to terminate cluster"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("Status: ABORTED"));
    // AND on the local EMR: the step CANCELLED (not interrupted), the cluster terminated
    let clusters = inspect.clusters();
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0].steps[0].state, StepState::Cancelled);
    until("the cluster to end", || {
        inspect
            .clusters()
            .iter()
            .all(|cluster| cluster.state.is_terminated())
    })
    .await;
    // AND the step's process is gone, and the record says ABORTED with the step CANCELLED
    let pid = std::fs::read_to_string(dir.path().join("step.pid")).expect("pid");
    until("the step process to end", || !alive(&pid)).await;
    let local = LocalExecutions::new(dir.path());
    let record = local.record("interrupted").await.expect("record");
    assert_eq!(record.execution.status, ExecutionStatus::Aborted);
    assert_eq!(
        record.failure().and_then(|f| f.error).as_deref(),
        Some("SIGINT")
    );
    let steps = local.steps("interrupted").expect("steps recorded");
    assert_eq!(steps[0].state, "CANCELLED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_background_local_run_stops_with_emrflow_stop_and_leaves_nothing_running() {
    // GIVEN a run started in the background with its own embedded local EMR
    let dir = tempfile::tempdir().expect("temp dir");
    let pipeline = hanging_pipeline(dir.path(), &dir.path().join("s3"));
    let root = dir.path().to_str().expect("utf-8 path");
    let started = emrflow()
        .args([
            "start",
            "--local",
            "--root",
            root,
            "--name",
            "background",
            "--",
        ])
        .args(["--time-scale", "0.05", "--pipeline"])
        .arg(&pipeline)
        .output()
        .expect("emrflow start");
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    assert!(
        String::from_utf8_lossy(&started.stdout)
            .contains(&format!("emrflow watch --local --root {root} background")),
        "{}",
        String::from_utf8_lossy(&started.stdout)
    );
    // AND its step runs (seen through the record it keeps while it runs)
    let local = LocalExecutions::new(dir.path());
    let mut running = false;
    let deadline = Instant::now() + WAIT;
    while !running {
        assert!(Instant::now() < deadline, "the step never ran");
        tokio::time::sleep(Duration::from_millis(200)).await;
        running = local.record("background").await.is_ok_and(|record| {
            record
                .last_check
                .is_some_and(|check| check.outstanding.len() == 1)
        }) && dir.path().join("step.pid").exists();
    }
    // AND its running step's log reads live
    let live = emrflow()
        .args(["logs", "--local", "--root", root, "background"])
        .args(["--step", "hang", "--stream", "stdout"])
        .output()
        .expect("emrflow logs");
    let text = String::from_utf8_lossy(&live.stdout);
    assert!(live.status.success(), "{text}");
    assert!(
        text.contains("live, as the running step writes it") && text.contains("hanging for good"),
        "{text}"
    );
    // AND starting it again with the same input is that execution; another input is refused
    let again = emrflow()
        .args([
            "start",
            "--local",
            "--root",
            root,
            "--name",
            "background",
            "--json",
        ])
        .output()
        .expect("emrflow start");
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).expect("JSON");
    assert_eq!(
        again["executionArn"],
        record_arn(&local, "background").await
    );
    let other = emrflow()
        .args(["start", "--local", "--root", root, "--name", "background"])
        .args(["--date", "2026-11-22"])
        .output()
        .expect("emrflow start");
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("ExecutionAlreadyExists"));
    // AND `local run` with its name and input follows it, as that execution
    let said = dir.path().join("follower.err");
    let follower = emrflow()
        .args(["local", "run", "--root", root, "--name", "background"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&said).expect("follower's stderr"))
        .spawn()
        .expect("emrflow local run");
    until("the follower to find the execution", || {
        std::fs::read_to_string(&said).is_ok_and(|text| text.contains("already running"))
    })
    .await;
    // WHEN it is stopped with an error and a cause
    let stopped = emrflow()
        .args(["stop", "--local", "--root", root, "background"])
        .args([
            "--error",
            "Maintenance",
            "--cause",
            "the disk is being replaced",
        ])
        .output()
        .expect("emrflow stop");
    // THEN the local run got SIGTERM, aborted, cancelled its step and stopped its local EMR
    let text = String::from_utf8_lossy(&stopped.stdout);
    assert!(stopped.status.success(), "{text}");
    assert!(text.contains("sent SIGTERM to the local run"), "{text}");
    let record = local.record("background").await.expect("record");
    assert_eq!(record.execution.status, ExecutionStatus::Aborted);
    // AND it recorded the error and cause it was stopped with, as StopExecution does
    let failure = record.failure().expect("error and cause");
    assert_eq!(failure.error.as_deref(), Some("Maintenance"));
    assert_eq!(failure.cause.as_deref(), Some("the disk is being replaced"));
    // AND the follower saw it end ABORTED, and says it was that execution
    let followed = wait_for_exit(follower);
    let said = std::fs::read_to_string(&said).expect("follower's stderr");
    assert_eq!(followed.status.code(), Some(1), "{said}");
    assert!(said.contains("already running with this input"), "{said}");
    assert!(String::from_utf8_lossy(&followed.stdout).contains("ABORTED"));
    // AND its logs show the step that was running when it stopped
    let logs = emrflow()
        .args(["logs", "--local", "--root", root, "background"])
        .output()
        .expect("emrflow logs");
    let text = String::from_utf8_lossy(&logs.stdout);
    assert!(logs.status.success(), "{text}");
    assert!(text.contains("of step 'hang' (attempt 1, "), "{text}");
    let steps = local.steps("background").expect("steps recorded");
    assert_eq!(steps[0].state, "CANCELLED");
    let log =
        std::fs::read_to_string(dir.path().join("executions/background/run.log")).expect("run.log");
    assert!(log.contains("SIGTERM: stopping the execution"), "{log}");
    assert!(
        log.contains("stopped the local EMR: no cluster was left running"),
        "{log}"
    );
    let pid = std::fs::read_to_string(dir.path().join("step.pid")).expect("pid");
    assert!(!alive(&pid), "the step's process still runs");
}
