//! `emrflow runs / show / logs / watch / stop --local` as a person runs them, on records
//! written the way `emrflow local run` writes them, in text and with `--json`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use chrono::Duration;
use emrflow_core::emr::PipelineStepState;
use emrflow_core::handlers::AttemptReport;
use emrflow_executions::fixtures::{check_running, description, six_am, History, TaskFamily};
use emrflow_executions::record::CHECK_STEPS;
use emrflow_executions::{ExecutionStatus, LocalRecorder, LocalRun, StepView};
use flate2::write::GzEncoder;
use serde_json::{json, Value};

fn emrflow(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emrflow"))
        .args(args)
        .args(["--local", "--root"])
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("emrflow runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn attempt(step_id: &str, state: &str) -> AttemptReport {
    AttemptReport {
        attempt: 1,
        step_id: step_id.into(),
        state: state.parse().expect("a step state"),
        started_at: Some("2026-11-22T06:03:00Z".into()),
        ended_at: Some("2026-11-22T06:04:00Z".into()),
        log_location: Some(format!("s3://logs/emr/j-1/steps/{step_id}/")),
        failure_details: None,
    }
}

/// `daily-2026-11-21`: failed in `curate` on j-1, whose stderr.gz holds 50 lines;
/// `daily-2026-11-22`: still running.
fn world(root: &Path) {
    let input = json!({"ProcessingDate": "2026-11-21"});
    let failed = LocalRecorder::create(
        root,
        description(
            "daily-2026-11-21",
            ExecutionStatus::Running,
            six_am(),
            &input,
        ),
        LocalRun::default(),
    )
    .expect("recorder");
    let events = History::new(six_am(), &input, TaskFamily::Task)
        .created("daily-2026-11-21", "j-1")
        .failed_task(
            CHECK_STEPS,
            "check-steps",
            "StepFailed",
            "step 'curate [daily-2026-11-21]' (s-2) FAILED",
        )
        .failed(
            "StepFailed",
            "{\"errorMessage\":\"step 'curate [daily-2026-11-21]' (s-2) FAILED\"}",
        );
    for event in events {
        failed.event(event);
    }
    let mut ended = description(
        "daily-2026-11-21",
        ExecutionStatus::Failed,
        six_am(),
        &input,
    );
    ended.error = Some("StepFailed".into());
    ended.cause = Some("step 'curate [daily-2026-11-21]' (s-2) FAILED".into());
    failed.finish(ended);
    failed.steps(&[
        StepView {
            name: "validate".into(),
            state: PipelineStepState::Completed,
            skip_reason: None,
            attempts: vec![attempt("s-1", "COMPLETED")],
        },
        StepView {
            name: "curate".into(),
            state: PipelineStepState::Failed,
            skip_reason: None,
            attempts: vec![attempt("s-2", "FAILED")],
        },
    ]);
    let log = root.join("s3/logs/emr/j-1/steps/s-2/stderr.gz");
    std::fs::create_dir_all(log.parent().expect("folder")).expect("log folder");
    let mut gzip = GzEncoder::new(Vec::new(), flate2::Compression::default());
    for line in 1..=50 {
        writeln!(gzip, "stderr line {line}").expect("gzip");
    }
    std::fs::write(&log, gzip.finish().expect("gzip")).expect("log");

    let later = six_am() + Duration::days(1);
    let running = LocalRecorder::create(
        root,
        description(
            "daily-2026-11-22",
            ExecutionStatus::Running,
            later,
            &json!({"ProcessingDate": "2026-11-22"}),
        ),
        LocalRun::default(),
    )
    .expect("recorder");
    for event in History::new(later, &json!({}), TaskFamily::Task)
        .created("daily-2026-11-22", "j-2")
        .task(
            CHECK_STEPS,
            "check-steps",
            &check_running(&["curate"], &["s-7"]),
        )
        .running()
    {
        running.event(event);
    }
}

#[test]
fn runs_lists_the_newest_first_and_points_at_the_failed_ones_logs() {
    // GIVEN a failed and a running local execution
    let root = tempfile::tempdir().expect("temp dir");
    world(root.path());
    // WHEN listed as text and as JSON
    let text = emrflow(root.path(), &["runs"]);
    let json = emrflow(root.path(), &["runs", "--json", "--status", "failed"]);
    // THEN the table has both, newest first, with date, cluster and error
    assert!(text.status.success());
    let text = stdout(&text);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("EXECUTION") && lines[0].contains("ERROR"),
        "{text}"
    );
    assert!(
        lines[1].contains("daily-2026-11-22") && lines[1].contains("RUNNING"),
        "{text}"
    );
    assert!(
        lines[2].contains("daily-2026-11-21") && lines[2].contains("FAILED"),
        "{text}"
    );
    assert!(
        lines[2].contains("2026-11-21")
            && lines[2].contains("j-1")
            && lines[2].contains("StepFailed"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "emrflow logs --local --root {} daily-2026-11-21",
            root.path().display()
        )),
        "{text}"
    );
    // AND --status keeps the failed one, in JSON
    let rows: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(rows.as_array().map(Vec::len), Some(1));
    assert_eq!(rows[0]["status"], "FAILED");
    assert_eq!(rows[0]["clusterId"], "j-1");
    assert_eq!(rows[0]["processingDate"], "2026-11-21");
    assert_eq!(rows[0]["error"], "StepFailed");
}

#[test]
fn logs_without_a_step_shows_the_failed_steps_stderr_tail() {
    // GIVEN the failed execution WHEN its logs are asked without --step
    let root = tempfile::tempdir().expect("temp dir");
    world(root.path());
    let output = emrflow(root.path(), &["logs", "daily-2026-11-21"]);
    // THEN the last 40 lines of curate's stderr, under a line naming the step and the file
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("stderr of step 'curate' (attempt 1, s-2 FAILED)"),
        "{text}"
    );
    assert!(
        lines[0].contains("s3://logs/emr/j-1/steps/s-2/stderr.gz (last 40 of 50 lines)"),
        "{text}"
    );
    assert_eq!(lines[1], "stderr line 11");
    assert_eq!(lines.last().copied(), Some("stderr line 50"));
    // AND --step with --json gives the whole log and where it came from
    let json = emrflow(
        root.path(),
        &["logs", "daily-2026-11-21", "--step", "curate", "--json"],
    );
    let view: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(view["lines"], 50);
    assert_eq!(view["stepId"], "s-2");
    assert_eq!(view["uri"], "s3://logs/emr/j-1/steps/s-2/stderr.gz");
    // AND a log EMR has not uploaded yet is said so, exiting 1
    let missing = emrflow(
        root.path(),
        &["logs", "daily-2026-11-21", "--step", "validate"],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stdout(&missing).contains("about every five minutes"),
        "{}",
        stdout(&missing)
    );
}

#[test]
fn show_gives_states_steps_and_the_error_and_watch_ends_with_the_status() {
    // GIVEN the failed execution
    let root = tempfile::tempdir().expect("temp dir");
    world(root.path());
    // WHEN shown, and watched (it has ended: watch prints it and stops at once)
    let show = stdout(&emrflow(root.path(), &["show", "daily-2026-11-21"]));
    let watch = emrflow(root.path(), &["watch", "daily-2026-11-21"]);
    let json: Value = serde_json::from_slice(
        &emrflow(root.path(), &["show", "daily-2026-11-21", "--json"]).stdout,
    )
    .expect("JSON");
    // THEN show has the cluster, each state, each step with its log folder, the error, the next step
    assert!(show.starts_with("daily-2026-11-21  FAILED"), "{show}");
    assert!(show.contains("j-1 (created by this execution"), "{show}");
    assert!(
        show.contains("Create_A_Cluster") && show.contains("Execution_Failed"),
        "{show}"
    );
    assert!(show.contains("s3://logs/emr/j-1/steps/s-2/"), "{show}");
    assert!(show.contains("Error  StepFailed"), "{show}");
    assert!(
        show.contains(&format!(
            "Next   emrflow logs --local --root {} daily-2026-11-21",
            root.path().display()
        )),
        "{show}"
    );
    assert_eq!(json["steps"][1]["Attempts"][0]["StepId"], "s-2");
    assert_eq!(json["cluster"]["ClusterId"], "j-1");
    assert_eq!(json["execution"]["status"], "FAILED");
    // AND watch printed the progress lines and ends FAILED, exit 1
    assert_eq!(watch.status.code(), Some(1));
    let watched = stdout(&watch);
    assert!(
        watched.contains("▶ Validate_Input") && watched.contains("✗ execution FAILED: StepFailed"),
        "{watched}"
    );
    assert!(watched.contains("FAILED after 12m 00s"), "{watched}");
}

#[test]
fn a_running_execution_shows_what_runs_and_stop_explains_ctrl_c() {
    // GIVEN the running execution, whose process is not recorded
    let root = tempfile::tempdir().expect("temp dir");
    world(root.path());
    // WHEN shown and stopped
    let show = stdout(&emrflow(root.path(), &["show", "daily-2026-11-22"]));
    let stop = emrflow(root.path(), &["stop", "daily-2026-11-22", "--json"]);
    // THEN it is RUNNING, in Check_Steps, and next is watch
    assert!(show.starts_with("daily-2026-11-22  RUNNING"), "{show}");
    assert!(
        show.contains(&format!(
            "Next   emrflow watch --local --root {} daily-2026-11-22",
            root.path().display()
        )),
        "{show}"
    );
    // AND stop did nothing, saying how a local run stops
    let outcome: Value = serde_json::from_slice(&stop.stdout).expect("JSON");
    assert_eq!(outcome["stopped"], false);
    assert!(
        outcome["note"]
            .as_str()
            .is_some_and(|note| note.contains("Ctrl-C")),
        "{outcome}"
    );
}

#[test]
fn an_unknown_execution_or_status_is_refused_in_words() {
    let root = tempfile::tempdir().expect("temp dir");
    world(root.path());
    // GIVEN a name that is not recorded WHEN shown THEN exit 2 and where to look
    let unknown = emrflow(root.path(), &["show", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("emrflow runs --local"));
    // GIVEN a status that does not exist WHEN listed THEN clap names the known ones
    let status = emrflow(root.path(), &["runs", "--status", "done"]);
    assert!(String::from_utf8_lossy(&status.stderr).contains("TIMED_OUT"));
}

/// Writes `text` gzipped at `s3://<key>` of the local S3 under `root`, as EMR leaves a log.
fn gzipped_log(root: &Path, key: &str, text: &str) {
    let path = root.join("s3").join(key);
    std::fs::create_dir_all(path.parent().expect("folder")).expect("log folder");
    let mut gzip = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(text.as_bytes()).expect("gzip");
    std::fs::write(&path, gzip.finish().expect("gzip")).expect("log");
}

/// `daily-2026-11-20`: check-steps' verdict FAILED with every step's report — `validate`
/// timed out (its stdout has a Python traceback, its stderr only Spark's INFO lines),
/// `curate` was skipped; `daily-2026-11-19`: succeeded, `quarantine` skipped.
fn reported_runs(root: &Path) {
    let input = json!({"ProcessingDate": "2026-11-20"});
    let start = six_am() - Duration::days(2);
    let cause = "step 'validate [daily-2026-11-20]' (s-8) ran longer than its TimeoutSeconds of 60 and was cancelled on cluster j-3";
    let report = |state: &str, skipped: &str, reason: &str| {
        json!([
            {"Name": "validate", "State": state, "ActionOnFailure": "CANCEL_AND_WAIT",
             "Attempts": [{"Attempt": 1, "StepId": "s-8", "State": state,
                           "StartedAt": "2026-11-20T06:01:00Z", "EndedAt": "2026-11-20T06:02:00Z",
                           "LogLocation": "s3://logs/emr/j-3/steps/s-8/"}]},
            {"Name": skipped, "State": "SKIPPED", "ActionOnFailure": "CONTINUE",
             "SkipReason": reason, "Attempts": []}
        ])
    };
    let check = |verdict: &str, steps: Value| {
        json!({"Verdict": verdict, "ClusterState": "WAITING", "NextCheckSeconds": 0,
               "WakeOn": "TIMER", "Outstanding": [], "Running": [],
               "Progress": {"Completed": 0, "Running": 0, "Waiting": 0, "Failed": 1, "Skipped": 1},
               "Error": "StepTimedOut", "Cause": cause, "Steps": steps})
    };
    let failed = LocalRecorder::create(
        root,
        description("daily-2026-11-20", ExecutionStatus::Running, start, &input),
        LocalRun::default(),
    )
    .expect("recorder");
    let failed_report = report(
        "TIMED_OUT",
        "curate",
        "dependency 'validate' ended TIMED_OUT",
    );
    for event in History::new(start, &input, TaskFamily::Task)
        .created("daily-2026-11-20", "j-3")
        .task(CHECK_STEPS, "check-steps", &check("FAILED", failed_report))
        .pass("Pipeline_Failed", "Pass")
        .failed("StepTimedOut", cause)
    {
        failed.event(event);
    }
    let mut ended = description("daily-2026-11-20", ExecutionStatus::Failed, start, &input);
    ended.error = Some("StepTimedOut".into());
    ended.cause = Some(cause.into());
    failed.finish(ended);
    gzipped_log(root, "logs/emr/j-3/steps/s-8/stderr.gz",
        "26/11/20 06:01:59 INFO SparkContext: Successfully stopped SparkContext\n26/11/20 06:01:59 INFO ShutdownHookManager: Shutdown hook called\n");
    gzipped_log(root, "logs/emr/j-3/steps/s-8/stdout.gz",
        "checking rows\nTraceback (most recent call last):\n  File \"/jobs/validate.py\", line 9, in <module>\n    raise ValueError(\"no rows for 2026-11-20\")\nValueError: no rows for 2026-11-20\n");

    let start = start - Duration::days(1);
    let input = json!({"ProcessingDate": "2026-11-19"});
    let succeeded = LocalRecorder::create(
        root,
        description("daily-2026-11-19", ExecutionStatus::Running, start, &input),
        LocalRun::default(),
    )
    .expect("recorder");
    let mut completed = check(
        "COMPLETED",
        report("COMPLETED", "quarantine", "no dependency failed"),
    );
    completed["Error"] = Value::Null;
    completed["Cause"] = Value::Null;
    for event in History::new(start, &input, TaskFamily::Task)
        .created("daily-2026-11-19", "j-2")
        .task(CHECK_STEPS, "check-steps", &completed)
        .succeeded(&json!({}))
    {
        succeeded.event(event);
    }
    succeeded.finish(description(
        "daily-2026-11-19",
        ExecutionStatus::Succeeded,
        start,
        &input,
    ));
}

#[test]
fn show_lists_skipped_and_timed_out_steps_and_says_why_from_the_steps_logs() {
    // GIVEN a run check-steps judged FAILED (a step timed out, the next skipped) and a run
    // that succeeded with a step skipped
    let root = tempfile::tempdir().expect("temp dir");
    reported_runs(root.path());
    // WHEN each is shown
    let failed = stdout(&emrflow(root.path(), &["show", "daily-2026-11-20"]));
    let succeeded = stdout(&emrflow(root.path(), &["show", "daily-2026-11-19"]));
    // THEN the failed run's table has the attempt TIMED_OUT and the skipped step, with why
    assert!(failed.contains("1 (TIMED_OUT)"), "{failed}");
    assert!(
        failed.contains("└ curate SKIPPED: dependency 'validate' ended TIMED_OUT"),
        "{failed}"
    );
    // AND the line of the step's logs that says why, found in stdout, and where
    assert!(
        failed.contains("Why    step 'validate' attempt 1: probable cause, stdout line 5 (s3://logs/emr/j-3/steps/s-8/stdout.gz): ValueError: no rows for 2026-11-20"),
        "{failed}"
    );
    assert!(
        failed.contains(&format!(
            "Next   emrflow logs --local --root {} daily-2026-11-20   (the failed step's stderr)",
            root.path().display()
        )),
        "{failed}"
    );
    // AND the succeeded run shows why its skipped step never ran
    assert!(
        succeeded.contains("└ quarantine SKIPPED: no dependency failed"),
        "{succeeded}"
    );
    // AND WHEN the step's logs are not uploaded yet THEN show says so
    std::fs::remove_dir_all(root.path().join("s3/logs/emr/j-3")).expect("logs removed");
    let early = stdout(&emrflow(root.path(), &["show", "daily-2026-11-20"]));
    assert!(
        early.contains("the step's logs are not in s3://logs/emr/j-3/steps/s-8/ yet"),
        "{early}"
    );
}

#[test]
fn logs_put_the_probable_cause_first_and_a_skipped_step_says_it_never_ran() {
    // GIVEN the run whose step timed out
    let root = tempfile::tempdir().expect("temp dir");
    reported_runs(root.path());
    // WHEN its logs are asked without --step
    let output = emrflow(root.path(), &["logs", "daily-2026-11-20"]);
    let text = stdout(&output);
    // THEN the timed-out step's, the cause from stdout first, then its stderr
    assert!(output.status.success(), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "probable cause, stdout line 5 (s3://logs/emr/j-3/steps/s-8/stdout.gz): ValueError: no rows for 2026-11-20"
    );
    assert!(
        lines[1].contains("stderr of step 'validate' (attempt 1, s-8 TIMED_OUT)"),
        "{text}"
    );
    // AND the skipped step says it never ran and why, exit 1
    let skipped = emrflow(
        root.path(),
        &["logs", "daily-2026-11-20", "--step", "curate"],
    );
    assert_eq!(skipped.status.code(), Some(1));
    assert_eq!(
        stdout(&skipped),
        "step 'curate' never ran (SKIPPED: dependency 'validate' ended TIMED_OUT), so it has no logs\n"
    );
}
