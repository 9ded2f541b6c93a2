//! GIVEN / WHEN / THEN tests of the daily start against a Step Functions fake that keeps
//! execution names unique the way the service does (aws-smithy-mocks behind the real SDK
//! client, so the request the SDK would send is what gets asserted).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_sdk_sfn::operation::start_execution::{
    StartExecutionError, StartExecutionInput, StartExecutionOutput,
};
use aws_sdk_sfn::primitives::DateTime;
use aws_sdk_sfn::types::error::{ExecutionAlreadyExists, StateMachineDoesNotExist};
use aws_smithy_mocks::{mock, mock_client, MockResponse, Rule, RuleMode};
use emrflow_core::EmrflowError;
use emrflow_executions::handlers::start_daily::*;
use emrflow_executions::{execution_arn, SfnExecutions};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

const STATE_MACHINE_ARN: &str = "arn:aws:states:eu-west-1:123456789012:stateMachine:emrflow-abc";

/// Records every StartExecution request and answers like Step Functions: a new name starts
/// an execution, a name seen before answers ExecutionAlreadyExists.
#[derive(Clone, Default)]
struct FakeStepFunctions {
    requests: Arc<Mutex<Vec<StartExecutionInput>>>,
    started: Arc<Mutex<BTreeSet<String>>>,
}

impl FakeStepFunctions {
    fn rule(&self) -> Rule {
        let fake = self.clone();
        mock!(aws_sdk_sfn::Client::start_execution).then_compute_response(move |request| {
            fake.requests.lock().unwrap().push(request.clone());
            let name = request.name().unwrap_or_default().to_string();
            if fake.started.lock().unwrap().insert(name.clone()) {
                MockResponse::Output(
                    StartExecutionOutput::builder()
                        .execution_arn(execution_arn(
                            request.state_machine_arn().unwrap_or_default(),
                            &name,
                        ))
                        .start_date(DateTime::from_secs(1_795_000_000))
                        .build()
                        .unwrap(),
                )
            } else {
                MockResponse::Error(StartExecutionError::ExecutionAlreadyExists(
                    ExecutionAlreadyExists::builder()
                        .message(format!("Execution Already Exists: '{name}'"))
                        .build(),
                ))
            }
        })
    }

    fn requests(&self) -> Vec<StartExecutionInput> {
        self.requests.lock().unwrap().clone()
    }

    fn started_executions(&self) -> Vec<String> {
        self.started.lock().unwrap().iter().cloned().collect()
    }
}

fn config(offset: Option<&str>) -> StartDailyConfig {
    let offset = offset.map(str::to_string);
    StartDailyConfig::from_env(|name| match name {
        STATE_MACHINE_ARN_ENV => Some(STATE_MACHINE_ARN.to_string()),
        PROCESSING_DAY_OFFSET_ENV => offset.clone(),
        _ => None,
    })
    .unwrap()
}

fn starter_with(fake: &FakeStepFunctions, config: StartDailyConfig) -> StartDaily {
    let rule = fake.rule();
    starter(
        mock_client!(aws_sdk_sfn, RuleMode::MatchAny, &[&rule]),
        config,
    )
}

/// start-daily over the Executions port on `client`, as deployed.
fn starter(client: aws_sdk_sfn::Client, config: StartDailyConfig) -> StartDaily {
    let executions = SfnExecutions::new(client, config.state_machine_arn.clone());
    StartDaily::new(Arc::new(executions), config)
}

/// The event EventBridge sends for a scheduled rule.
fn scheduled_event(time: &str) -> EventBridgeEvent {
    serde_json::from_value(serde_json::json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time,
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/emrflow-daily"],
        "detail": {}
    }))
    .unwrap()
}

fn sent_input(request: &StartExecutionInput) -> serde_json::Value {
    serde_json::from_str(request.input().unwrap()).unwrap()
}

#[tokio::test]
async fn given_the_same_schedule_tick_delivered_twice_when_handled_then_one_execution_and_both_succeed_with_the_same_name(
) {
    // GIVEN a Step Functions that keeps execution names unique, and the 06:00 tick of 22 Nov
    let fake = FakeStepFunctions::default();
    let starter = starter_with(&fake, config(None));
    let event = scheduled_event("2026-11-22T06:00:00Z");

    // WHEN EventBridge delivers it twice
    let first = starter.start_for_event(&event).await.unwrap();
    let second = starter.start_for_event(&event).await.unwrap();

    // THEN exactly one execution exists, the second delivery answers success for it
    assert_eq!(
        fake.started_executions(),
        vec!["daily-2026-11-21".to_string()]
    );
    assert_eq!(fake.requests().len(), 2);
    assert_eq!(first.execution_name, "daily-2026-11-21");
    assert!(!first.already_started);
    assert_eq!(second.execution_name, first.execution_name);
    assert_eq!(second.execution_arn, first.execution_arn);
    assert!(second.already_started);
    assert_eq!(
        first.execution_arn,
        "arn:aws:states:eu-west-1:123456789012:execution:emrflow-abc:daily-2026-11-21"
    );
}

#[tokio::test]
async fn given_default_offset_when_scheduled_then_start_execution_request_is_exactly_yesterday() {
    // GIVEN no PROCESSING_DAY_OFFSET (default 1) and a tick shortly after midnight UTC
    let fake = FakeStepFunctions::default();
    let starter = starter_with(&fake, config(None));

    // WHEN the tick is handled
    let output = starter
        .start_for_event(&scheduled_event("2026-03-01T00:05:00Z"))
        .await
        .unwrap();

    // THEN the request names the state machine from STATE_MACHINE_ARN, the day before
    // (across the month end) in the name, and the documented input
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.state_machine_arn(), Some(STATE_MACHINE_ARN));
    assert_eq!(request.name(), Some("daily-2026-02-28"));
    assert_eq!(
        sent_input(request),
        serde_json::json!({
            "CreateCluster": true,
            "TerminateCluster": true,
            "ProcessingDate": "2026-02-28"
        })
    );
    assert_eq!(output.processing_date, "2026-02-28");
}

#[tokio::test]
async fn given_offset_zero_when_scheduled_then_the_event_day_itself_is_processed() {
    // GIVEN PROCESSING_DAY_OFFSET=0
    let fake = FakeStepFunctions::default();
    let starter = starter_with(&fake, config(Some("0")));

    // WHEN a tick late in the UTC day is handled
    let output = starter
        .start_for_event(&scheduled_event("2026-11-22T23:59:59Z"))
        .await
        .unwrap();

    // THEN the name and the input carry the event's own UTC date
    let request = &fake.requests()[0];
    assert_eq!(request.name(), Some("daily-2026-11-22"));
    assert_eq!(sent_input(request)["ProcessingDate"], "2026-11-22");
    assert_eq!(output.execution_name, "daily-2026-11-22");
}

#[tokio::test]
async fn given_an_event_time_with_an_offset_when_scheduled_then_the_utc_date_is_used() {
    // GIVEN offset 1 and an event time written in +02:00 that is still the 21st in UTC
    let fake = FakeStepFunctions::default();
    let starter = starter_with(&fake, config(Some("1")));

    // WHEN it is handled
    starter
        .start_for_event(&scheduled_event("2026-11-22T01:30:00+02:00"))
        .await
        .unwrap();

    // THEN the processing day is UTC 21st minus one
    assert_eq!(fake.requests()[0].name(), Some("daily-2026-11-20"));
}

#[tokio::test]
async fn given_two_different_days_when_scheduled_then_two_executions_are_started() {
    // GIVEN ticks on two consecutive days
    let fake = FakeStepFunctions::default();
    let starter = starter_with(&fake, config(None));

    // WHEN both are handled
    starter
        .start_for_event(&scheduled_event("2026-11-22T06:00:00Z"))
        .await
        .unwrap();
    starter
        .start_for_event(&scheduled_event("2026-11-23T06:00:00Z"))
        .await
        .unwrap();

    // THEN each day has its own execution
    assert_eq!(
        fake.started_executions(),
        vec![
            "daily-2026-11-21".to_string(),
            "daily-2026-11-22".to_string()
        ]
    );
}

#[tokio::test]
async fn given_an_event_without_time_when_handled_then_a_clear_invalid_input_error_and_no_call() {
    // GIVEN an event without `time` (e.g. a hand-made test event in the console)
    let fake = FakeStepFunctions::default();
    let starter = starter_with(&fake, config(None));
    let event: EventBridgeEvent = serde_json::from_value(serde_json::json!({
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "detail": {}
    }))
    .unwrap();

    // WHEN it is handled
    let error = starter.start_for_event(&event).await.unwrap_err();

    // THEN it fails as InvalidInput naming the missing field, and nothing was started
    assert!(matches!(error, StartDailyError::EventWithoutTime));
    let diagnostic = EmrflowError::from(error).lambda_error();
    assert_eq!(diagnostic.error_type, "InvalidInput");
    assert!(
        diagnostic.error_message.contains("no `time`"),
        "{}",
        diagnostic.error_message
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn given_the_state_machine_is_gone_when_scheduled_then_the_rejection_is_reported_not_hidden()
{
    // GIVEN Step Functions answers StateMachineDoesNotExist
    let rule = mock!(aws_sdk_sfn::Client::start_execution).then_error(|| {
        StartExecutionError::StateMachineDoesNotExist(
            StateMachineDoesNotExist::builder()
                .message("State Machine Does Not Exist")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, &[&rule]);
    let starter = starter(client, config(None));

    // WHEN the tick is handled
    let error = starter
        .start_for_event(&scheduled_event("2026-11-22T06:00:00Z"))
        .await
        .unwrap_err();

    // THEN the handler fails as AwsRequestRejected with the execution and the service message
    let diagnostic = EmrflowError::from(error).lambda_error();
    assert_eq!(diagnostic.error_type, "AwsRequestRejected");
    let message = &diagnostic.error_message;
    assert!(message.contains("daily-2026-11-21"), "{message}");
    assert!(
        message.contains("State Machine Does Not Exist"),
        "{message}"
    );
}

#[test]
fn given_environment_values_when_configured_then_missing_arn_and_bad_offsets_are_refused() {
    // GIVEN / WHEN / THEN: no ARN is a configuration error
    let missing_arn = StartDailyConfig::from_env(|_| None).unwrap_err();
    assert!(missing_arn.to_string().contains(STATE_MACHINE_ARN_ENV));

    // a negative or non-numeric offset is refused with the offending value
    for bad in ["-1", "one", "1.5", "9999"] {
        let error = StartDailyConfig::from_env(|name| match name {
            STATE_MACHINE_ARN_ENV => Some(STATE_MACHINE_ARN.to_string()),
            _ => Some(bad.to_string()),
        })
        .unwrap_err();
        assert!(error.to_string().contains(bad), "{error}");
        assert_eq!(error.error_type(), "InvalidInput");
    }

    // and an empty offset falls back to yesterday
    assert_eq!(config(Some("")).processing_day_offset, 1);
    assert_eq!(config(Some(" 3 ")).processing_day_offset, 3);
}
