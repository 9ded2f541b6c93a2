//! After its execution has ended, `emrflow local run` exits within the bound the README
//! states, even when EMR hangs (accepts connections, never answers — a local EMR stopped with
//! SIGSTOP): it says what it is waiting for and that Ctrl-C leaves it, then gives up with the
//! commands to finish by hand. The execution's result is printed once.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use emrflow::local_run::LOOK_BUDGET;
use serde_json::json;

/// How long the execution itself may take before the look starts (at --time-scale 0.001 its
/// retries through a hung EMR last a few seconds), with room for a loaded machine.
const EXECUTION_ALLOWANCE: Duration = Duration::from_secs(60);

/// An EMR endpoint that accepts every connection and never answers; the connections stay
/// open for as long as the test runs.
fn hung_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    format!("http://{address}")
}

fn one_step_pipeline(dir: &Path) -> PathBuf {
    let pipeline = json!({
        "Name": "hung", "PollIntervalSeconds": 1,
        "Cluster": {"ReleaseLabel": "emr-7.5.0", "Applications": ["Hadoop"],
            "ServiceRole": "EMR_DefaultRole", "JobFlowRole": "EMR_EC2_DefaultRole",
            "LogUri": "s3://logs/emr/",
            "InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]},
        "Steps": [{"Name": "work", "Type": "Script", "Script": "s3://jobs/work.sh",
                   "ActionOnFailure": "CANCEL_AND_WAIT"}]
    });
    let path = dir.join("pipeline.json");
    std::fs::write(&path, pipeline.to_string()).expect("pipeline");
    path
}

/// `emrflow local run` against `endpoint`, its stdout and stderr piped.
fn local_run(dir: &Path, endpoint: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_emrflow"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env("NO_COLOR", "1")
        .args(["local", "run", "--input", "{}", "--name", "hung"])
        .args(["--time-scale", "0.001", "--emr-endpoint", endpoint])
        .arg("--pipeline")
        .arg(one_step_pipeline(dir))
        .arg("--root")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("emrflow starts")
}

/// The child's stdout and stderr, collected as they come (so a test can react to a line, and
/// a full pipe never blocks the child).
struct Output {
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

fn collect(child: &mut Child) -> Output {
    let stdout = child.stdout.take().expect("stdout piped");
    let stderr = child.stderr.take().expect("stderr piped");
    Output {
        stdout: collect_lines(stdout),
        stderr: collect_lines(stderr),
    }
}

fn collect_lines(pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let collected = text.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut text = collected.lock().unwrap_or_else(|e| e.into_inner());
            text.push_str(&line);
            text.push('\n');
        }
    });
    text
}

/// Waits for the child's exit for at most `limit`; its exit code.
fn exit_within(mut child: Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("emrflow was still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    status.code()
}

/// What was collected so far; after the exit, a moment for the readers to reach the end.
fn text(collected: &Arc<Mutex<String>>) -> String {
    collected.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn all_of(collected: &Arc<Mutex<String>>) -> String {
    // The pipes close with the process; their readers finish right after.
    std::thread::sleep(Duration::from_millis(300));
    text(collected)
}

/// The `+X.Xs` of the progress line that ends the execution.
fn printed_execution_seconds(stderr: &str) -> f64 {
    let line = stderr
        .lines()
        .find(|line| line.contains(" execution FAILED"))
        .unwrap_or_else(|| panic!("no end of execution in: {stderr}"));
    let number = line.trim_start().trim_start_matches('+');
    let number = number.split('s').next().unwrap_or_default();
    number
        .parse()
        .unwrap_or_else(|_| panic!("no seconds in: {line}"))
}

#[ignore = "slow: make test-slow"]
#[test]
fn with_emr_hung_the_runner_gives_up_after_its_budget_and_says_how_to_finish() {
    // GIVEN an EMR endpoint that accepts connections and never answers
    let dir = tempfile::tempdir().expect("temp dir");
    let endpoint = hung_endpoint();
    // WHEN a local run uses it (the execution fails through its retries, then the reaper
    // looks at EMR)
    let started = Instant::now();
    let mut child = local_run(dir.path(), &endpoint);
    let output = collect(&mut child);
    let code = exit_within(child, EXECUTION_ALLOWANCE + LOOK_BUDGET);
    let elapsed = started.elapsed();
    let (stdout, stderr) = (all_of(&output.stdout), all_of(&output.stderr));
    // THEN it exits 1 within its bound, the execution's result printed once
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stdout.matches("Status: FAILED").count(), 1, "{stdout}");
    assert_eq!(
        stdout.matches("Error: CleanupFailed").count(),
        1,
        "{stdout}"
    );
    // AND it said what it waited for and how to leave, then gave up with the commands
    for expected in [
        format!("waiting for EMR at {endpoint} to answer the reaper's cleanup"),
        "Ctrl-C leaves it now".to_string(),
        format!("gave up after {} s", LOOK_BUDGET.as_secs()),
        format!("aws emr list-clusters --active --endpoint-url {endpoint}"),
    ] {
        assert!(stderr.contains(&expected), "'{expected}' not in: {stderr}");
    }
    // AND the progress lines count wall-clock seconds, not the scaled clock's
    let printed = printed_execution_seconds(&stderr);
    assert!(
        printed <= elapsed.as_secs_f64(),
        "{printed} s in {elapsed:?}"
    );
}

#[test]
fn with_emr_hung_ctrl_c_leaves_the_look_at_once() {
    // GIVEN a local run whose look at EMR after the execution waits on a hung endpoint
    let dir = tempfile::tempdir().expect("temp dir");
    let endpoint = hung_endpoint();
    let mut child = local_run(dir.path(), &endpoint);
    let output = collect(&mut child);
    let deadline = Instant::now() + EXECUTION_ALLOWANCE;
    while !text(&output.stderr).contains("Ctrl-C leaves it now") {
        let stderr = text(&output.stderr);
        assert!(Instant::now() < deadline, "no wait announced: {stderr}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // WHEN Ctrl-C reaches it
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    // THEN it exits at once, the result printed once, saying what it left and what to do
    let code = exit_within(child, Duration::from_secs(10));
    let (stdout, stderr) = (all_of(&output.stdout), all_of(&output.stderr));
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stdout.matches("Status: FAILED").count(), 1, "{stdout}");
    assert!(
        stderr.contains("SIGINT: left the reaper's cleanup"),
        "{stderr}"
    );
    assert!(stderr.contains("to finish by hand"), "{stderr}");
}
