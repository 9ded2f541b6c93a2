//! History events in the shape of Step Functions' GetExecutionHistory.

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

/// One history event. Serializes exactly like an element of GetExecutionHistory's
/// `events` array (camelCase, details objects present only for their event type).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    #[serde(serialize_with = "rfc3339_millis")]
    pub timestamp: DateTime<Utc>,
    #[serde(rename = "type")]
    pub event_type: String,
    pub id: u64,
    pub previous_event_id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_started_event_details: Option<ExecutionStartedDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_succeeded_event_details: Option<OutputDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_failed_event_details: Option<FailureDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_timed_out_event_details: Option<FailureDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_aborted_event_details: Option<AbortedDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_entered_event_details: Option<StateEnteredDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_exited_event_details: Option<StateExitedDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_scheduled_event_details: Option<TaskScheduledDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_started_event_details: Option<TaskResourceDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_submitted_event_details: Option<TaskSubmittedDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_succeeded_event_details: Option<TaskSucceededDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_failed_event_details: Option<TaskFailedDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_timed_out_event_details: Option<TaskFailedDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map_state_started_event_details: Option<MapStateStartedDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map_iteration_started_event_details: Option<MapIterationDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map_iteration_succeeded_event_details: Option<MapIterationDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map_iteration_failed_event_details: Option<MapIterationDetails>,
}

fn rfc3339_millis<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&crate::timestamp::text(*time))
}

impl HistoryEvent {
    pub(crate) fn new(event_type: impl Into<String>, timestamp: DateTime<Utc>) -> Self {
        Self {
            timestamp,
            event_type: event_type.into(),
            id: 0,
            previous_event_id: 0,
            execution_started_event_details: None,
            execution_succeeded_event_details: None,
            execution_failed_event_details: None,
            execution_timed_out_event_details: None,
            execution_aborted_event_details: None,
            state_entered_event_details: None,
            state_exited_event_details: None,
            task_scheduled_event_details: None,
            task_started_event_details: None,
            task_submitted_event_details: None,
            task_succeeded_event_details: None,
            task_failed_event_details: None,
            task_timed_out_event_details: None,
            map_state_started_event_details: None,
            map_iteration_started_event_details: None,
            map_iteration_succeeded_event_details: None,
            map_iteration_failed_event_details: None,
        }
    }

    /// The state name for StateEntered/StateExited events.
    pub fn state_name(&self) -> Option<&str> {
        self.state_entered_event_details
            .as_ref()
            .map(|d| d.name.as_str())
            .or_else(|| {
                self.state_exited_event_details
                    .as_ref()
                    .map(|d| d.name.as_str())
            })
    }
}

/// `inputDetails` / `outputDetails`: this interpreter never truncates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayloadDetails {
    pub truncated: bool,
}

const NOT_TRUNCATED: PayloadDetails = PayloadDetails { truncated: false };

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStartedDetails {
    pub input: String,
    pub input_details: PayloadDetails,
    pub role_arn: String,
}

impl ExecutionStartedDetails {
    pub(crate) fn new(input: String, role_arn: String) -> Self {
        Self {
            input,
            input_details: NOT_TRUNCATED,
            role_arn,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputDetails {
    pub output: String,
    pub output_details: PayloadDetails,
}

impl OutputDetails {
    pub(crate) fn new(output: String) -> Self {
        Self {
            output,
            output_details: NOT_TRUNCATED,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureDetails {
    pub error: String,
    pub cause: String,
}

/// `executionAbortedEventDetails`: the error and cause StopExecution was given, each
/// absent when not given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbortedDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateEnteredDetails {
    pub name: String,
    pub input: String,
    pub input_details: PayloadDetails,
}

impl StateEnteredDetails {
    pub(crate) fn new(name: String, input: String) -> Self {
        Self {
            name,
            input,
            input_details: NOT_TRUNCATED,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateExitedDetails {
    pub name: String,
    pub output: String,
    pub output_details: PayloadDetails,
}

impl StateExitedDetails {
    pub(crate) fn new(name: String, output: String) -> Self {
        Self {
            name,
            output,
            output_details: NOT_TRUNCATED,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskScheduledDetails {
    pub resource_type: String,
    pub resource: String,
    pub region: String,
    /// The payload sent to the resource, as a JSON string.
    pub parameters: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_in_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskResourceDetails {
    pub resource_type: String,
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSucceededDetails {
    pub resource_type: String,
    pub resource: String,
    pub output: String,
    pub output_details: PayloadDetails,
}

impl TaskSucceededDetails {
    pub(crate) fn new(resource_type: String, resource: String, output: String) -> Self {
        Self {
            resource_type,
            resource,
            output,
            output_details: NOT_TRUNCATED,
        }
    }
}

/// `taskSubmittedEventDetails` (a callback task's resource answered and the task now
/// waits) has the same fields as `taskSucceededEventDetails`.
pub type TaskSubmittedDetails = TaskSucceededDetails;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskFailedDetails {
    pub resource_type: String,
    pub resource: String,
    pub error: String,
    pub cause: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapStateStartedDetails {
    pub length: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapIterationDetails {
    pub name: String,
    pub index: usize,
}
