//! GIVEN / WHEN / THEN tests of the scheduled start of each pipeline against a Step Functions fake that keeps
//! execution names unique the way the service does (aws-smithy-mocks behind the real SDK
//! client, so the request the SDK would send is what gets asserted).

use aws_sdk_sfn::operation::start_execution::{
    StartExecutionError, StartExecutionInput, StartExecutionOutput,
};
use aws_sdk_sfn::primitives::DateTime;
use aws_sdk_sfn::types::error::{ExecutionAlreadyExists, StateMachineDoesNotExist};
use aws_smithy_mocks::{mock, mock_client, MockResponse, Rule, RuleMode};
use emrflow_core::{Deployment, ErrorName, Handler, PipelineSpec};
use emrflow_executions::handlers::start_daily::*;
use emrflow_executions::{execution_arn, SfnExecutions};
use serde_json::{json, Value};
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

/// The sample pipeline named `name` with `schedule` (none: no Schedule key).
fn pipeline(name: &str, schedule: Option<Value>) -> PipelineSpec {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../pipelines/daily-etl.json"
    );
    let mut spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    spec["Name"] = json!(name);
    match schedule {
        Some(schedule) => spec["Schedule"] = schedule,
        None => {
            spec.as_object_mut().unwrap().remove("Schedule");
        }
    }
    PipelineSpec::from_value(spec).unwrap()
}

/// Deployed: `daily-etl` at 06:00 in Berlin (yesterday's data), `clicks` every 12 hours in
/// UTC (today's data), `manual-only` without a schedule.
fn deployment() -> Deployment {
    Deployment::new("eu-west-1")
        .with_pipeline(pipeline(
            "daily-etl",
            Some(json!({"Cron": "0 6 * * ? *", "Timezone": "Europe/Berlin"})),
        ))
        .with_pipeline(pipeline(
            "clicks",
            Some(json!({"Rate": "12 hours", "ProcessingDayOffset": 0})),
        ))
        .with_pipeline(pipeline("manual-only", None))
}

fn config() -> StartDailyConfig {
    StartDailyConfig::from_env(|name| {
        (name == STATE_MACHINE_ARN_ENV).then(|| STATE_MACHINE_ARN.to_string())
    })
    .unwrap()
}

fn starter_with(fake: &FakeStepFunctions) -> StartDaily {
    let rule = fake.rule();
    starter(mock_client!(aws_sdk_sfn, RuleMode::MatchAny, &[&rule]))
}

/// start-daily over the Executions port on `client`, as deployed.
fn starter(client: aws_sdk_sfn::Client) -> StartDaily {
    let executions = SfnExecutions::new(client, STATE_MACHINE_ARN);
    StartDaily::new(Arc::new(executions), Arc::new(deployment()), config())
}

/// What a pipeline's schedule sends.
fn tick(pipeline: &str, time: &str) -> ScheduledStart {
    ScheduledStart {
        pipeline_name: pipeline.to_string(),
        scheduled_time: time.to_string(),
    }
}

fn sent_input(request: &StartExecutionInput) -> Value {
    serde_json::from_str(request.input().unwrap()).unwrap()
}

#[tokio::test]
async fn given_the_same_tick_delivered_twice_when_handled_then_one_execution_and_both_succeed_with_the_same_name(
) {
    // GIVEN a Step Functions that keeps execution names unique, and daily-etl's tick of 22 Nov
    let fake = FakeStepFunctions::default();
    let starter = starter_with(&fake);
    let tick = tick("daily-etl", "2026-11-22T05:00:00Z");

    // WHEN Scheduler delivers it twice
    let first = starter.start(&tick).await.unwrap();
    let second = starter.start(&tick).await.unwrap();

    // THEN exactly one execution exists, the second delivery answers success for it
    assert_eq!(
        fake.started_executions(),
        vec!["daily-etl-2026-11-21".to_string()]
    );
    assert_eq!(fake.requests().len(), 2);
    assert_eq!(first.execution_name, "daily-etl-2026-11-21");
    assert!(!first.already_started);
    assert_eq!(second.execution_name, first.execution_name);
    assert_eq!(second.execution_arn, first.execution_arn);
    assert!(second.already_started);
    assert_eq!(
        first.execution_arn,
        "arn:aws:states:eu-west-1:123456789012:execution:emrflow-abc:daily-etl-2026-11-21"
    );
}

#[tokio::test]
async fn given_a_berlin_schedule_when_it_fires_after_midnight_berlin_then_the_request_is_yesterday_in_berlin(
) {
    // GIVEN daily-etl (Europe/Berlin, offset 1) and a tick at 23:30 UTC on 22 Nov — already
    // 00:30 on the 23rd in Berlin
    let fake = FakeStepFunctions::default();
    let starter = starter_with(&fake);

    // WHEN the tick is handled
    let output = starter
        .start(&tick("daily-etl", "2026-11-22T23:30:00Z"))
        .await
        .unwrap();

    // THEN the request names the state machine, the pipeline and Berlin's yesterday (the
    // 22nd; UTC would have said the 21st), with the documented input
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.state_machine_arn(), Some(STATE_MACHINE_ARN));
    assert_eq!(request.name(), Some("daily-etl-2026-11-22"));
    assert_eq!(
        request.input(),
        Some(
            r#"{"PipelineName":"daily-etl","CreateCluster":true,"TerminateCluster":true,"ProcessingDate":"2026-11-22"}"#
        )
    );
    assert_eq!(output.processing_date, "2026-11-22");
    assert_eq!(output.pipeline_name, "daily-etl");
}

#[tokio::test]
async fn given_a_rate_that_fires_twice_a_day_when_both_ticks_come_then_that_day_runs_once() {
    // GIVEN clicks (every 12 hours, UTC, offset 0)
    let fake = FakeStepFunctions::default();
    let starter = starter_with(&fake);

    // WHEN its two ticks of 22 Nov and the first of the 23rd are handled
    let morning = starter
        .start(&tick("clicks", "2026-11-22T03:00:00Z"))
        .await
        .unwrap();
    let evening = starter
        .start(&tick("clicks", "2026-11-22T15:00:00Z"))
        .await
        .unwrap();
    starter
        .start(&tick("clicks", "2026-11-23T03:00:00Z"))
        .await
        .unwrap();

    // THEN each processing day has one execution; the evening tick found the morning's
    assert_eq!(
        fake.started_executions(),
        vec![
            "clicks-2026-11-22".to_string(),
            "clicks-2026-11-23".to_string()
        ]
    );
    assert!(!morning.already_started);
    assert!(evening.already_started);
    assert_eq!(
        sent_input(&fake.requests()[0])["ProcessingDate"],
        "2026-11-22"
    );
}

#[tokio::test]
async fn given_two_pipelines_on_one_day_when_both_fire_then_each_has_its_own_execution() {
    // GIVEN daily-etl and clicks firing for the same processing day
    let fake = FakeStepFunctions::default();
    let starter = starter_with(&fake);

    // WHEN both ticks are handled
    starter
        .start(&tick("daily-etl", "2026-11-23T05:00:00Z"))
        .await
        .unwrap();
    starter
        .start(&tick("clicks", "2026-11-22T15:00:00Z"))
        .await
        .unwrap();

    // THEN two executions, one per pipeline, each input naming its pipeline
    assert_eq!(
        fake.started_executions(),
        vec![
            "clicks-2026-11-22".to_string(),
            "daily-etl-2026-11-22".to_string()
        ]
    );
    let pipelines: Vec<Value> = fake
        .requests()
        .iter()
        .map(|request| sent_input(request)["PipelineName"].clone())
        .collect();
    assert_eq!(pipelines, [json!("daily-etl"), json!("clicks")]);
}

#[tokio::test]
async fn given_a_tick_that_does_not_fit_the_deployment_when_handled_then_invalid_input_and_no_call()
{
    // GIVEN ticks for an unknown pipeline, a pipeline without a schedule, and a bad time
    let fake = FakeStepFunctions::default();
    let starter = starter_with(&fake);
    for (tick, expected) in [
        (
            tick("nightly", "2026-11-22T05:00:00Z"),
            "key 'PipelineName': 'nightly' is not a deployed pipeline (deployed: clicks, daily-etl, manual-only)",
        ),
        (
            tick("manual-only", "2026-11-22T05:00:00Z"),
            "pipeline 'manual-only' has no Schedule",
        ),
        (tick("daily-etl", "22.11.2026"), "key 'ScheduledTime'"),
    ] {
        // WHEN it is handled
        let error = starter.start(&tick).await.unwrap_err();
        // THEN InvalidInput saying what is wrong
        assert_eq!(error.name(), ErrorName::InvalidInput);
        assert!(error.message().contains(expected), "{error}");
    }
    // AND nothing was started
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn given_the_old_eventbridge_event_when_invoked_then_invalid_input_naming_the_key() {
    // GIVEN the payload the old single EventBridge rule sent
    let fake = FakeStepFunctions::default();
    let starter = starter_with(&fake);
    let event = json!({"detail-type": "Scheduled Event", "source": "aws.events",
                       "time": "2026-11-22T06:00:00Z", "detail": {}});

    // WHEN Lambda invokes the function with it
    let error = starter.invoke(event).await.unwrap_err();

    // THEN it is refused as InvalidInput naming a key it does not know, and nothing starts
    assert_eq!(error.name(), ErrorName::InvalidInput);
    assert!(error.message().contains("detail-type"), "{error}");
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
    let starter = starter(client);

    // WHEN the tick is handled
    let error = starter
        .start(&tick("daily-etl", "2026-11-22T05:00:00Z"))
        .await
        .unwrap_err();

    // THEN the handler fails as AwsRequestRejected with the execution and the service message
    let diagnostic = error.lambda_error();
    assert_eq!(diagnostic.error_type, "AwsRequestRejected");
    let message = &diagnostic.error_message;
    assert!(message.contains("daily-etl-2026-11-21"), "{message}");
    assert!(
        message.contains("State Machine Does Not Exist"),
        "{message}"
    );
}

#[test]
fn given_no_state_machine_arn_when_configured_then_invalid_input_naming_the_variable() {
    // GIVEN / WHEN / THEN: no ARN, or a blank one, is a configuration error
    for missing in [None, Some("  ")] {
        let error = StartDailyConfig::from_env(|_| missing.map(str::to_string)).unwrap_err();
        assert_eq!(error.name(), ErrorName::InvalidInput);
        assert!(error.message().contains(STATE_MACHINE_ARN_ENV), "{error}");
    }
}
