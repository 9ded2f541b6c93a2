//! The Step Functions adapter: the exact requests it sends (aws-smithy-mocks behind the real
//! aws-sdk-sfn client) and what it makes of the answers.

use std::sync::{Arc, Mutex};

use aws_sdk_sfn::config::retry::RetryConfig;
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::operation::get_execution_history::{
    GetExecutionHistoryInput, GetExecutionHistoryOutput,
};
use aws_sdk_sfn::operation::list_executions::{ListExecutionsInput, ListExecutionsOutput};
use aws_sdk_sfn::operation::start_execution::{StartExecutionInput, StartExecutionOutput};
use aws_sdk_sfn::operation::stop_execution::{StopExecutionInput, StopExecutionOutput};
use aws_sdk_sfn::types::{
    ExecutionListItem, ExecutionStatus as SdkStatus, HistoryEvent, HistoryEventType,
    LambdaFunctionSucceededEventDetails, StateEnteredEventDetails,
};
use aws_sdk_sfn::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::DateTime;
use emrflow_executions::{ExecutionStatus, Executions, ListFilter, SfnExecutions};

const MACHINE: &str = "arn:aws:states:us-east-1:111122223333:stateMachine:emrflow-Sm-1A";
const EXECUTION: &str =
    "arn:aws:states:us-east-1:111122223333:execution:emrflow-Sm-1A:daily-2026-11-21";

fn executions(rules: &[&Rule]) -> SfnExecutions {
    let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, rules, |config| config
        .retry_config(RetryConfig::disabled()));
    SfnExecutions::new(client, MACHINE)
}

fn seen<T>() -> Arc<Mutex<Vec<T>>> {
    Arc::new(Mutex::new(Vec::new()))
}

fn item(name: &str, status: SdkStatus) -> ExecutionListItem {
    ExecutionListItem::builder()
        .execution_arn(format!("{MACHINE}:{name}").replace(":stateMachine:", ":execution:"))
        .state_machine_arn(MACHINE)
        .name(name)
        .status(status)
        .start_date(DateTime::from_secs(1_795_327_200))
        .build()
        .expect("an item")
}

fn describe(status: SdkStatus) -> Rule {
    mock!(Client::describe_execution).then_output(move || {
        DescribeExecutionOutput::builder()
            .execution_arn(EXECUTION)
            .state_machine_arn(MACHINE)
            .name("daily-2026-11-21")
            .status(status.clone())
            .start_date(DateTime::from_secs(1_795_327_200))
            .input(r#"{"ProcessingDate":"2026-11-21"}"#)
            .build()
            .expect("a description")
    })
}

#[tokio::test]
async fn list_filters_by_status_and_stops_at_the_limit_across_pages() {
    // GIVEN executions in pages of two
    let requests = seen::<ListExecutionsInput>();
    let record = requests.clone();
    let rule = mock!(Client::list_executions).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        let page = input.next_token().map_or(0, |_| 1);
        ListExecutionsOutput::builder()
            .executions(item(&format!("run-{page}a"), SdkStatus::Failed))
            .executions(item(&format!("run-{page}b"), SdkStatus::Failed))
            .set_next_token((page == 0).then(|| "page-2".to_string()))
            .build()
            .expect("a page")
    });
    // WHEN three FAILED ones are asked for
    let listed = executions(&[&rule])
        .list(ListFilter {
            status: Some(ExecutionStatus::Failed),
            limit: 3,
        })
        .await
        .expect("listed");
    // THEN two pages of this state machine, FAILED, three per page at most; three returned
    let names: Vec<&str> = listed.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["run-0a", "run-0b", "run-1a"]);
    assert!(listed.iter().all(|e| e.status == ExecutionStatus::Failed));
    let requests = requests.lock().unwrap();
    assert_eq!(requests.len(), 2);
    for request in requests.iter() {
        assert_eq!(request.state_machine_arn(), Some(MACHINE));
        assert_eq!(request.status_filter(), Some(&SdkStatus::Failed));
        assert_eq!(request.max_results(), Some(3));
    }
    assert_eq!(requests[1].next_token(), Some("page-2"));
}

#[tokio::test]
async fn record_reads_the_description_and_every_page_of_the_history() {
    // GIVEN a history in two pages: the cluster in the second
    let requests = seen::<GetExecutionHistoryInput>();
    let record = requests.clone();
    let history = mock!(Client::get_execution_history).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        let first_page = input.next_token().is_none();
        let event = if first_page {
            HistoryEvent::builder()
                .timestamp(DateTime::from_secs(1_795_327_201))
                .r#type(HistoryEventType::TaskStateEntered)
                .id(2)
                .state_entered_event_details(
                    StateEnteredEventDetails::builder()
                        .name("Create_A_Cluster")
                        .build()
                        .expect("details"),
                )
                .build()
        } else {
            HistoryEvent::builder()
                .timestamp(DateTime::from_secs(1_795_327_202))
                .r#type(HistoryEventType::LambdaFunctionSucceeded)
                .id(5)
                .lambda_function_succeeded_event_details(
                    LambdaFunctionSucceededEventDetails::builder()
                        .output(r#"{"ClusterId":"j-1","Created":true,"ClusterName":"emrflow-orders-x","State":"STARTING","LogUri":"s3://logs/","TerminationProtected":false}"#)
                        .build(),
                )
                .build()
        };
        GetExecutionHistoryOutput::builder()
            .events(event.expect("an event"))
            .set_next_token(first_page.then(|| "more".to_string()))
            .build()
            .expect("a page")
    });
    let describe = describe(SdkStatus::Aborted);
    // WHEN the execution is read by its name
    let read = executions(&[&describe, &history])
        .record("daily-2026-11-21")
        .await
        .expect("read");
    // THEN both pages were asked for the execution's ARN, with its data, 1000 at a time
    let requests = requests.lock().unwrap();
    assert_eq!(requests.len(), 2);
    for request in requests.iter() {
        assert_eq!(request.execution_arn(), Some(EXECUTION));
        assert_eq!(request.include_execution_data(), Some(true));
        assert_eq!(request.max_results(), Some(1000));
    }
    assert_eq!(requests[1].next_token(), Some("more"));
    // AND the record has the status, the date and the cluster of the second page
    assert_eq!(read.execution.status, ExecutionStatus::Aborted);
    assert_eq!(read.processing_date().as_deref(), Some("2026-11-21"));
    assert_eq!(read.cluster_id(), Some("j-1"));
    assert_eq!(read.events.len(), 2);
}

#[tokio::test]
async fn start_sends_the_name_and_input_to_this_state_machine() {
    // GIVEN Step Functions accepting a start
    let requests = seen::<StartExecutionInput>();
    let record = requests.clone();
    let rule = mock!(Client::start_execution).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        StartExecutionOutput::builder()
            .execution_arn(EXECUTION)
            .start_date(DateTime::from_secs(1_795_327_200))
            .build()
            .expect("an output")
    });
    // WHEN an execution is started
    let started = executions(&[&rule])
        .start(
            "manual-20261122T060000Z",
            r#"{"ProcessingDate":"2026-11-21"}"#,
        )
        .await
        .expect("started");
    // THEN exactly that request, and its ARN back
    let request = requests.lock().unwrap()[0].clone();
    assert_eq!(request.state_machine_arn(), Some(MACHINE));
    assert_eq!(request.name(), Some("manual-20261122T060000Z"));
    assert_eq!(request.input(), Some(r#"{"ProcessingDate":"2026-11-21"}"#));
    assert_eq!(started.execution_arn, EXECUTION);
}

#[tokio::test]
async fn stop_sends_stop_execution_only_for_a_running_execution() {
    // GIVEN a running execution
    let requests = seen::<StopExecutionInput>();
    let record = requests.clone();
    let stop = mock!(Client::stop_execution).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        StopExecutionOutput::builder()
            .stop_date(DateTime::from_secs(1_795_327_900))
            .build()
            .expect("an output")
    });
    let running = describe(SdkStatus::Running);
    // WHEN it is stopped with a cause
    let outcome = executions(&[&running, &stop])
        .stop("daily-2026-11-21", Some("Manual"), Some("bad data"))
        .await
        .expect("stopped");
    // THEN StopExecution went to its ARN with the error and cause
    let request = requests.lock().unwrap()[0].clone();
    assert_eq!(request.execution_arn(), Some(EXECUTION));
    assert_eq!(request.error(), Some("Manual"));
    assert_eq!(request.cause(), Some("bad data"));
    assert!(outcome.stopped);
    // AND an execution that has ended is not stopped again
    let ended = describe(SdkStatus::Succeeded);
    let never = mock!(Client::stop_execution).then_output(|| {
        StopExecutionOutput::builder()
            .stop_date(DateTime::from_secs(0))
            .build()
            .expect("an output")
    });
    let outcome = executions(&[&ended, &never])
        .stop(EXECUTION, None, None)
        .await
        .expect("answered");
    assert!(!outcome.stopped);
    assert_eq!(never.num_calls(), 0);
    assert!(
        outcome.note.contains("already ended (SUCCEEDED)"),
        "{}",
        outcome.note
    );
}

#[tokio::test]
async fn a_rejected_request_is_named_and_worded() {
    // GIVEN Step Functions answering ExecutionDoesNotExist
    let rule = mock!(Client::describe_execution).then_error(|| {
        aws_sdk_sfn::operation::describe_execution::DescribeExecutionError::ExecutionDoesNotExist(
            aws_sdk_sfn::types::error::ExecutionDoesNotExist::builder()
                .message("Execution Does Not Exist: 'x'")
                .meta(
                    aws_sdk_sfn::error::ErrorMetadata::builder()
                        .code("ExecutionDoesNotExist")
                        .message("Execution Does Not Exist: 'x'")
                        .build(),
                )
                .build(),
        )
    });
    // WHEN an execution is read
    let error = executions(&[&rule])
        .record("nope")
        .await
        .expect_err("rejected");
    // THEN AwsRequestRejected naming the operation, the service and its message
    assert_eq!(error.name().as_str(), "AwsRequestRejected");
    assert!(
        error.message().contains("DescribeExecution: Step Functions answered ExecutionDoesNotExist: Execution Does Not Exist"),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn progress_reads_the_history_newest_first_only_back_to_the_last_event_seen() {
    // GIVEN a history of events 1..=5, served newest first two at a time
    let requests = seen::<GetExecutionHistoryInput>();
    let record = requests.clone();
    let history = mock!(Client::get_execution_history).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        let (ids, next) = match input.next_token() {
            None => ([5, 4], Some("older")),
            Some("older") => ([3, 2], Some("oldest")),
            Some(_) => ([1, 0], None),
        };
        let events = ids.into_iter().filter(|id| *id > 0).map(|id| {
            HistoryEvent::builder()
                .timestamp(DateTime::from_secs(1_795_327_200 + id))
                .r#type(HistoryEventType::TaskStateEntered)
                .id(id)
                .state_entered_event_details(
                    StateEnteredEventDetails::builder()
                        .name(format!("State_{id}"))
                        .build()
                        .expect("details"),
                )
                .build()
                .expect("an event")
        });
        GetExecutionHistoryOutput::builder()
            .set_events(Some(events.collect()))
            .set_next_token(next.map(str::to_string))
            .build()
            .expect("a page")
    });
    let describe = describe(SdkStatus::Running);
    // WHEN a follower that has shown events up to 3 looks again
    let progress = executions(&[&describe, &history])
        .progress("daily-2026-11-21", 3)
        .await
        .expect("read");
    // THEN it gets events 4 and 5, oldest first, and the execution's status
    let ids: Vec<u64> = progress
        .events
        .iter()
        .map(emrflow_executions::events::event_id)
        .collect();
    assert_eq!(ids, [4, 5]);
    assert_eq!(progress.execution.status, ExecutionStatus::Running);
    // AND it asked newest first, with the execution's data, and stopped at the page holding
    // event 3: the oldest page was never read
    let requests = requests.lock().unwrap();
    assert_eq!(requests.len(), 2);
    for request in requests.iter() {
        assert_eq!(request.execution_arn(), Some(EXECUTION));
        assert_eq!(request.reverse_order(), Some(true));
        assert_eq!(request.include_execution_data(), Some(true));
        assert_eq!(request.max_results(), Some(100));
    }
    assert_eq!(requests[1].next_token(), Some("older"));
}
