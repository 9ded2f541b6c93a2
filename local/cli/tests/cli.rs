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

/// `emrflow` in the repository, with `root` as its --root.
fn emrflow_in(root: &Path, args: &[&str]) -> std::process::Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Command::new(env!("CARGO_BIN_EXE_emrflow"))
        .current_dir(&repo)
        .args(args)
        .arg("--root")
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("emrflow runs")
}

#[test]
fn a_key_given_twice_in_the_execution_input_is_refused_wherever_it_is_read() {
    // GIVEN an input that says TerminateCluster twice, inline and in a file
    let root = tempfile::tempdir().expect("temp dir");
    let twice =
        r#"{"TerminateCluster": true, "ProcessingDate": "2026-11-21", "TerminateCluster": false}"#;
    let file = root.path().join("input.json");
    std::fs::write(&file, twice).expect("input file");
    let file = file.to_str().expect("utf-8 path");
    // WHEN local run, start --local and start on AWS are given it
    let runs = [
        emrflow_in(root.path(), &["local", "run", "--input", twice]),
        emrflow_in(root.path(), &["local", "run", "--input", file]),
        emrflow_in(root.path(), &["start", "--local", "--input", twice]),
        Command::new(env!("CARGO_BIN_EXE_emrflow"))
            .args(["start", "--input", twice, "--region", "us-east-1"])
            .args([
                "--state-machine",
                "arn:aws:states:us-east-1:123456789012:stateMachine:emrflow",
            ])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .output()
            .expect("emrflow runs"),
    ];
    // THEN each refuses it before anything runs, naming the key
    for output in &runs {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("key 'TerminateCluster' twice"), "{stderr}");
    }
    assert!(!root.path().join("executions").exists());
}

#[test]
fn a_name_that_exists_is_refused_and_the_first_record_kept() {
    // GIVEN a run named `nightly` that ended (its input rejected)
    let root = tempfile::tempdir().expect("temp dir");
    let first = emrflow_in(
        root.path(),
        &[
            "local",
            "run",
            "--name",
            "nightly",
            "--input",
            r#"{"CreateCluster": false}"#,
        ],
    );
    assert_eq!(first.status.code(), Some(1));
    let record = root.path().join("executions/nightly/execution.json");
    let before = std::fs::read_to_string(&record).expect("record");
    // WHEN another run asks for the same name
    let second = emrflow_in(
        root.path(),
        &[
            "local",
            "run",
            "--name",
            "nightly",
            "--input",
            r#"{"Unknown": 1}"#,
        ],
    );
    // THEN it is refused as Step Functions refuses it, and the first record is untouched
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ExecutionAlreadyExists: an execution named 'nightly' exists already"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&record).expect("record"), before);
}

#[test]
fn runs_started_in_the_same_second_get_names_of_their_own() {
    // GIVEN three runs started at once without --name
    let root = tempfile::tempdir().expect("temp dir");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let children: Vec<std::process::Child> = (0..3)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_emrflow"))
                .current_dir(&repo)
                .args([
                    "local",
                    "run",
                    "--input",
                    r#"{"CreateCluster": false}"#,
                    "--root",
                ])
                .arg(root.path())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("emrflow starts")
        })
        .collect();
    for child in children {
        child.wait_with_output().expect("ended");
    }
    // WHEN the records are listed
    let listed = emrflow_in(root.path(), &["runs", "--local", "--json"]);
    let runs: Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    // THEN three executions, three names
    let mut names: Vec<&str> = runs
        .as_array()
        .expect("runs")
        .iter()
        .filter_map(|run| run["name"].as_str())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 3, "{runs}");
}

/// The binary with nothing of the caller's environment but PATH: no AWS settings, HOME empty.
fn bare(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_emrflow"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

#[test]
fn without_aws_credentials_the_command_says_so_and_what_to_set() {
    // GIVEN no AWS credentials anywhere (no variables, no ~/.aws)
    let home = tempfile::tempdir().expect("temp dir");
    for args in [
        &[
            "runs",
            "--state-machine",
            "arn:aws:states:eu-west-1:123456789012:stateMachine:emrflow",
        ][..],
        &["runs", "--region", "eu-west-1"][..],
    ] {
        // WHEN an operate command is run against AWS
        let output = bare(home.path()).args(args).output().expect("emrflow runs");
        // THEN it fails saying no credentials were found and how to give some, in words
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("no AWS credentials found"), "{stderr}");
        assert!(
            stderr.contains("AWS_PROFILE")
                && stderr.contains("AWS_ACCESS_KEY_ID")
                && stderr.contains("aws configure"),
            "{stderr}"
        );
        for debug in [
            "SdkBody",
            "FailedToLoadToken",
            "ProviderError",
            "IMDS",
            "\u{1b}[",
        ] {
            assert!(!stderr.contains(debug), "{debug}: {stderr}");
        }
    }
}

#[test]
fn diagnostics_redirected_to_a_file_carry_no_colour_codes() {
    // GIVEN diagnostics asked for (EMRFLOW_LOG=info) and stderr not a terminal
    let home = tempfile::tempdir().expect("temp dir");
    let root = tempfile::tempdir().expect("temp dir");
    let output = bare(home.path())
        .env("EMRFLOW_LOG", "info")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args(["local", "run", "--input", r#"{"Unknown": 1}"#, "--root"])
        .arg(root.path())
        .output()
        .expect("emrflow runs");
    // WHEN the run logs THEN plain text, no escape sequence
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(" INFO "), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
}

#[test]
fn a_failures_cause_is_printed_once() {
    // GIVEN an input refused by Validate_Input (its cause reaches TaskFailed, ExecutionFailed,
    // the history and the summary)
    let output = emrflow(&["local", "run", "--input", r#"{"CreateCluster": false}"#]);
    // WHEN the run ends THEN the cause is printed once, under "Cause:"
    let all = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        all.matches("required when CreateCluster is false").count(),
        1,
        "{all}"
    );
    assert!(
        all.contains("Cause: key 'ClusterId': required when"),
        "{all}"
    );
    // AND the error is still named where it happened
    assert!(all.contains("✗ TaskFailed: InvalidInput"), "{all}");
}

#[test]
fn a_local_root_that_does_not_exist_is_said_so_not_listed_empty() {
    // GIVEN a --root that is a typo WHEN its runs are listed THEN "no such directory", exit 2
    let output = Command::new(env!("CARGO_BIN_EXE_emrflow"))
        .args(["runs", "--local", "--root", "/typo/emrflow-nowhere"])
        .output()
        .expect("emrflow runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--root /typo/emrflow-nowhere: no such directory"),
        "{stderr}"
    );
}

#[test]
fn s3_from_with_an_emr_endpoint_copies_into_the_root_and_refuses_a_bad_bucket_folder() {
    // GIVEN a local S3 folder with one bucket, and a local EMR said to run elsewhere
    let from = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(from.path().join("my-bucket/jobs")).expect("mkdir");
    std::fs::write(from.path().join("my-bucket/jobs/a.sh"), "echo a").expect("write");
    let root = tempfile::tempdir().expect("temp dir");
    let run = |from: &Path| {
        Command::new(env!("CARGO_BIN_EXE_emrflow"))
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
            .args(["local", "run", "--input", r#"{"Unknown": 1}"#])
            .args(["--emr-endpoint", "http://127.0.0.1:9", "--s3-from"])
            .arg(from)
            .arg("--root")
            .arg(root.path())
            .output()
            .expect("emrflow runs")
    };
    // WHEN run with --emr-endpoint THEN the folder is copied into <root>/s3, and said
    let output = run(from.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        root.path().join("s3/my-bucket/jobs/a.sh").is_file(),
        "{stderr}"
    );
    assert!(stderr.contains("must serve --root"), "{stderr}");
    // AND a folder that is no bucket name is refused, naming it, before anything runs
    std::fs::create_dir_all(from.path().join("Not_A_Bucket")).expect("mkdir");
    let output = run(from.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the folder 'Not_A_Bucket' is not a valid S3 bucket name"),
        "{stderr}"
    );
}
