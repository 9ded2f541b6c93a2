//! `emrflow backfill` on AWS, exactly as sent (aws-smithy-mocks behind the real Step Functions
//! client): one ListExecutions to plan, StartExecution of the days to run under the daily
//! naming rule with the schedule's input, DescribeExecution to follow them; nothing for the
//! day that succeeded.

mod operate_support;

use operate_support::aws_backend;

use std::sync::{Arc, Mutex};

use aws_sdk_sfn::operation::describe_execution::{DescribeExecutionInput, DescribeExecutionOutput};
use aws_sdk_sfn::operation::list_executions::{ListExecutionsInput, ListExecutionsOutput};
use aws_sdk_sfn::operation::start_execution::{StartExecutionInput, StartExecutionOutput};
use aws_sdk_sfn::types::{ExecutionListItem, ExecutionStatus as SdkStatus};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::DateTime;
use emrflow::operate::{backfill, BackfillArgs, Target};

const MACHINE: &str = "arn:aws:states:us-east-1:111122223333:stateMachine:emrflow-Sm-1A";

fn arn(name: &str) -> String {
    format!("{MACHINE}:{name}").replace(":stateMachine:", ":execution:")
}

fn item(name: &str, status: SdkStatus) -> ExecutionListItem {
    ExecutionListItem::builder()
        .execution_arn(arn(name))
        .state_machine_arn(MACHINE)
        .name(name)
        .status(status)
        .start_date(DateTime::from_secs(1_795_327_200))
        .stop_date(DateTime::from_secs(1_795_327_260))
        .build()
        .expect("an item")
}

fn seen<T>() -> Arc<Mutex<Vec<T>>> {
    Arc::new(Mutex::new(Vec::new()))
}

fn args(extra_retry: bool) -> BackfillArgs {
    BackfillArgs {
        pipeline: "etl".into(),
        from: "2026-11-01".into(),
        to: "2026-11-03".into(),
        parallel: 1,
        dry_run: false,
        missing: false,
        retry_failed: extra_retry,
        pipelines: Some("no-such-folder".into()),
        poll_seconds: Some(0.01),
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

#[tokio::test]
async fn a_backfill_lists_once_starts_the_days_to_run_by_their_daily_names_and_follows_them() {
    // GIVEN Step Functions holding etl's 1st of November SUCCEEDED and its 2nd FAILED
    let listed = seen::<ListExecutionsInput>();
    let record = listed.clone();
    let list = mock!(aws_sdk_sfn::Client::list_executions).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        ListExecutionsOutput::builder()
            .executions(item("etl-2026-11-02", SdkStatus::Failed))
            .executions(item("etl-2026-11-01", SdkStatus::Succeeded))
            .executions(item("other-2026-11-03", SdkStatus::Succeeded))
            .build()
            .expect("a page")
    });
    let started = seen::<StartExecutionInput>();
    let record = started.clone();
    let start = mock!(aws_sdk_sfn::Client::start_execution).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        StartExecutionOutput::builder()
            .execution_arn(arn(input.name().unwrap_or_default()))
            .start_date(DateTime::from_secs(1_795_327_200))
            .build()
            .expect("an output")
    });
    let described = seen::<DescribeExecutionInput>();
    let record = described.clone();
    let describe =
        mock!(aws_sdk_sfn::Client::describe_execution).then_compute_output(move |input| {
            record.lock().unwrap().push(input.clone());
            let arn = input.execution_arn().unwrap_or_default().to_string();
            DescribeExecutionOutput::builder()
                .name(arn.rsplit(':').next().unwrap_or_default())
                .execution_arn(arn)
                .state_machine_arn(MACHINE)
                .status(SdkStatus::Succeeded)
                .start_date(DateTime::from_secs(1_795_327_200))
                .stop_date(DateTime::from_secs(1_795_327_500))
                .build()
                .expect("a description")
        });
    let backend = aws_backend(
        mock_client!(aws_sdk_sfn, RuleMode::MatchAny, &[&list, &start, &describe]),
        MACHINE,
        ".local",
    );
    // WHEN the three days are backfilled with --retry-failed
    let mut events = Vec::new();
    let printed = backfill(&backend, &args(true), &mut events)
        .await
        .expect("backfilled");
    // THEN one listing of the state machine, in pages of 1,000
    let listed = listed.lock().unwrap().clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state_machine_arn(), Some(MACHINE));
    assert_eq!(listed[0].max_results(), Some(1000));
    assert_eq!(listed[0].status_filter(), None);
    // AND exactly two starts, oldest day first: the 2nd's second attempt and the 3rd, each
    // with the input the schedule sends
    let started = started.lock().unwrap().clone();
    let names: Vec<Option<&str>> = started.iter().map(StartExecutionInput::name).collect();
    assert_eq!(names, [Some("etl-2026-11-02-r2"), Some("etl-2026-11-03")]);
    assert!(started
        .iter()
        .all(|input| input.state_machine_arn() == Some(MACHINE)));
    assert_eq!(
        started[1].input(),
        Some(
            r#"{"PipelineName":"etl","CreateCluster":true,"TerminateCluster":true,"ProcessingDate":"2026-11-03"}"#
        )
    );
    // AND each started one was followed by DescribeExecution of its ARN until it ended
    let described: Vec<String> = described
        .lock()
        .unwrap()
        .iter()
        .filter_map(|input| input.execution_arn().map(str::to_string))
        .collect();
    assert_eq!(described, [arn("etl-2026-11-02-r2"), arn("etl-2026-11-03")]);
    // AND every day SUCCEEDED: exit 0, the 1st listed as skipped
    assert_eq!(
        format!("{:?}", printed.code),
        format!("{:?}", std::process::ExitCode::SUCCESS)
    );
    assert!(
        printed.stdout.contains("succeeded before: skipped"),
        "{}",
        printed.stdout
    );
    assert!(
        printed.stdout.contains("3 of 3 days SUCCEEDED"),
        "{}",
        printed.stdout
    );
    let events = String::from_utf8(events).expect("text");
    assert_eq!(
        events
            .lines()
            .filter(|line| line.contains(" started "))
            .count(),
        2,
        "{events}"
    );
}
