//! The SDK's typed history events converted into GetExecutionHistory's JSON shape, so the
//! record reads AWS's history and the local runner's with one parser.
//!
//! Every event keeps `timestamp` (RFC 3339, milliseconds), `type`, `id` and
//! `previousEventId`. Details are converted for the kinds emrflow reads, and only those:
//! - `executionStartedEventDetails` (input, roleArn), `executionSucceededEventDetails`
//!   (output), `execution{Failed,Aborted,TimedOut}EventDetails` (error, cause);
//! - `stateEnteredEventDetails` (name, input), `stateExitedEventDetails` (name, output);
//! - `taskScheduledEventDetails` (resourceType, resource, region, parameters),
//!   `taskSucceededEventDetails` (resourceType, resource, output),
//!   `task{Failed,TimedOut,StartFailed,SubmitFailed}EventDetails` (resourceType, resource,
//!   error, cause);
//! - `lambdaFunctionScheduledEventDetails` (resource, input),
//!   `lambdaFunctionSucceededEventDetails` (output),
//!   `lambdaFunction{Failed,TimedOut,StartFailed,ScheduleFailed}EventDetails` (error, cause).
//!
//! Other kinds (activities, Map and Parallel bookkeeping, redrives) keep their four common
//! fields: the definition uses none of them, and the terminal views show them by type.

use aws_sdk_sfn::types::HistoryEvent;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

/// `{"error": …, "cause": …}` of any details type that has both.
macro_rules! failure {
    ($details:expr) => {
        json!({"error": $details.error(), "cause": $details.cause()})
    };
}

/// `{…, "resourceType": …, "resource": …}` added to `$value` for a task details type.
macro_rules! with_resource {
    ($details:expr, $value:expr) => {{
        let mut value = $value;
        value["resourceType"] = json!($details.resource_type());
        value["resource"] = json!($details.resource());
        value
    }};
}

/// One typed event as GetExecutionHistory's JSON element.
pub fn event_json(event: &HistoryEvent) -> Value {
    let mut object = Map::new();
    object.insert("timestamp".into(), json!(rfc3339(event.timestamp())));
    object.insert("type".into(), json!(event.r#type().as_str()));
    object.insert("id".into(), json!(event.id()));
    object.insert("previousEventId".into(), json!(event.previous_event_id()));
    for (key, details) in details(event) {
        object.insert(key.into(), details);
    }
    Value::Object(object)
}

fn rfc3339(time: &aws_smithy_types::DateTime) -> String {
    utc(time).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The SDK's time as chrono's (a time chrono cannot hold reads as the epoch).
pub(crate) fn utc(time: &aws_smithy_types::DateTime) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(time.secs(), time.subsec_nanos()).unwrap_or_default()
}

/// The details objects of the kinds listed in the module comment.
fn details(event: &HistoryEvent) -> Vec<(&'static str, Value)> {
    let mut found: Vec<(&'static str, Option<Value>)> = vec![
        (
            "executionStartedEventDetails",
            event
                .execution_started_event_details()
                .map(|d| json!({"input": d.input(), "roleArn": d.role_arn()})),
        ),
        (
            "executionSucceededEventDetails",
            event
                .execution_succeeded_event_details()
                .map(|d| json!({"output": d.output()})),
        ),
        (
            "executionFailedEventDetails",
            event.execution_failed_event_details().map(|d| failure!(d)),
        ),
        (
            "executionAbortedEventDetails",
            event.execution_aborted_event_details().map(|d| failure!(d)),
        ),
        (
            "executionTimedOutEventDetails",
            event
                .execution_timed_out_event_details()
                .map(|d| failure!(d)),
        ),
        (
            "stateEnteredEventDetails",
            event
                .state_entered_event_details()
                .map(|d| json!({"name": d.name(), "input": d.input()})),
        ),
        (
            "stateExitedEventDetails",
            event
                .state_exited_event_details()
                .map(|d| json!({"name": d.name(), "output": d.output()})),
        ),
    ];
    found.extend(task_details(event));
    found.extend(lambda_details(event));
    found
        .into_iter()
        .filter_map(|(key, value)| value.map(|value| (key, value)))
        .collect()
}

fn task_details(event: &HistoryEvent) -> Vec<(&'static str, Option<Value>)> {
    vec![
        (
            "taskScheduledEventDetails",
            event.task_scheduled_event_details().map(|d| {
                with_resource!(
                    d,
                    json!({"region": d.region(), "parameters": d.parameters()})
                )
            }),
        ),
        (
            "taskSucceededEventDetails",
            event
                .task_succeeded_event_details()
                .map(|d| with_resource!(d, json!({"output": d.output()}))),
        ),
        (
            "taskFailedEventDetails",
            event
                .task_failed_event_details()
                .map(|d| with_resource!(d, failure!(d))),
        ),
        (
            "taskTimedOutEventDetails",
            event
                .task_timed_out_event_details()
                .map(|d| with_resource!(d, failure!(d))),
        ),
        (
            "taskStartFailedEventDetails",
            event
                .task_start_failed_event_details()
                .map(|d| with_resource!(d, failure!(d))),
        ),
        (
            "taskSubmitFailedEventDetails",
            event
                .task_submit_failed_event_details()
                .map(|d| with_resource!(d, failure!(d))),
        ),
    ]
}

fn lambda_details(event: &HistoryEvent) -> Vec<(&'static str, Option<Value>)> {
    vec![
        (
            "lambdaFunctionScheduledEventDetails",
            event
                .lambda_function_scheduled_event_details()
                .map(|d| json!({"resource": d.resource(), "input": d.input()})),
        ),
        (
            "lambdaFunctionSucceededEventDetails",
            event
                .lambda_function_succeeded_event_details()
                .map(|d| json!({"output": d.output()})),
        ),
        (
            "lambdaFunctionFailedEventDetails",
            event
                .lambda_function_failed_event_details()
                .map(|d| failure!(d)),
        ),
        (
            "lambdaFunctionTimedOutEventDetails",
            event
                .lambda_function_timed_out_event_details()
                .map(|d| failure!(d)),
        ),
        (
            "lambdaFunctionStartFailedEventDetails",
            event
                .lambda_function_start_failed_event_details()
                .map(|d| failure!(d)),
        ),
        (
            "lambdaFunctionScheduleFailedEventDetails",
            event
                .lambda_function_schedule_failed_event_details()
                .map(|d| failure!(d)),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use aws_sdk_sfn::types::{
        HistoryEventType, LambdaFunctionFailedEventDetails, LambdaFunctionSucceededEventDetails,
        StateEnteredEventDetails,
    };

    use super::*;
    use crate::events::{entered_state, error_of, task_output, timestamp};

    fn at(secs: i64) -> aws_smithy_types::DateTime {
        aws_smithy_types::DateTime::from_secs(secs)
    }

    #[test]
    fn typed_events_read_like_the_local_runners() {
        // GIVEN three typed events as the SDK parses them
        let entered = HistoryEvent::builder()
            .timestamp(at(1_795_327_200))
            .r#type(HistoryEventType::TaskStateEntered)
            .id(2)
            .previous_event_id(1)
            .state_entered_event_details(
                StateEnteredEventDetails::builder()
                    .name("Create_A_Cluster")
                    .input("{}")
                    .build()
                    .expect("details"),
            )
            .build()
            .expect("event");
        let succeeded = HistoryEvent::builder()
            .timestamp(at(1_795_327_201))
            .r#type(HistoryEventType::LambdaFunctionSucceeded)
            .id(5)
            .lambda_function_succeeded_event_details(
                LambdaFunctionSucceededEventDetails::builder()
                    .output("{\"ClusterId\":\"j-1\"}")
                    .build(),
            )
            .build()
            .expect("event");
        let failed = HistoryEvent::builder()
            .timestamp(at(1_795_327_202))
            .r#type(HistoryEventType::LambdaFunctionFailed)
            .id(6)
            .lambda_function_failed_event_details(
                LambdaFunctionFailedEventDetails::builder()
                    .error("StepFailed")
                    .cause("boom")
                    .build(),
            )
            .build()
            .expect("event");
        // WHEN converted
        let [entered, succeeded, failed] = [&entered, &succeeded, &failed].map(event_json);
        // THEN the JSON readers find the same facts as in a local history
        assert_eq!(entered["timestamp"], "2026-11-22T06:00:00.000Z");
        assert_eq!(entered["type"], "TaskStateEntered");
        assert_eq!(entered_state(&entered), Some("Create_A_Cluster"));
        assert!(timestamp(&entered).is_some());
        assert_eq!(task_output(&succeeded), Some("{\"ClusterId\":\"j-1\"}"));
        assert_eq!(
            error_of(&failed),
            Some(("StepFailed".to_string(), "boom".to_string()))
        );
        assert_eq!(failed["id"], 6);
    }
}
