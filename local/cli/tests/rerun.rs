//! `emrflow rerun --local` as a data engineer runs it, through the real binary, real local
//! runs and the local EMR: a run of a sample-shaped pipeline failing at `publish` re-run from
//! the failure runs exactly what did not complete, `--steps` runs a step and what follows it,
//! both after the original's cluster is gone; every refusal starts nothing.

mod operate_support;

use operate_support::executions;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use emrflow_executions::fixtures::{description, six_am};
use emrflow_executions::{
    ExecutionRecord, ExecutionStatus, Executions, LocalExecutions, LocalRecorder, LocalRun,
};
use serde_json::{json, Value};

const ORIGINAL: &str = "etl-2026-11-02";

/// The sample's graph (validate_raw → curate_orders and daily_stats → publish → run_report,
/// ALL_DONE) with commands for steps; publish fails while the marker `fail-publish` exists.
fn pipeline(folder: &Path, curate_name: &str) -> Value {
    let marker = folder.join("fail-publish").display().to_string();
    let step = |name: &str, depends_on: Value| json!({"Name": name, "Type": "Command", "Args": ["true"], "DependsOn": depends_on});
    let mut publish = step("publish", json!([curate_name, "daily_stats"]));
    publish["Args"] = json!(["test", "!", "-e", marker]);
    let mut report = step("run_report", json!(["publish"]));
    report["RunIf"] = json!("ALL_DONE");
    json!({
        "Name": "etl", "PollIntervalSeconds": 1,
        "Cluster": {"ReleaseLabel": "emr-7.5.0", "Applications": ["Hadoop"],
            "ServiceRole": "EMR_DefaultRole", "JobFlowRole": "EMR_EC2_DefaultRole",
            "LogUri": "s3://logs/emr/", "StepConcurrencyLevel": 2,
            "InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]},
        "Steps": [
            {"Name": "validate_raw", "Type": "Command", "Args": ["true"]},
            step(curate_name, json!(["validate_raw"])),
            step("daily_stats", json!(["validate_raw"])),
            publish, report
        ]
    })
}

fn write_pipeline(folder: &Path, curate_name: &str) {
    std::fs::create_dir_all(folder.join("pipelines")).expect("folder");
    std::fs::write(
        folder.join("pipelines/etl.json"),
        pipeline(folder, curate_name).to_string(),
    )
    .expect("written");
}

/// A folder with the pipeline and a root where etl's run of 2026-11-02 failed at publish.
fn failed_at_publish() -> (tempfile::TempDir, tempfile::TempDir) {
    let folder = tempfile::tempdir().expect("temp dir");
    let root = tempfile::tempdir().expect("temp dir");
    write_pipeline(folder.path(), "curate_orders");
    std::fs::write(folder.path().join("fail-publish"), "").expect("marker");
    let run = emrflow(folder.path())
        .args(["local", "run", "--root"])
        .arg(root.path())
        .args(["--name", ORIGINAL, "--time-scale", "0.05", "--input"])
        .arg(json!({"PipelineName": "etl", "ProcessingDate": "2026-11-02"}).to_string())
        .output()
        .expect("emrflow runs");
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    (folder, root)
}

fn emrflow(folder: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_emrflow"));
    command.current_dir(folder).env("NO_COLOR", "1");
    command
}

fn rerun(folder: &Path, root: &Path, extra: &[&str]) -> Output {
    emrflow(folder)
        .arg("rerun")
        .args(extra)
        .args(["--local", "--root"])
        .arg(root)
        .args(["--", "--time-scale", "0.05"])
        .output()
        .expect("emrflow runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn record(root: &Path, name: &str) -> ExecutionRecord {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime
        .block_on(LocalExecutions::new(root).record(name))
        .expect("recorded")
}

/// The record of `name` once it has ended (a re-run goes to the background).
fn ended(root: &Path, name: &str) -> ExecutionRecord {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let record = record(root, name);
        if record.execution.status.has_ended() {
            return record;
        }
        assert!(Instant::now() < deadline, "{name} did not end");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Each step's state, with its skip reason or the number of attempts it ran.
fn outcome(record: &ExecutionRecord) -> Vec<(String, String)> {
    record
        .final_steps()
        .expect("a final report")
        .into_iter()
        .map(|step| {
            let said = match &step.skip_reason {
                Some(reason) => format!("{}: {reason}", step.state.as_str()),
                None => format!(
                    "{} after {} attempt(s)",
                    step.state.as_str(),
                    step.attempts.len()
                ),
            };
            (step.name, said)
        })
        .collect()
}

fn step_id(record: &ExecutionRecord, name: &str) -> String {
    let steps = record.final_steps().expect("a final report");
    let step = steps.iter().find(|step| step.name == name).expect("step");
    step.attempts.last().expect("attempt").step_id.clone()
}

#[test]
fn a_run_failed_at_publish_re_runs_from_the_failure_then_a_step_and_what_follows() {
    // GIVEN etl's run of 2026-11-02 failed at publish (its local EMR and cluster gone with it)
    let (folder, root) = failed_at_publish();
    let (dir, root) = (folder.path(), root.path());
    let original = record(root, ORIGINAL);
    assert_eq!(original.execution.status, ExecutionStatus::Failed);
    let completed = |name: &str| {
        format!(
            "SKIPPED: completed in {ORIGINAL} ({})",
            step_id(&original, name)
        )
    };
    // WHEN the cause is fixed and it is re-run from the failure
    std::fs::remove_file(dir.join("fail-publish")).expect("marker removed");
    let output = rerun(dir, root, &[ORIGINAL, "--from-failure"]);
    let said = text(&output);
    // THEN the next attempt of the day starts, saying what it runs and what it skips
    assert_eq!(output.status.code(), Some(0), "{said}");
    assert!(
        said.contains(&format!("started {ORIGINAL}-r2: a re-run of {ORIGINAL}")),
        "{said}"
    );
    assert!(said.contains("runs       publish, run_report"), "{said}");
    let validate_raw_skip = format!("validate_raw   {}", completed("validate_raw"));
    assert!(said.contains(&validate_raw_skip), "{said}");
    // AND it ran exactly publish and run_report; the rest SKIPPED, naming where each completed
    let rerun_record = ended(root, &format!("{ORIGINAL}-r2"));
    assert_eq!(rerun_record.execution.status, ExecutionStatus::Succeeded);
    let reason = |name: &str| (name.to_string(), completed(name));
    assert_eq!(
        outcome(&rerun_record),
        [
            reason("validate_raw"),
            reason("curate_orders"),
            reason("daily_stats"),
            (
                "publish".to_string(),
                "COMPLETED after 1 attempt(s)".to_string()
            ),
            (
                "run_report".to_string(),
                "COMPLETED after 1 attempt(s)".to_string()
            ),
        ]
    );
    // AND show says the same
    let shown = emrflow(dir)
        .args(["show", &format!("{ORIGINAL}-r2"), "--local", "--root"])
        .arg(root)
        .output()
        .expect("emrflow runs");
    assert!(
        text(&shown).contains(&format!("completed in {ORIGINAL} (")),
        "{}",
        text(&shown)
    );

    // WHEN daily_stats is re-run with what follows it
    let output = rerun(dir, root, &[ORIGINAL, "--steps", "daily_stats"]);
    let said = text(&output);
    // THEN the next free attempt runs daily_stats, publish and run_report, and skips the rest
    assert_eq!(output.status.code(), Some(0), "{said}");
    assert!(
        said.contains("runs       daily_stats, publish, run_report"),
        "{said}"
    );
    let by_steps = ended(root, &format!("{ORIGINAL}-r3"));
    assert_eq!(by_steps.execution.status, ExecutionStatus::Succeeded);
    let states: Vec<(String, String)> = outcome(&by_steps);
    assert_eq!(states[0], reason("validate_raw"));
    assert_eq!(states[1], reason("curate_orders"));
    assert_eq!(states[2].1, "COMPLETED after 1 attempt(s)");
    // AND its input names its origin, with the steps it skipped
    let input: Value =
        serde_json::from_str(by_steps.execution.input.as_deref().expect("input")).expect("json");
    assert_eq!(input["RerunOf"]["Execution"], ORIGINAL);
    assert_eq!(input["RerunOf"]["Skip"][1]["Name"], "curate_orders");
    assert_eq!(input["ProcessingDate"], "2026-11-02");
}

#[test]
fn every_refusal_starts_nothing_and_says_why() {
    // GIVEN etl's failed run, and a run of another day still going
    let (folder, root) = failed_at_publish();
    let (dir, root) = (folder.path(), root.path());
    let running = json!({"PipelineName": "etl", "ProcessingDate": "2026-11-03"});
    let _recorder = LocalRecorder::create(
        root,
        description(
            "etl-2026-11-03",
            ExecutionStatus::Running,
            six_am(),
            &running,
        ),
        LocalRun::default(),
    )
    .expect("recorder");
    let before = executions(root);
    let refused = |extra: &[&str], expected: &str| {
        let output = rerun(dir, root, extra);
        let said = text(&output);
        assert_ne!(output.status.code(), Some(0), "{said}");
        assert!(said.contains(expected), "'{expected}' not in: {said}");
        assert_eq!(executions(root), before, "{said}");
    };
    // WHEN … THEN refused, naming why, and no execution (so no cluster) exists
    refused(
        &["etl-2026-12-24", "--from-failure"],
        "no local execution named 'etl-2026-12-24'",
    );
    refused(
        &[ORIGINAL, "--pipeline", "clicks"],
        "InvalidInput: etl-2026-11-02 ran pipeline 'etl', not 'clicks'",
    );
    refused(
        &["etl-2026-11-03"],
        "InvalidInput: etl-2026-11-03 is still RUNNING",
    );
    refused(
        &[ORIGINAL, "--steps", "publsh"],
        "InvalidInput: --steps publsh: the pipeline has no step 'publsh' (did you mean 'publish'?)",
    );
    // AND a step that completed there and was renamed since is refused too
    write_pipeline(dir, "curate");
    refused(
        &[ORIGINAL, "--from-failure"],
        "InvalidInput: step 'curate_orders' completed in etl-2026-11-02, but the pipeline has no step 'curate_orders' now",
    );
}
