//! One history event in GetExecutionHistory's JSON shape (`{"id", "type", "timestamp",
//! "<kind>EventDetails": {...}}`): the few things the record, the reaper and the terminal
//! views read from it. The local runner writes this shape; the Step Functions adapter
//! converts the SDK's typed events into it (`sfn/history.rs`), so every reader reads one shape.
//!
//! A Task whose Resource is a function ARN (as emrflow's are) shows on AWS as
//! `LambdaFunctionScheduled` / `LambdaFunctionSucceeded` / `LambdaFunctionFailed`; the local
//! runner and the service integrations record `TaskScheduled` / `TaskSucceeded` / `TaskFailed`.
//! Both families mean the same here.

use chrono::{DateTime, Utc};
use serde_json::Value;

fn text<'a>(event: &'a Value, pointer: &str) -> Option<&'a str> {
    event.pointer(pointer).and_then(Value::as_str)
}

/// `TaskStateEntered`, `ExecutionFailed`, …; empty when the event has no type.
pub fn event_type(event: &Value) -> &str {
    text(event, "/type").unwrap_or_default()
}

pub fn event_id(event: &Value) -> u64 {
    event.get("id").and_then(Value::as_u64).unwrap_or_default()
}

/// The event's time (RFC 3339).
pub fn timestamp(event: &Value) -> Option<DateTime<Utc>> {
    parse_time(text(event, "/timestamp")?)
}

/// An RFC 3339 time in UTC.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

/// The state a `…StateEntered` event enters.
pub fn entered_state(event: &Value) -> Option<&str> {
    text(event, "/stateEnteredEventDetails/name")
}

/// The state a `…StateExited` event leaves.
pub fn exited_state(event: &Value) -> Option<&str> {
    text(event, "/stateExitedEventDetails/name")
}

/// The state an event names, entered or exited.
pub fn state_name(event: &Value) -> Option<&str> {
    entered_state(event).or_else(|| exited_state(event))
}

/// The result of a task that succeeded, as the JSON text the function returned.
pub fn task_output(event: &Value) -> Option<&str> {
    match event_type(event) {
        "TaskSucceeded" => text(event, "/taskSucceededEventDetails/output"),
        "LambdaFunctionSucceeded" => text(event, "/lambdaFunctionSucceededEventDetails/output"),
        _ => None,
    }
}

/// A task was handed to its resource (a Lambda invocation may then run on its own).
pub fn is_task_scheduled(event: &Value) -> bool {
    matches!(
        event_type(event),
        "TaskScheduled" | "LambdaFunctionScheduled"
    )
}

/// A task's resource answered, one way or another (or could not be started).
pub fn is_task_finished(event: &Value) -> bool {
    matches!(
        event_type(event),
        "TaskSucceeded"
            | "TaskFailed"
            | "TaskTimedOut"
            | "TaskStartFailed"
            | "TaskSubmitFailed"
            | "LambdaFunctionSucceeded"
            | "LambdaFunctionFailed"
            | "LambdaFunctionTimedOut"
            | "LambdaFunctionStartFailed"
            | "LambdaFunctionScheduleFailed"
    )
}

/// The error and cause an event carries, whatever its kind (`cause` may be empty).
pub fn error_of(event: &Value) -> Option<(String, String)> {
    let details = event
        .as_object()?
        .iter()
        .find(|(key, details)| key.ends_with("EventDetails") && details.get("error").is_some())
        .map(|(_, details)| details)?;
    let error = details.get("error")?.as_str()?.to_string();
    let cause = details
        .get("cause")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Some((error, cause))
}

/// A Lambda error's cause is the JSON `{"errorType", "errorMessage"}`: the message is what a
/// person reads. Any other cause is shown as it is.
pub fn readable_cause(cause: &str) -> String {
    serde_json::from_str::<Value>(cause)
        .ok()
        .and_then(|json| {
            json.get("errorMessage")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| cause.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_task_families_give_their_output_and_errors() {
        // GIVEN a local TaskSucceeded and an AWS LambdaFunctionSucceeded / LambdaFunctionFailed
        let local =
            json!({"type": "TaskSucceeded", "taskSucceededEventDetails": {"output": "{\"a\":1}"}});
        let aws = json!({"type": "LambdaFunctionSucceeded",
                         "lambdaFunctionSucceededEventDetails": {"output": "{\"a\":2}"}});
        let failed = json!({"type": "LambdaFunctionFailed",
            "lambdaFunctionFailedEventDetails": {"error": "StepFailed",
                "cause": "{\"errorType\":\"StepFailed\",\"errorMessage\":\"step 'curate' failed\"}"}});
        // WHEN read THEN the same facts come out of both shapes
        assert_eq!(task_output(&local), Some("{\"a\":1}"));
        assert_eq!(task_output(&aws), Some("{\"a\":2}"));
        assert!(is_task_finished(&aws) && is_task_finished(&failed));
        let (error, cause) = error_of(&failed).expect("an error");
        assert_eq!(error, "StepFailed");
        assert_eq!(readable_cause(&cause), "step 'curate' failed");
        assert_eq!(error_of(&aws), None);
    }

    #[test]
    fn a_cause_that_is_not_a_lambda_error_is_shown_as_it_is() {
        // GIVEN a plain cause WHEN made readable THEN unchanged
        assert_eq!(readable_cause("stopped by SIGINT"), "stopped by SIGINT");
        assert_eq!(readable_cause("{\"other\": 1}"), "{\"other\": 1}");
    }
}
