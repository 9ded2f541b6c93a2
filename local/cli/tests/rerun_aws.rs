//! `emrflow rerun` on AWS, exactly as sent (aws-smithy-mocks behind the real Step Functions
//! client): DescribeExecution and GetExecutionHistory of the original — its steps from its
//! history's final check-steps report, no EMR call, so a terminated cluster does not matter —
//! then one StartExecution of its next attempt whose input names its origin; and nothing
//! started when the original does not exist or belongs to another state machine.

mod operate_support;

use operate_support::aws_backend;

use std::sync::{Arc, Mutex};

use aws_sdk_sfn::operation::describe_execution::{
    DescribeExecutionError, DescribeExecutionInput, DescribeExecutionOutput,
};
use aws_sdk_sfn::operation::get_execution_history::{
    GetExecutionHistoryInput, GetExecutionHistoryOutput,
};
use aws_sdk_sfn::operation::start_execution::{StartExecutionInput, StartExecutionOutput};
use aws_sdk_sfn::types::error::ExecutionDoesNotExist;
use aws_sdk_sfn::types::ExecutionStatus as SdkStatus;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::DateTime;
use emrflow::operate::{rerun, Backend, RerunArgs, Target};
use emrflow_executions::fixtures::{check_completed, sdk_events, six_am, History, TaskFamily};
use emrflow_executions::record::CHECK_STEPS;
use serde_json::{json, Value};

const MACHINE: &str = "arn:aws:states:us-east-1:111122223333:stateMachine:emrflow-Sm-1A";
const ORIGINAL: &str = "orders-2026-11-21";

fn arn(machine: &str, name: &str) -> String {
    format!("{machine}:{name}").replace(":stateMachine:", ":execution:")
}

fn seen<T>() -> Arc<Mutex<Vec<T>>> {
    Arc::new(Mutex::new(Vec::new()))
}

fn input() -> Value {
    json!({"PipelineName": "orders", "ProcessingDate": "2026-11-21"})
}

/// A pipelines folder as deployed: orders, extract → publish.
fn pipelines() -> tempfile::TempDir {
    let folder = tempfile::tempdir().expect("temp dir");
    let spec = json!({
        "Name": "orders",
        "Cluster": {"ReleaseLabel": "emr-7.5.0", "ServiceRole": "EMR_DefaultRole",
            "JobFlowRole": "EMR_EC2_DefaultRole", "LogUri": "s3://logs/emr/",
            "InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]},
        "Steps": [
            {"Name": "extract", "Type": "Command", "Args": ["true"]},
            {"Name": "publish", "Type": "Command", "Args": ["true"], "DependsOn": ["extract"]}
        ]
    });
    std::fs::write(folder.path().join("orders.json"), spec.to_string()).expect("written");
    folder
}

fn args(folder: &std::path::Path) -> RerunArgs {
    RerunArgs {
        execution: ORIGINAL.into(),
        from_failure: true,
        steps: Vec::new(),
        cluster: Some("j-2REUSED".into()),
        pipeline: None,
        pipelines: Some(folder.to_path_buf()),
        target: Target {
            local: false,
            root: ".local".into(),
            state_machine: Some(MACHINE.into()),
            stack: "emrflow".into(),
            region: None,
            profile: None,
            json: false,
        },
        local_run_args: Vec::new(),
    }
}

fn backend(rules: &[&Rule]) -> Backend {
    // No EMR: the original's steps must come from its history.
    aws_backend(
        mock_client!(aws_sdk_sfn, RuleMode::MatchAny, rules),
        MACHINE,
        "no-such-root",
    )
}

/// DescribeExecution answering `ORIGINAL` FAILED, of `machine`.
fn described(machine: &'static str, seen: Arc<Mutex<Vec<DescribeExecutionInput>>>) -> Rule {
    mock!(aws_sdk_sfn::Client::describe_execution).then_compute_output(move |request| {
        seen.lock().unwrap().push(request.clone());
        DescribeExecutionOutput::builder()
            .execution_arn(arn(machine, ORIGINAL))
            .state_machine_arn(machine)
            .name(ORIGINAL)
            .status(SdkStatus::Failed)
            .input(input().to_string())
            .start_date(DateTime::from_secs(six_am().timestamp()))
            .stop_date(DateTime::from_secs(six_am().timestamp() + 600))
            .build()
            .expect("description")
    })
}

#[tokio::test]
async fn a_rerun_reads_the_originals_history_and_starts_its_next_attempt_skipping_what_completed() {
    // GIVEN orders' run of 2026-11-21 FAILED at publish, extract COMPLETED as s-1EXTRACT, its
    // history's last check-steps report saying so (its cluster long gone: EMR is not asked)
    let events = History::new(six_am(), &input(), TaskFamily::Lambda)
        .created(ORIGINAL, "j-1GONE")
        .task(
            CHECK_STEPS,
            "check-steps",
            &check_completed(
                "j-1GONE",
                &[
                    ("extract", "s-1EXTRACT", "COMPLETED"),
                    ("publish", "s-2PUBLISH", "FAILED"),
                ],
            ),
        )
        .failed("StepFailed", "step 'publish' failed");
    let typed = sdk_events(&events);
    let histories = seen::<GetExecutionHistoryInput>();
    let record = histories.clone();
    let history =
        mock!(aws_sdk_sfn::Client::get_execution_history).then_compute_output(move |request| {
            record.lock().unwrap().push(request.clone());
            GetExecutionHistoryOutput::builder()
                .set_events(Some(typed.clone()))
                .build()
                .expect("history")
        });
    let descriptions = seen::<DescribeExecutionInput>();
    let describe = described(MACHINE, descriptions.clone());
    let starts = seen::<StartExecutionInput>();
    let record = starts.clone();
    let start = mock!(aws_sdk_sfn::Client::start_execution).then_compute_output(move |request| {
        record.lock().unwrap().push(request.clone());
        StartExecutionOutput::builder()
            .execution_arn(arn(MACHINE, request.name().unwrap_or_default()))
            .start_date(DateTime::from_secs(six_am().timestamp() + 3600))
            .build()
            .expect("an output")
    });
    let folder = pipelines();
    // WHEN it is re-run from the failure on an existing cluster
    let printed = rerun(
        &backend(&[&describe, &history, &start]),
        &args(folder.path()),
    )
    .await
    .expect("started");
    // THEN the original was described and its history read, by its ARN
    let original_arn = arn(MACHINE, ORIGINAL);
    assert_eq!(
        descriptions.lock().unwrap()[0].execution_arn(),
        Some(original_arn.as_str())
    );
    assert_eq!(
        histories.lock().unwrap()[0].execution_arn(),
        Some(original_arn.as_str())
    );
    // AND one StartExecution: the next attempt, the same pipeline and day, on that cluster,
    // naming its origin and the step it skips
    let starts = starts.lock().unwrap();
    assert_eq!(starts.len(), 1);
    assert_eq!(starts[0].state_machine_arn(), Some(MACHINE));
    assert_eq!(starts[0].name(), Some("orders-2026-11-21-r2"));
    let sent: Value = serde_json::from_str(starts[0].input().unwrap_or_default()).expect("json");
    assert_eq!(
        sent,
        json!({"PipelineName": "orders", "ProcessingDate": "2026-11-21",
               "CreateCluster": false, "ClusterId": "j-2REUSED",
               "RerunOf": {"Execution": ORIGINAL,
                           "Skip": [{"Name": "extract", "StepId": "s-1EXTRACT"}]}})
    );
    assert!(
        printed
            .stdout
            .contains("skips      extract  SKIPPED: completed in orders-2026-11-21 (s-1EXTRACT)"),
        "{}",
        printed.stdout
    );
}

#[tokio::test]
async fn a_rerun_of_a_missing_execution_or_another_state_machines_starts_nothing() {
    // GIVEN Step Functions answering ExecutionDoesNotExist, and StartExecution counted
    let missing = mock!(aws_sdk_sfn::Client::describe_execution).then_error(|| {
        DescribeExecutionError::ExecutionDoesNotExist(
            ExecutionDoesNotExist::builder()
                .message("Execution Does Not Exist")
                .build(),
        )
    });
    let start = mock!(aws_sdk_sfn::Client::start_execution)
        .then_output(|| StartExecutionOutput::builder().build().expect("an output"));
    let folder = pipelines();
    // WHEN it is re-run THEN refused, saying so, and nothing started
    let error = rerun(&backend(&[&missing, &start]), &args(folder.path()))
        .await
        .expect_err("refused");
    assert!(error.contains("cannot re-run"), "{error}");
    assert!(error.contains("Execution Does Not Exist"), "{error}");
    assert_eq!(start.num_calls(), 0);
    // GIVEN the name is an execution of another state machine
    const OTHER: &str = "arn:aws:states:us-east-1:111122223333:stateMachine:other";
    let other = described(OTHER, seen());
    let history = mock!(aws_sdk_sfn::Client::get_execution_history).then_output(|| {
        GetExecutionHistoryOutput::builder()
            .set_events(Some(Vec::new()))
            .build()
            .expect("history")
    });
    // WHEN it is re-run THEN refused, naming both, and nothing started
    let error = rerun(&backend(&[&other, &history, &start]), &args(folder.path()))
        .await
        .expect_err("refused");
    assert!(
        error.contains(&format!(
            "InvalidInput: {ORIGINAL} is an execution of another state machine ({OTHER})"
        )),
        "{error}"
    );
    assert_eq!(start.num_calls(), 0);
}
