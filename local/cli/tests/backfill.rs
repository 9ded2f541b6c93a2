//! `emrflow backfill --local` as a data engineer runs it, through the real binary and real
//! local runs: a range run once per day, a failed day left alone until `--retry-failed`, the
//! same command run again starting nothing, an interrupted backfill carried on, `--missing`
//! counting a manual start's success, and `--dry-run`.

mod operate_support;

use operate_support::executions;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use emrflow_executions::fixtures::{description, six_am};
use emrflow_executions::{ExecutionStatus, LocalRecorder, LocalRun};
use serde_json::{json, Value};

/// A pipelines folder with `etl` (MaxConcurrentRuns 2), whose one step fails on a day whose
/// marker file `fail-<date>` exists in the folder.
fn world() -> (tempfile::TempDir, tempfile::TempDir) {
    let folder = tempfile::tempdir().expect("temp dir");
    let root = tempfile::tempdir().expect("temp dir");
    let marker = format!("{}/fail-{{{{ProcessingDate}}}}", folder.path().display());
    let pipeline = json!({
        "Name": "etl", "PollIntervalSeconds": 1, "MaxConcurrentRuns": 2,
        "Cluster": {"ReleaseLabel": "emr-7.5.0", "Applications": ["Hadoop"],
            "ServiceRole": "EMR_DefaultRole", "JobFlowRole": "EMR_EC2_DefaultRole",
            "LogUri": "s3://logs/emr/",
            "InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]},
        "Steps": [{"Name": "only", "Type": "Command", "Args": ["test", "!", "-e", marker]}]
    });
    std::fs::create_dir(folder.path().join("pipelines")).expect("folder");
    std::fs::write(
        folder.path().join("pipelines/etl.json"),
        pipeline.to_string(),
    )
    .expect("written");
    (folder, root)
}

fn backfill_command(folder: &Path, root: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_emrflow"));
    command
        .current_dir(folder)
        .env("NO_COLOR", "1")
        .args(["backfill", "etl", "--local", "--root"])
        .arg(root)
        .args(extra)
        .args(["--", "--time-scale", "0.05"]);
    command
}

fn backfill(folder: &Path, root: &Path, extra: &[&str]) -> Output {
    backfill_command(folder, root, extra)
        .output()
        .expect("emrflow runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The final table's row of `date`.
fn row<'a>(text: &'a str, date: &str) -> &'a str {
    text.lines()
        .rev()
        .find(|line| line.trim_start().starts_with(date))
        .unwrap_or_else(|| panic!("no row of {date} in:\n{text}"))
}

#[test]
fn a_range_runs_once_a_failed_day_waits_for_retry_failed_and_a_rerun_starts_nothing() {
    // GIVEN etl allowing 2 runs at once, and the 2nd of November failing
    let (folder, root) = world();
    let (dir, root) = (folder.path(), root.path());
    std::fs::write(dir.join("fail-2026-11-02"), "").expect("marker");
    // WHEN three days are backfilled asking for 3 at a time
    let first = backfill(
        dir,
        root,
        &[
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-03",
            "--parallel",
            "3",
        ],
    );
    let text = stdout(&first);
    // THEN 2 ran at a time, said why; the failed day failed the command; each day ran once
    assert_eq!(first.status.code(), Some(1), "{text}");
    assert!(
        text.contains("2 at a time: --parallel 3 is more than etl's MaxConcurrentRuns 2"),
        "{text}"
    );
    assert!(row(&text, "2026-11-01").contains("SUCCEEDED"), "{text}");
    assert!(row(&text, "2026-11-02").contains("FAILED"), "{text}");
    assert!(row(&text, "2026-11-03").contains("SUCCEEDED"), "{text}");
    assert!(text.contains("2 of 3 days SUCCEEDED"), "{text}");
    let named = ["etl-2026-11-01", "etl-2026-11-02", "etl-2026-11-03"];
    assert_eq!(executions(root), named);

    // WHEN the same command runs again
    let again = backfill(dir, root, &["--from", "2026-11-01", "--to", "2026-11-03"]);
    let text = stdout(&again);
    // THEN nothing is started: succeeded days are listed as skipped, the failed one left
    assert_eq!(again.status.code(), Some(1), "{text}");
    assert!(
        row(&text, "2026-11-01").contains("succeeded before: skipped"),
        "{text}"
    );
    assert!(
        row(&text, "2026-11-02").contains("FAILED before: not re-run (--retry-failed re-runs it)"),
        "{text}"
    );
    assert_eq!(executions(root), named);

    // WHEN the cause is fixed and the failed days are retried
    std::fs::remove_file(dir.join("fail-2026-11-02")).expect("marker removed");
    let retried = backfill(
        dir,
        root,
        &[
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-03",
            "--retry-failed",
        ],
    );
    let text = stdout(&retried);
    // THEN only that day runs again, as its second attempt, and all succeeded: exit 0
    assert_eq!(retried.status.code(), Some(0), "{text}");
    assert!(
        row(&text, "2026-11-02").contains("etl-2026-11-02-r2"),
        "{text}"
    );
    assert!(row(&text, "2026-11-02").contains("SUCCEEDED"), "{text}");
    assert!(text.contains("3 of 3 days SUCCEEDED"), "{text}");
    assert_eq!(
        executions(root),
        [named[0], named[1], "etl-2026-11-02-r2", named[2]]
    );
}

#[test]
fn an_interrupted_backfill_carries_on_without_starting_a_day_twice() {
    // GIVEN a backfill of three days, one at a time, in JSON lines
    let (folder, root) = world();
    let (dir, root) = (folder.path(), root.path());
    let range = ["--from", "2026-11-01", "--to", "2026-11-03", "--json"];
    let mut child = backfill_command(dir, root, &range)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("emrflow runs");
    // WHEN Ctrl-C comes once the first day has started
    let deadline = Instant::now() + Duration::from_secs(60);
    while !root.join("executions/etl-2026-11-01").exists() {
        assert!(Instant::now() < deadline, "the first day did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(interrupted.success());
    let waited = wait_with_deadline(&mut child, Duration::from_secs(120));
    let output = child.wait_with_output().expect("output");
    let (out, err) = (stdout(&output), String::from_utf8_lossy(&output.stderr));
    // THEN no other day was started, the running one was followed to its end, and it said
    // how to stop it and how to carry on; the command failed (days are left)
    assert_eq!(waited, Some(1), "{out}\n{err}");
    assert!(err.contains("Ctrl-C: no further day is started"), "{err}");
    assert!(err.contains("emrflow stop --local --root"), "{err}");
    assert!(
        err.contains("Run the same backfill again to carry on"),
        "{err}"
    );
    assert_eq!(executions(root), ["etl-2026-11-01"]);
    let summary: Value = out
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["event"] == "finished")
        .expect("a summary line");
    assert_eq!(summary["days"][0]["status"], "SUCCEEDED", "{summary}");
    assert_eq!(summary["days"][1]["status"], Value::Null, "{summary}");
    assert_eq!(summary["days"][1]["note"], "not started: interrupted");

    // WHEN the same backfill runs again
    let resumed = backfill(dir, root, &range);
    // THEN it carries on: the rest ran, the first day was not started twice
    assert_eq!(resumed.status.code(), Some(0), "{}", stdout(&resumed));
    assert_eq!(
        executions(root),
        ["etl-2026-11-01", "etl-2026-11-02", "etl-2026-11-03"]
    );
}

fn wait_with_deadline(child: &mut std::process::Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    None
}

/// A SUCCEEDED local record of `name` with `input`, as `emrflow local run` leaves one.
fn succeeded(root: &Path, name: &str, input: Value) {
    let recorder = LocalRecorder::create(
        root,
        description(name, ExecutionStatus::Running, six_am(), &input),
        LocalRun::default(),
    )
    .expect("recorder");
    recorder.finish(description(
        name,
        ExecutionStatus::Succeeded,
        six_am(),
        &input,
    ));
}

#[test]
fn missing_counts_a_manual_success_and_dry_run_starts_nothing() {
    // GIVEN a day run by the schedule, one by hand, one by hand for another pipeline
    let (folder, root) = world();
    let (dir, root) = (folder.path(), root.path());
    let day = |date: &str| json!({"PipelineName": "etl", "ProcessingDate": date});
    succeeded(root, "etl-2026-11-01", day("2026-11-01"));
    succeeded(root, "manual-20261102T060000Z", day("2026-11-02"));
    succeeded(
        root,
        "manual-20261103T060000Z",
        json!({"PipelineName": "other", "ProcessingDate": "2026-11-03"}),
    );
    // WHEN the missing days are asked for, dry
    let range = ["--from", "2026-11-01", "--to", "2026-11-03", "--dry-run"];
    let missing = backfill(dir, root, &[&range[..], &["--missing"]].concat());
    let text = stdout(&missing);
    // THEN only the 3rd would start; the manual success counts
    assert_eq!(missing.status.code(), Some(0), "{text}");
    assert!(
        row(&text, "2026-11-01").contains("succeeded before: skipped"),
        "{text}"
    );
    assert!(
        row(&text, "2026-11-02").contains("manual-20261102T060000Z"),
        "{text}"
    );
    let third = row(&text, "2026-11-03");
    assert!(
        third.contains("etl-2026-11-03") && third.trim_end().ends_with("start"),
        "{text}"
    );
    // AND without --missing the day run by hand is planned again by its daily name
    let plain = stdout(&backfill(dir, root, &range));
    let second = row(&plain, "2026-11-02");
    assert!(
        second.contains("etl-2026-11-02") && second.trim_end().ends_with("start"),
        "{plain}"
    );
    // AND nothing was started
    assert_eq!(executions(root).len(), 3);
}

#[test]
fn a_bad_range_or_an_unknown_pipeline_is_refused_in_words() {
    // GIVEN the folder WHEN the range is backwards, a date is wrong, the pipeline unknown
    let (folder, root) = world();
    let (dir, root) = (folder.path(), root.path());
    let cases: [(&[&str], &str); 2] = [
        (
            &["--from", "2026-11-03", "--to", "2026-11-01"],
            "--from 2026-11-03 is after --to 2026-11-01",
        ),
        (
            &["--from", "2026-11-31", "--to", "2026-12-01"],
            "--from '2026-11-31' is not a date as YYYY-MM-DD",
        ),
    ];
    for (args, said) in cases {
        let output = backfill(dir, root, args);
        let err = String::from_utf8_lossy(&output.stderr);
        // THEN refused before anything starts, saying what to give
        assert_eq!(output.status.code(), Some(2), "{err}");
        assert!(err.contains(said), "{err}");
    }
    let unknown = Command::new(env!("CARGO_BIN_EXE_emrflow"))
        .current_dir(dir)
        .args([
            "backfill",
            "nope",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-01",
            "--local",
            "--root",
        ])
        .arg(root)
        .output()
        .expect("emrflow runs");
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        err.contains("no pipeline named 'nope'") && err.contains("etl"),
        "{err}"
    );
    assert!(executions(root).is_empty());
}
