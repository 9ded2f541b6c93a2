//! The `emrflow` binary as a person runs it.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn emrflow(args: &[&str]) -> std::process::Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = tempfile::tempdir().expect("temp dir");
    Command::new(env!("CARGO_BIN_EXE_emrflow"))
        .current_dir(&repo)
        .args(args)
        .args(["--root", root.path().to_str().expect("utf-8 path")])
        .output()
        .expect("emrflow runs")
}

#[test]
fn a_rejected_input_exits_non_zero_and_names_the_error() {
    // GIVEN contradictory input WHEN run THEN exit code 1 with the error name and the key
    let output = emrflow(&["local", "run", "--input", r#"{"CreateCluster": false}"#]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Status: FAILED"), "{stdout}");
    assert!(stdout.contains("Error: InvalidInput"), "{stdout}");
    assert!(stdout.contains("ClusterId"), "{stdout}");
    assert!(stdout.contains("Input_Rejected"), "{stdout}");
}

#[test]
fn json_prints_the_history_in_get_execution_history_shape() {
    // GIVEN --json WHEN an execution runs THEN stdout is the events with their ids and types
    let output = emrflow(&["local", "run", "--json", "--input", r#"{"Unknown": 1}"#]);
    assert_eq!(output.status.code(), Some(1));
    let history: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let events = history["events"].as_array().expect("events");
    assert_eq!(events[0]["type"], "ExecutionStarted");
    assert_eq!(events[0]["id"], 1);
    assert_eq!(events.last().expect("last")["type"], "ExecutionFailed");
    assert_eq!(
        events.last().expect("last")["executionFailedEventDetails"]["error"],
        "InvalidInput"
    );
    assert_eq!(history["status"], "FAILED");
    assert!(history["stateTransitions"]
        .as_u64()
        .is_some_and(|count| count >= 2));
}

#[test]
fn input_that_is_not_json_is_refused_before_running() {
    let output = emrflow(&["local", "run", "--input", "{not json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not JSON"));
}
