//! The AWS calls of the operate commands, exactly as sent (aws-smithy-mocks behind the real
//! SDK clients): CloudFormation's DescribeStackResource to find the state machine, and the
//! Step Functions, EMR and S3 calls of `emrflow logs` for a failed execution.
//! (StartExecution, ListExecutions, DescribeExecution, GetExecutionHistory's pages and
//! StopExecution: functions/executions/tests/sfn_requests.rs.)

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_sdk_cloudformation::operation::describe_stack_resource::DescribeStackResourceOutput;
use aws_sdk_cloudformation::types::StackResourceDetail;
use aws_sdk_emr::operation::list_steps::{ListStepsInput, ListStepsOutput};
use aws_sdk_emr::types as emr;
use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectInput, GetObjectOutput};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::operation::get_execution_history::GetExecutionHistoryOutput;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::DateTime;
use emrflow::operate::logs::Stream;
use emrflow::operate::{
    logs, state_machine_of_stack, Backend, BackendKind, LogStore, LogsArgs, S3Logs, StepSource,
    Target,
};
use emrflow_core::SdkEmr;
use emrflow_executions::fixtures::{sdk_events, six_am, History, TaskFamily};
use emrflow_executions::record::CHECK_STEPS;
use emrflow_executions::SfnExecutions;
use flate2::write::GzEncoder;
use serde_json::json;

const MACHINE: &str = "arn:aws:states:us-east-1:111122223333:stateMachine:emrflow-Sm-1A";
const EXECUTION: &str = "daily-2026-11-21";

fn seen<T>() -> Arc<Mutex<Vec<T>>> {
    Arc::new(Mutex::new(Vec::new()))
}

#[tokio::test]
async fn the_stack_names_its_state_machine_through_describe_stack_resource() {
    // GIVEN a stack whose EmrflowStateMachine exists
    let requests = seen();
    let record = requests.clone();
    let rule = mock!(aws_sdk_cloudformation::Client::describe_stack_resource).then_compute_output(
        move |input| {
            record.lock().unwrap().push(input.clone());
            DescribeStackResourceOutput::builder()
                .stack_resource_detail(
                    StackResourceDetail::builder()
                        .logical_resource_id("EmrflowStateMachine")
                        .physical_resource_id(MACHINE)
                        .resource_type("AWS::StepFunctions::StateMachine")
                        .last_updated_timestamp(DateTime::from_secs(0))
                        .resource_status("CREATE_COMPLETE".into())
                        .build(),
                )
                .build()
        },
    );
    let client = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, &[&rule]);
    // WHEN the state machine of stack "emrflow-prod" is looked up
    let arn = state_machine_of_stack(&client, "emrflow-prod")
        .await
        .expect("found");
    // THEN one DescribeStackResource of that stack's EmrflowStateMachine gave its ARN
    let requests: Vec<_> = requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].stack_name(), Some("emrflow-prod"));
    assert_eq!(
        requests[0].logical_resource_id(),
        Some("EmrflowStateMachine")
    );
    assert_eq!(arn, MACHINE);
}

/// The AWS options of an operate command: `--state-machine ARN` or the default stack.
fn aws_target(state_machine: Option<&str>) -> Target {
    Target {
        local: false,
        root: ".local".into(),
        state_machine: state_machine.map(str::to_string),
        stack: "emrflow".to_string(),
        region: None,
        profile: None,
        json: false,
    }
}

#[tokio::test]
async fn a_state_machine_arn_given_needs_no_cloudformation() {
    // GIVEN CloudFormation that would answer for the stack
    let rule = mock!(aws_sdk_cloudformation::Client::describe_stack_resource).then_output(|| {
        DescribeStackResourceOutput::builder()
            .stack_resource_detail(
                StackResourceDetail::builder()
                    .logical_resource_id("EmrflowStateMachine")
                    .physical_resource_id(MACHINE)
                    .resource_type("AWS::StepFunctions::StateMachine")
                    .last_updated_timestamp(DateTime::from_secs(0))
                    .resource_status("CREATE_COMPLETE".into())
                    .build(),
            )
            .build()
    });
    let cloudformation = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, &[&rule]);
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let other = "arn:aws:states:us-east-1:111122223333:stateMachine:by-hand";
    // WHEN the backend is made with --state-machine ARN
    let given = Backend::on_aws(&aws_target(Some(other)), &config, &cloudformation)
        .await
        .expect("backend");
    // THEN no CloudFormation call was made, and that state machine is the one read
    assert_eq!(rule.num_calls(), 0);
    assert_eq!(
        given.kind,
        BackendKind::Aws {
            state_machine_arn: other.to_string()
        }
    );
    assert!(given.options.contains(&format!("--state-machine {other}")));
    // AND without it the stack is asked, once
    let stacked = Backend::on_aws(&aws_target(None), &config, &cloudformation)
        .await
        .expect("backend");
    assert_eq!(rule.num_calls(), 1);
    assert_eq!(
        stacked.kind,
        BackendKind::Aws {
            state_machine_arn: MACHINE.to_string()
        }
    );
}

#[tokio::test]
async fn logs_of_a_failed_execution_lists_its_steps_and_gets_the_failed_ones_stderr() {
    // GIVEN Step Functions with a failed execution on j-1 (LogUri s3://logs/emr/)
    let input = json!({"ProcessingDate": "2026-11-21"});
    let events = History::new(six_am(), &input, TaskFamily::Lambda)
        .created(EXECUTION, "j-1")
        .failed_task(
            CHECK_STEPS,
            "check-steps",
            "StepFailed",
            "step 'curate' failed",
        )
        .failed("StepFailed", "step 'curate' failed");
    let typed = sdk_events(&events);
    let history = mock!(aws_sdk_sfn::Client::get_execution_history).then_output(move || {
        GetExecutionHistoryOutput::builder()
            .set_events(Some(typed.clone()))
            .build()
            .expect("history")
    });
    let describe = mock!(aws_sdk_sfn::Client::describe_execution).then_output(|| {
        DescribeExecutionOutput::builder()
            .execution_arn(format!("{MACHINE}:{EXECUTION}").replace("stateMachine", "execution"))
            .state_machine_arn(MACHINE)
            .name(EXECUTION)
            .status(aws_sdk_sfn::types::ExecutionStatus::Failed)
            .start_date(DateTime::from_secs(six_am().timestamp()))
            .build()
            .expect("description")
    });
    // AND EMR listing its steps, curate FAILED
    let listed = seen::<ListStepsInput>();
    let record = listed.clone();
    let steps = mock!(aws_sdk_emr::Client::list_steps).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        let step = |id: &str, name: &str, state| {
            emr::StepSummary::builder()
                .id(id)
                .name(name)
                .status(emr::StepStatus::builder().state(state).build())
                .build()
        };
        ListStepsOutput::builder()
            .steps(step(
                "s-2",
                "curate [daily-2026-11-21]",
                emr::StepState::Failed,
            ))
            .steps(step(
                "s-1",
                "validate [daily-2026-11-21]",
                emr::StepState::Completed,
            ))
            .build()
    });
    // AND S3 holding curate's gzipped stderr
    let got = seen::<GetObjectInput>();
    let record = got.clone();
    let object = mock!(aws_sdk_s3::Client::get_object).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        let mut gzip = GzEncoder::new(Vec::new(), flate2::Compression::default());
        writeln!(gzip, "Traceback: KeyError 'order_id'").expect("gzip");
        GetObjectOutput::builder()
            .body(ByteStream::from(gzip.finish().expect("gzip")))
            .build()
    });
    let backend = Backend {
        executions: Box::new(SfnExecutions::new(
            mock_client!(aws_sdk_sfn, RuleMode::MatchAny, &[&describe, &history]),
            MACHINE,
        )),
        steps: StepSource::Emr(Arc::new(SdkEmr::new(mock_client!(
            aws_sdk_emr,
            RuleMode::MatchAny,
            &[&steps]
        )))),
        logs: Box::new(S3Logs::new(mock_client!(
            aws_sdk_s3,
            RuleMode::MatchAny,
            &[&object]
        ))),
        kind: BackendKind::Aws {
            state_machine_arn: MACHINE.into(),
        },
        options: String::new(),
    };
    // WHEN its logs are asked without --step
    let printed = logs(
        &backend,
        &LogsArgs {
            execution: EXECUTION.into(),
            step: None,
            stream: Stream::Stderr,
            attempt: None,
            tail: None,
            target: Target {
                local: false,
                root: ".local".into(),
                state_machine: None,
                stack: "emrflow".into(),
                region: None,
                profile: None,
                json: false,
            },
        },
    )
    .await
    .expect("logs");
    // THEN ListSteps of j-1, then GetObject of curate's stderr.gz (printed) and of its
    // stdout.gz (where a failure's probable cause often is)
    assert_eq!(listed.lock().unwrap()[0].cluster_id(), Some("j-1"));
    let got: Vec<_> = got.lock().unwrap().clone();
    let keys: Vec<Option<&str>> = got.iter().map(|input| input.key()).collect();
    assert_eq!(
        keys,
        [
            Some("emr/j-1/steps/s-2/stderr.gz"),
            Some("emr/j-1/steps/s-2/stdout.gz")
        ]
    );
    assert!(got.iter().all(|input| input.bucket() == Some("logs")));
    assert!(
        printed.stdout.contains("stderr of step 'curate'"),
        "{}",
        printed.stdout
    );
    assert!(
        printed.stdout.contains("Traceback: KeyError 'order_id'"),
        "{}",
        printed.stdout
    );
}

#[tokio::test]
async fn a_log_not_uploaded_yet_and_a_refused_one_are_told_apart() {
    // GIVEN S3 answering NoSuchKey, and S3 answering 403 AccessDenied
    let missing = mock!(aws_sdk_s3::Client::get_object).then_error(|| {
        GetObjectError::NoSuchKey(aws_sdk_s3::types::error::NoSuchKey::builder().build())
    });
    let denied = mock!(aws_sdk_s3::Client::get_object).then_http_response(|| {
        aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(403).expect("status"),
            aws_smithy_types::body::SdkBody::from(
                "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
            ),
        )
    });
    let uri = "s3://logs/emr/j-1/steps/s-2/stderr.gz";
    // WHEN each is read
    let none = S3Logs::new(mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[&missing]))
        .read(uri)
        .await;
    let refused = S3Logs::new(mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[&denied]))
        .read(uri)
        .await;
    // THEN a missing log is no log (not an error), and a refusal says what it may mean
    assert_eq!(none, Ok(None));
    let message = refused.expect_err("refused");
    assert!(message.contains("AccessDenied"), "{message}");
    assert!(message.contains("s3:ListBucket"), "{message}");
}
