//! How an execution ends: its status as DescribeExecution reports it, the result of
//! [`super::execute`], and the closing history event.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::Run;
use crate::error::{names, StateError};
use crate::history::*;
use crate::stop::StopRequest;

/// How an execution ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Succeeded,
    Failed {
        error: String,
        cause: String,
    },
    /// The top-level TimeoutSeconds elapsed (error is States.Timeout).
    TimedOut {
        error: String,
        cause: String,
    },
    /// Stopped through a [`crate::StopHandle`], with the error and cause given to it (as
    /// StopExecution's, both optional).
    Aborted {
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cause: Option<String>,
    },
}

impl ExecutionStatus {
    /// The DescribeExecution status string: SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
    pub fn as_str(&self) -> &'static str {
        match self {
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed { .. } => "FAILED",
            ExecutionStatus::TimedOut { .. } => "TIMED_OUT",
            ExecutionStatus::Aborted { .. } => "ABORTED",
        }
    }
}

/// The outcome of [`super::execute`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionResult {
    pub execution_arn: String,
    pub status: ExecutionStatus,
    /// The execution output when it succeeded.
    pub output: Option<Value>,
    pub history: Vec<HistoryEvent>,
    /// Billable state transitions: every state entered (inside Parallel branches and Map
    /// iterations too) plus every Retry attempt.
    pub state_transitions: u64,
    pub start_date: DateTime<Utc>,
    pub stop_date: DateTime<Utc>,
}

/// How the execution's work ended, before its closing event is recorded.
pub(super) enum Closing {
    Finished(Result<Value, StateError>),
    /// The execution's TimeoutSeconds passed.
    TimedOut,
    Aborted(StopRequest),
}

impl Run<'_> {
    /// Records the closing event of the execution and gives its status and output.
    pub(super) fn close(
        &self,
        closing: Closing,
        timeout_seconds: Option<u64>,
        stop_date: DateTime<Utc>,
        last_event: u64,
    ) -> (ExecutionStatus, Option<Value>) {
        let (event, status, output) = match closing {
            Closing::Finished(Ok(output)) => {
                let mut event = HistoryEvent::new("ExecutionSucceeded", stop_date);
                event.execution_succeeded_event_details =
                    Some(OutputDetails::new(output.to_string()));
                (event, ExecutionStatus::Succeeded, Some(output))
            }
            Closing::Finished(Err(StateError { error, cause })) => {
                let mut event = HistoryEvent::new("ExecutionFailed", stop_date);
                event.execution_failed_event_details = Some(FailureDetails {
                    error: error.clone(),
                    cause: cause.clone(),
                });
                (event, ExecutionStatus::Failed { error, cause }, None)
            }
            Closing::TimedOut => {
                let error = names::TIMEOUT.to_string();
                let cause = format!(
                    "The execution exceeded its TimeoutSeconds of {} seconds",
                    timeout_seconds.unwrap_or_default()
                );
                let mut event = HistoryEvent::new("ExecutionTimedOut", stop_date);
                event.execution_timed_out_event_details = Some(FailureDetails {
                    error: error.clone(),
                    cause: cause.clone(),
                });
                (event, ExecutionStatus::TimedOut { error, cause }, None)
            }
            Closing::Aborted(StopRequest { error, cause }) => {
                let mut event = HistoryEvent::new("ExecutionAborted", stop_date);
                event.execution_aborted_event_details = Some(AbortedDetails {
                    error: error.clone(),
                    cause: cause.clone(),
                });
                (event, ExecutionStatus::Aborted { error, cause }, None)
            }
        };
        // Work that was cut off (a timeout, a stop) may have stopped mid-branch: chain to
        // the last event recorded. A finished run chains to its own last event.
        let previous = match status {
            ExecutionStatus::Succeeded | ExecutionStatus::Failed { .. } => last_event,
            _ => self.last_event_id(),
        };
        self.record(event, previous);
        (status, output)
    }
}
