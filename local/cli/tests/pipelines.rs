//! The pipelines folder through the real `emrflow` binary: `validate` for users' CI,
//! `local run --pipeline-name`, `runs --pipeline`, `start NAME --local` and `pipelines`.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn repo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn emrflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emrflow"))
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("emrflow runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A pipeline whose one step runs `command` on the local EMR, with `schedule` (if any).
fn quick_pipeline(name: &str, command: &str, schedule: Option<Value>) -> Value {
    let mut pipeline = json!({
        "Name": name, "PollIntervalSeconds": 1,
        "Cluster": {"ReleaseLabel": "emr-7.5.0", "Applications": ["Hadoop"],
            "ServiceRole": "EMR_DefaultRole", "JobFlowRole": "EMR_EC2_DefaultRole",
            "LogUri": "s3://logs/emr/",
            "InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]},
        "Steps": [{"Name": "only", "Type": "Command", "Args": [command]}]
    });
    if let Some(schedule) = schedule {
        pipeline["Schedule"] = schedule;
    }
    pipeline
}

fn write(folder: &Path, file: &str, value: &Value) {
    std::fs::write(folder.join(file), value.to_string()).expect("written");
}

#[test]
fn the_repositorys_pipelines_validate_and_exit_zero() {
    // GIVEN the pipelines folder as shipped WHEN validated THEN both are ok with their
    // schedules in their zones, and the exit code is 0
    let output = emrflow(&["validate", "pipelines"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "ok     pipelines/daily-etl.json  daily-etl  cron(0 6 * * ? *) Europe/Berlin"
        ),
        "{text}"
    );
    assert!(text.contains("data-lake"), "{text}");
    assert!(text.contains("multi-tenant"), "{text}");
    assert!(text.ends_with("3 valid, 0 problem(s)\n"), "{text}");
}

#[test]
fn every_bad_pipeline_file_is_reported_with_its_file_and_key_and_exit_one() {
    // GIVEN a folder with two files of one Name, a schedule in an unknown zone, a cron
    // EventBridge would refuse, and a good file
    let folder = tempfile::tempdir().expect("temp dir");
    let dir = folder.path();
    write(dir, "a.json", &quick_pipeline("orders", "true", None));
    write(dir, "b.json", &quick_pipeline("orders", "true", None));
    write(
        dir,
        "c.json",
        &quick_pipeline(
            "zone",
            "true",
            Some(json!({"Cron": "0 2 * * ? *", "Timezone": "Europe/Berln"})),
        ),
    );
    write(
        dir,
        "d.json",
        &quick_pipeline("cron", "true", Some(json!({"Cron": "0 2 * * * *"}))),
    );
    // WHEN validated (text, then JSON)
    let output = emrflow(&["validate", dir.to_str().unwrap()]);
    let json_output = emrflow(&["validate", "--json", dir.to_str().unwrap()]);
    // THEN each problem names its file and key, the good file passes, and the exit code is 1
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    let b = dir.join("b.json");
    let c = dir.join("c.json");
    let d = dir.join("d.json");
    for expected in [
        format!("error  {}: pipeline spec: key 'Name': 'orders' is already the Name of {}", b.display(), dir.join("a.json").display()),
        format!("error  {}: pipeline spec: key 'Schedule.Timezone': 'Europe/Berln' is not an IANA time zone", c.display()),
        format!("error  {}: pipeline spec: key 'Schedule.Cron': '0 2 * * * *' is not a cron expression EventBridge Scheduler accepts", d.display()),
        "1 valid, 3 problem(s)".to_string(),
    ] {
        assert!(text.contains(&expected), "'{expected}' not in:\n{text}");
    }
    assert_eq!(json_output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&json_output.stdout).expect("JSON");
    assert_eq!(report["Pipelines"][0]["Name"], "orders");
    assert_eq!(report["Problems"].as_array().map(Vec::len), Some(3));
}

#[test]
fn an_execution_input_is_checked_against_the_pipelines_as_validate_input_would() {
    // GIVEN the shipped pipelines and an input naming one and carrying a spec too
    let output = emrflow(&[
        "validate",
        "pipelines",
        "--input",
        r#"{"PipelineName": "daily-etl", "Pipeline": {"Name": "x"}}"#,
    ]);
    // WHEN validated THEN refused naming the key, exit code 1
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "error  --input: key 'PipelineName': give PipelineName (a deployed pipeline) or Pipeline"
        ),
        "{text}"
    );
    // AND the example input, naming a pipeline, passes
    let good = emrflow(&[
        "validate",
        "pipelines",
        "--input",
        r#"{"PipelineName": "daily-etl", "ProcessingDate": "2026-11-21"}"#,
    ]);
    assert_eq!(good.status.code(), Some(0), "{}", stdout(&good));
}

#[test]
fn a_pipeline_runs_locally_by_name_and_its_runs_and_last_run_are_found_by_pipeline() {
    // GIVEN a folder of two pipelines, one scheduled in Berlin, one paused
    let folder = tempfile::tempdir().expect("temp dir");
    let root = tempfile::tempdir().expect("temp dir");
    let (dir, root_text) = (folder.path(), root.path().to_str().unwrap());
    write(
        dir,
        "clicks.json",
        &quick_pipeline(
            "clicks",
            "true",
            Some(json!({"Cron": "0 6 * * ? *", "Timezone": "Europe/Berlin"})),
        ),
    );
    write(
        dir,
        "orders.json",
        &quick_pipeline(
            "orders",
            "true",
            Some(json!({"Rate": "12 hours", "Enabled": false})),
        ),
    );
    let dir_text = dir.to_str().unwrap();
    let local_run = |extra: &[&str]| {
        let mut args = vec![
            "local",
            "run",
            "--pipelines",
            dir_text,
            "--root",
            root_text,
            "--time-scale",
            "0.05",
            "--input",
            r#"{"ProcessingDate": "2026-11-21"}"#,
        ];
        args.extend_from_slice(extra);
        emrflow(&args)
    };
    // WHEN it runs without naming a pipeline THEN Input_Rejected lists the deployed ones
    let unnamed = local_run(&["--name", "unnamed"]);
    let text = stdout(&unnamed);
    assert_eq!(unnamed.status.code(), Some(1), "{text}");
    assert!(
        text.contains("'PipelineName': required when more than one pipeline is deployed (deployed: clicks, orders)"),
        "{text}"
    );
    // AND WHEN clicks runs by name THEN it succeeds
    let named = local_run(&["--pipeline-name", "clicks", "--name", "clicks-run"]);
    assert_eq!(named.status.code(), Some(0), "{}", stdout(&named));

    // AND runs --pipeline finds it, and none of orders
    let runs = emrflow(&[
        "runs",
        "--local",
        "--root",
        root_text,
        "--pipeline",
        "clicks",
        "--json",
    ]);
    let rows: Value = serde_json::from_slice(&runs.stdout).expect("JSON");
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    assert_eq!(rows[0]["name"], "clicks-run");
    assert_eq!(rows[0]["pipeline"], "clicks");
    let none = emrflow(&[
        "runs",
        "--local",
        "--root",
        root_text,
        "--pipeline",
        "orders",
    ]);
    assert_eq!(stdout(&none), "no executions of pipeline orders\n");

    // AND pipelines shows each schedule in its zone, the next start, the last run
    let listed = emrflow(&[
        "pipelines",
        "--local",
        "--root",
        root_text,
        "--pipelines",
        dir_text,
    ]);
    let table = stdout(&listed);
    assert_eq!(listed.status.code(), Some(0), "{table}");
    let clicks = table
        .lines()
        .find(|line| line.contains(" clicks "))
        .expect("clicks row");
    assert!(
        clicks.contains("cron(0 6 * * ? *) Europe/Berlin"),
        "{table}"
    );
    assert!(clicks.contains(" 06:00 CE"), "{table}");
    assert!(clicks.contains("clicks-run  SUCCEEDED"), "{table}");
    let orders = table
        .lines()
        .find(|line| line.contains(" orders "))
        .expect("orders row");
    assert!(orders.contains("rate(12 hours) UTC"), "{table}");
    assert!(orders.contains("paused (Enabled false)"), "{table}");
}

#[test]
fn start_names_the_pipeline_and_the_local_run_reads_the_folder() {
    // GIVEN a folder of two pipelines
    let folder = tempfile::tempdir().expect("temp dir");
    let root = tempfile::tempdir().expect("temp dir");
    write(
        folder.path(),
        "a.json",
        &quick_pipeline("alpha", "true", None),
    );
    write(
        folder.path(),
        "b.json",
        &quick_pipeline("beta", "true", None),
    );
    let root_text = root.path().to_str().unwrap();
    // WHEN beta is started by name in the background, with the folder for the local run
    let started = emrflow(&[
        "start",
        "beta",
        "--date",
        "2026-11-21",
        "--name",
        "beta-by-hand",
        "--local",
        "--root",
        root_text,
        "--",
        "--pipelines",
        folder.path().to_str().unwrap(),
        "--time-scale",
        "0.05",
    ]);
    assert_eq!(started.status.code(), Some(0), "{}", stdout(&started));
    assert!(
        stdout(&started).contains(r#""PipelineName":"beta""#),
        "{}",
        stdout(&started)
    );
    // THEN the run ends SUCCEEDED as beta's
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let runs = emrflow(&["runs", "--local", "--root", root_text, "--json"]);
        let rows: Value = serde_json::from_slice(&runs.stdout).expect("JSON");
        if rows[0]["status"] == "SUCCEEDED" {
            assert_eq!(rows[0]["pipeline"], "beta");
            assert_eq!(rows[0]["processingDate"], "2026-11-21");
            break;
        }
        assert!(Instant::now() < deadline, "the run did not succeed: {rows}");
        std::thread::sleep(Duration::from_millis(300));
    }
}
