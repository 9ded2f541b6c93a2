//! The DynamoDB and Step Functions adapters: the exact requests they send (aws-smithy-mocks
//! behind the real SDK clients) and how the services' errors are classified.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::operation::delete_item::{DeleteItemError, DeleteItemOutput};
use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sfn::operation::send_task_success::{SendTaskSuccessError, SendTaskSuccessOutput};
use aws_sdk_sfn::types::error::{InvalidToken, TaskDoesNotExist, TaskTimedOut};
use aws_smithy_mocks::{mock, mock_client, MockResponse, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use emrflow_core::ErrorName;
use emrflow_events::waiter::now_epoch_seconds;
use emrflow_events::{
    CallbackError, DynamoTokenStore, SfnCallbacks, TaskCallbacks, TokenStore, Waiter,
};
use serde_json::json;

const TABLE: &str = "emrflow-TokenTable-1ABC";

fn dynamodb(rules: &[&Rule]) -> DynamoTokenStore {
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules, |config| config
        .retry_config(RetryConfig::disabled()));
    DynamoTokenStore::new(client, TABLE)
}

fn sfn(rules: &[&Rule]) -> SfnCallbacks {
    let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, rules, |config| config
        .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled()));
    SfnCallbacks::new(client)
}

/// A rule for `$operation` answering `$answer` (given the request and how many came so
/// far), and the copies of every request it saw.
macro_rules! recording {
    ($operation:expr, |$input:ident, $count:ident| $answer:expr) => {{
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let rule = mock!($operation).then_compute_response(move |$input| {
            let $count = {
                let mut requests = record.lock().unwrap();
                requests.push($input.clone());
                requests.len()
            };
            $answer
        });
        (rule, seen)
    }};
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn the_waiter() -> Waiter {
    Waiter {
        waits_on: "j-2AXXXXXXGAPLF".into(),
        waiter: "daily-2026-11-21".into(),
        task_token: "AQCEAAAAKgAAAAMAAAAA".into(),
        step_ids: vec!["s-1".into(), "s-2".into()],
        expires_at: 1_795_001_400,
    }
}

fn error_response(status: u16, json_body: &'static str) -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(status).unwrap_or_else(|_| panic!("status {status}")),
        SdkBody::from(json_body),
    )
}

#[tokio::test]
async fn put_item_writes_the_whole_waiter_with_its_ttl() {
    // GIVEN a table that records PutItem
    let (rule, seen) = recording!(aws_sdk_dynamodb::Client::put_item, |_input, _count| {
        MockResponse::Output(PutItemOutput::builder().build())
    });
    // WHEN a waiter is put
    dynamodb(&[&rule]).put(&the_waiter()).await.unwrap();
    // THEN one unconditional PutItem of exactly the schema's item (ExpiresAt as N for TTL)
    let request = seen.lock().unwrap()[0].clone();
    assert_eq!(request.table_name(), Some(TABLE));
    assert_eq!(request.condition_expression(), None);
    assert_eq!(
        request.item().cloned().unwrap(),
        HashMap::from([
            ("ClusterId".to_string(), s("j-2AXXXXXXGAPLF")),
            ("Waiter".to_string(), s("daily-2026-11-21")),
            ("TaskToken".to_string(), s("AQCEAAAAKgAAAAMAAAAA")),
            (
                "StepIds".to_string(),
                AttributeValue::L(vec![s("s-1"), s("s-2")])
            ),
            (
                "ExpiresAt".to_string(),
                AttributeValue::N("1795001400".into())
            ),
        ])
    );
}

#[tokio::test]
async fn query_reads_every_page_consistently_and_filters_expired_items() {
    // GIVEN a cluster whose waiters come back in two pages
    let (rule, seen) = recording!(aws_sdk_dynamodb::Client::query, |input, _count| {
        let mut item = HashMap::from([
            ("ClusterId".to_string(), s("j-2AXXXXXXGAPLF")),
            ("TaskToken".to_string(), s("t")),
            (
                "ExpiresAt".to_string(),
                AttributeValue::N("1795001400".into()),
            ),
        ]);
        MockResponse::Output(match input.exclusive_start_key() {
            None => {
                item.insert("Waiter".into(), s("run-1"));
                QueryOutput::builder()
                    .items(item.clone())
                    .set_last_evaluated_key(Some(item))
                    .build()
            }
            Some(_) => {
                item.insert("Waiter".into(), s("run-2"));
                item.insert("StepIds".into(), AttributeValue::Ss(vec!["s-9".into()]));
                QueryOutput::builder().items(item).build()
            }
        })
    });
    // WHEN the cluster's waiters are read
    let before = now_epoch_seconds();
    let waiters = dynamodb(&[&rule])
        .waiters_of("j-2AXXXXXXGAPLF")
        .await
        .unwrap();
    // THEN both pages' waiters; each Query strongly consistent on the key, filtering out
    // what expired by now
    let names: Vec<_> = waiters.iter().map(|w| w.waiter.as_str()).collect();
    assert_eq!(names, ["run-1", "run-2"]);
    assert_eq!(waiters[1].step_ids, ["s-9"]);
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    let request = &requests[0];
    assert_eq!(request.table_name(), Some(TABLE));
    assert_eq!(request.consistent_read(), Some(true));
    assert_eq!(
        request.key_condition_expression(),
        Some("ClusterId = :cluster")
    );
    assert_eq!(request.filter_expression(), Some("ExpiresAt > :now"));
    let values = request.expression_attribute_values().unwrap();
    assert_eq!(values[":cluster"], s("j-2AXXXXXXGAPLF"));
    let now: i64 = values[":now"].as_n().unwrap().parse().unwrap();
    assert!((before..=before + 2).contains(&now), "{now}");
}

#[tokio::test]
async fn delete_item_is_conditional_on_the_token_and_a_failed_condition_is_no_error() {
    // GIVEN a table whose item holds another token the second time
    let (rule, seen) = recording!(aws_sdk_dynamodb::Client::delete_item, |_input, count| {
        if count == 1 {
            MockResponse::Output(DeleteItemOutput::builder().build())
        } else {
            MockResponse::Error(DeleteItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder()
                    .message("The conditional request failed")
                    .build(),
            ))
        }
    });
    let store = dynamodb(&[&rule]);
    // WHEN deleted twice
    let first = store
        .delete("j-2AXXXXXXGAPLF", "daily-2026-11-21", "t-1")
        .await
        .unwrap();
    let second = store
        .delete("j-2AXXXXXXGAPLF", "daily-2026-11-21", "t-1")
        .await
        .unwrap();
    // THEN each request names the key and the token condition; the failed condition is false
    assert!(first);
    assert!(!second);
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0], requests[1]);
    let request = requests[0].clone();
    assert_eq!(request.table_name(), Some(TABLE));
    assert_eq!(
        request.key().cloned().unwrap(),
        HashMap::from([
            ("ClusterId".to_string(), s("j-2AXXXXXXGAPLF")),
            ("Waiter".to_string(), s("daily-2026-11-21")),
        ])
    );
    assert_eq!(request.condition_expression(), Some("TaskToken = :token"));
    assert_eq!(
        request.expression_attribute_values().cloned().unwrap(),
        HashMap::from([(":token".to_string(), s("t-1"))])
    );
}

#[tokio::test]
async fn dynamodb_errors_are_named_like_emrs() {
    // GIVEN DynamoDB throttling, failing on its side, and rejecting a request
    for (status, body, name) in [
        (
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"Rate of requests exceeds the allowed throughput."}"#,
            ErrorName::EmrThrottled,
        ),
        (
            500,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}"#,
            ErrorName::AwsTransient,
        ),
        (
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}"#,
            ErrorName::AwsRequestRejected,
        ),
    ] {
        let rule = mock!(aws_sdk_dynamodb::Client::put_item)
            .then_http_response(move || error_response(status, body));
        // WHEN a waiter is put
        let error = dynamodb(&[&rule]).put(&the_waiter()).await.unwrap_err();
        // THEN the contract's name, and a message naming operation, table and service
        assert_eq!(error.name(), name, "{error}");
        assert!(
            error
                .message()
                .starts_with(&format!("PutItem on table {TABLE}: DynamoDB answered ")),
            "{error}"
        );
    }
}

#[tokio::test]
async fn send_task_success_sends_the_token_and_the_output_as_json_text() {
    // GIVEN Step Functions recording SendTaskSuccess
    let (rule, seen) = recording!(aws_sdk_sfn::Client::send_task_success, |_input, _count| {
        MockResponse::Output(SendTaskSuccessOutput::builder().build())
    });
    let output = json!({"WokenBy": "event", "StepId": "s-1", "State": "COMPLETED"});
    // WHEN a task is answered
    sfn(&[&rule])
        .send_task_success("AQCEAAAAKgAAAAMAAAAA", output.clone())
        .await
        .unwrap();
    // THEN exactly that token and output
    let request = seen.lock().unwrap()[0].clone();
    assert_eq!(request.task_token(), Some("AQCEAAAAKgAAAAMAAAAA"));
    let sent: serde_json::Value = serde_json::from_str(request.output().unwrap()).unwrap();
    assert_eq!(sent, output);
}

/// Step Functions' modeled answer `name` for a task that is no longer waiting.
fn task_gone(name: &'static str) -> SendTaskSuccessError {
    match name {
        "TaskDoesNotExist" => SendTaskSuccessError::TaskDoesNotExist(
            TaskDoesNotExist::builder()
                .message("Task does not exist anymore")
                .build(),
        ),
        "TaskTimedOut" => SendTaskSuccessError::TaskTimedOut(
            TaskTimedOut::builder().message("Task Timed Out").build(),
        ),
        _ => SendTaskSuccessError::InvalidToken(
            InvalidToken::builder().message("Invalid Token").build(),
        ),
    }
}

#[tokio::test]
async fn a_task_that_already_ended_is_a_harmless_callback_error() {
    // GIVEN the three answers Step Functions gives for a task that is no longer waiting
    for name in ["TaskDoesNotExist", "TaskTimedOut", "InvalidToken"] {
        let rule =
            mock!(aws_sdk_sfn::Client::send_task_success).then_error(move || task_gone(name));
        // WHEN a task is answered
        let failure = sfn(&[&rule])
            .send_task_success("t", json!({}))
            .await
            .unwrap_err();
        // THEN it is the matching harmless variant, said in words
        assert!(failure.is_harmless(), "{name}: {failure}");
        assert!(failure.to_string().contains(name), "{failure}");
        let variant = match &failure {
            CallbackError::TaskDoesNotExist(_) => "TaskDoesNotExist",
            CallbackError::TaskTimedOut(_) => "TaskTimedOut",
            CallbackError::InvalidToken(_) => "InvalidToken",
            CallbackError::Failed(_) => "Failed",
        };
        assert_eq!(variant, name, "{failure}");
    }
}

#[tokio::test]
async fn a_throttled_or_failed_callback_is_a_real_failure_named_like_emrs() {
    // GIVEN Step Functions throttling, then failing on its side
    for (status, body, name) in [
        (
            400,
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
            ErrorName::EmrThrottled,
        ),
        (
            500,
            r#"{"__type":"ServiceUnavailable","message":"Service unavailable"}"#,
            ErrorName::AwsTransient,
        ),
    ] {
        let rule = mock!(aws_sdk_sfn::Client::send_task_success)
            .then_http_response(move || error_response(status, body));
        // WHEN a task is answered
        let failure = sfn(&[&rule])
            .send_task_success("t", json!({}))
            .await
            .unwrap_err();
        // THEN not harmless, with the contract's (retryable) name and the service named
        let CallbackError::Failed(error) = &failure else {
            panic!("expected a real failure, got: {failure}");
        };
        assert_eq!(error.name(), name, "{error}");
        assert!(error.name().is_retryable());
        assert!(
            error
                .message()
                .starts_with("SendTaskSuccess: Step Functions answered "),
            "{error}"
        );
    }
}
