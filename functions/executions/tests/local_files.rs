//! The local adapter: what `emrflow local run` records under `<root>/executions/` reads back
//! through the same port as AWS.

use chrono::Duration;
use emrflow_core::ErrorName;
use emrflow_executions::fixtures::{description, six_am, History, TaskFamily};
use emrflow_executions::{
    ExecutionStatus, Executions, ListFilter, LocalExecutions, LocalRecorder, LocalRun, NameTaken,
    StepView,
};
use serde_json::json;

/// Records `name` started `minutes` after six, through validate-input and ensure-cluster.
fn record(root: &std::path::Path, name: &str, minutes: i64, end: Option<ExecutionStatus>) {
    let start = six_am() + Duration::minutes(minutes);
    let input = json!({"ProcessingDate": "2026-11-21"});
    let recorder = LocalRecorder::create(
        root,
        description(name, ExecutionStatus::Running, start, &input),
        LocalRun {
            pid: None,
            emr_endpoint: Some("http://127.0.0.1:1".into()),
        },
    )
    .expect("recorder");
    let events = History::new(start, &input, TaskFamily::Task)
        .created(name, "j-1")
        .running();
    for event in events {
        recorder.event(event);
    }
    if let Some(status) = end {
        let mut ended = description(name, status, start, &input);
        ended.error = Some("StepFailed".into());
        ended.cause = Some("step 'curate' failed".into());
        recorder.finish(ended);
        recorder.steps(&[StepView {
            name: "curate".into(),
            state: emrflow_core::emr::PipelineStepState::Failed,
            skip_reason: None,
            attempts: Vec::new(),
        }]);
    }
}

#[tokio::test]
async fn recorded_executions_list_newest_first_filtered_and_read_back_whole() {
    // GIVEN three local executions, one still running
    let root = tempfile::tempdir().expect("temp dir");
    record(root.path(), "local-a", 0, Some(ExecutionStatus::Failed));
    record(root.path(), "local-b", 10, Some(ExecutionStatus::Succeeded));
    record(root.path(), "local-c", 20, None);
    let local = LocalExecutions::new(root.path());
    // WHEN listed, and filtered
    let all = local
        .list(ListFilter {
            status: None,
            limit: 10,
        })
        .await
        .expect("listed");
    let failed = local
        .list(ListFilter {
            status: Some(ExecutionStatus::Failed),
            limit: 10,
        })
        .await
        .expect("listed");
    let newest = local
        .list(ListFilter {
            status: None,
            limit: 1,
        })
        .await
        .expect("listed");
    // THEN newest first, by status, at most the limit
    let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["local-c", "local-b", "local-a"]);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].name, "local-a");
    assert_eq!(newest[0].name, "local-c");
    // AND a record reads back with its cluster, failure and steps; by name or by ARN
    let read = local.record(&all[2].execution_arn).await.expect("read");
    assert_eq!(read.cluster_id(), Some("j-1"));
    assert_eq!(
        read.failure().and_then(|f| f.error).as_deref(),
        Some("StepFailed")
    );
    assert_eq!(local.steps("local-a").map(|steps| steps.len()), Some(1));
    // AND the running one is RUNNING, its steps not yet known, its endpoint recorded
    let running = local.record("local-c").await.expect("read");
    assert_eq!(running.execution.status, ExecutionStatus::Running);
    assert!(local.steps("local-c").is_none());
    assert_eq!(
        local
            .local_run("local-c")
            .expect("local run")
            .emr_endpoint
            .as_deref(),
        Some("http://127.0.0.1:1")
    );
}

#[tokio::test]
async fn stopping_a_local_execution_without_a_process_explains_ctrl_c() {
    // GIVEN an ended execution and a running one whose process is not recorded
    let root = tempfile::tempdir().expect("temp dir");
    record(
        root.path(),
        "local-done",
        0,
        Some(ExecutionStatus::Succeeded),
    );
    record(root.path(), "local-orphan", 5, None);
    let local = LocalExecutions::new(root.path());
    // WHEN each is stopped
    let done = local
        .stop("local-done", None, None)
        .await
        .expect("answered");
    let orphan = local
        .stop("local-orphan", None, None)
        .await
        .expect("answered");
    // THEN nothing is stopped, and each says why
    assert!(!done.stopped && done.note.contains("already ended (SUCCEEDED)"));
    assert!(
        !orphan.stopped && orphan.note.contains("Ctrl-C"),
        "{}",
        orphan.note
    );
    // AND an unknown name is refused, pointing at `runs --local`
    let error = local.record("nope").await.expect_err("unknown");
    assert!(
        error.message().contains("emrflow runs --local"),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn a_name_that_exists_is_refused_and_its_record_never_overwritten() {
    // GIVEN a failed execution on record
    let root = tempfile::tempdir().expect("temp dir");
    record(root.path(), "local-a", 0, Some(ExecutionStatus::Failed));
    let input = json!({"ProcessingDate": "2026-11-21"});
    // WHEN a new run asks for its name, with the same input
    let again = LocalRecorder::create(
        root.path(),
        description("local-a", ExecutionStatus::Running, six_am(), &input),
        LocalRun::default(),
    );
    // THEN it is refused as Step Functions refuses it, naming the execution
    let Err(NameTaken::Refused(error)) = again else {
        panic!("not refused");
    };
    assert_eq!(error.name(), ErrorName::ExecutionAlreadyExists);
    assert!(error.message().contains("'local-a'"), "{}", error.message());
    // AND the record is the one it was: FAILED, with its history and steps
    let local = LocalExecutions::new(root.path());
    let read = local.record("local-a").await.expect("read");
    assert_eq!(read.execution.status, ExecutionStatus::Failed);
    assert_eq!(read.cluster_id(), Some("j-1"));
    assert_eq!(local.steps("local-a").map(|steps| steps.len()), Some(1));
}

/// A process whose command line says `emrflow` (as a local run's does), for a while.
fn stand_in_run() -> std::process::Child {
    std::process::Command::new("bash")
        .args(["-c", "exec -a emrflow-stand-in sleep 30"])
        .spawn()
        .expect("bash runs")
}

#[tokio::test]
async fn the_same_input_on_a_running_execution_is_that_execution_another_is_refused() {
    // GIVEN an execution running now, in a live process
    let root = tempfile::tempdir().expect("temp dir");
    let mut process = stand_in_run();
    let pid = process.id();
    let input = json!({"ProcessingDate": "2026-11-21"});
    let running = |input: &serde_json::Value| {
        LocalRecorder::create(
            root.path(),
            description("local-live", ExecutionStatus::Running, six_am(), input),
            LocalRun {
                pid: Some(pid),
                emr_endpoint: None,
            },
        )
    };
    let _first = running(&input).expect("recorder");
    // WHEN its name is asked for again with the same input, and with another one
    let same = running(&input);
    let other = running(&json!({"ProcessingDate": "2026-11-22"}));
    // THEN the same input is that execution; another input is ExecutionAlreadyExists
    let Err(NameTaken::SameInputRunning(existing)) = same else {
        panic!("not the running execution");
    };
    assert_eq!(existing.name, "local-live");
    assert!(matches!(other, Err(NameTaken::Refused(error))
        if error.name() == ErrorName::ExecutionAlreadyExists));
    // AND once its process is gone, the same input is refused too (it no longer runs)
    process.kill().expect("killed");
    process.wait().expect("reaped");
    assert!(matches!(running(&input), Err(NameTaken::Refused(_))));
}

#[tokio::test]
async fn generated_names_started_in_the_same_second_never_collide() {
    // GIVEN a moment at which many runs start
    let root = tempfile::tempdir().expect("temp dir");
    let input = json!({});
    // WHEN five are recorded under generated names at once
    let names: Vec<String> = (0..5)
        .map(|_| {
            LocalRecorder::create_new(
                root.path(),
                "local",
                |name| description(name, ExecutionStatus::Running, six_am(), &input),
                LocalRun::default(),
            )
            .expect("recorder")
            .name()
        })
        .collect();
    // THEN five names, five records
    let mut distinct = names.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 5, "{names:?}");
    assert!(names.iter().all(|name| name.starts_with("local-")));
    let local = LocalExecutions::new(root.path());
    let listed = local
        .list(ListFilter {
            status: None,
            limit: 10,
        })
        .await
        .expect("listed");
    assert_eq!(listed.len(), 5);
}
