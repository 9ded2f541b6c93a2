//! The [`Executions`] port: what emrflow asks of Step Functions about its own executions —
//! list, describe with the whole history, start, stop — with its two adapters, on
//! aws-sdk-sfn (`sfn/`) and on the local runner's files (`local.rs`). Names and shapes are
//! DescribeExecution's, so a local `execution.json` reads like `aws stepfunctions
//! describe-execution`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use emrflow_core::EmrflowError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::events::event_id;
use crate::record::ExecutionRecord;

/// An execution's status as DescribeExecution and ListExecutions report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
    PendingRedrive,
}

impl ExecutionStatus {
    pub const ALL: [ExecutionStatus; 6] = [
        ExecutionStatus::Running,
        ExecutionStatus::Succeeded,
        ExecutionStatus::Failed,
        ExecutionStatus::TimedOut,
        ExecutionStatus::Aborted,
        ExecutionStatus::PendingRedrive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
            ExecutionStatus::PendingRedrive => "PENDING_REDRIVE",
        }
    }

    /// `"aborted"` or `"ABORTED"` → Aborted; None for anything else.
    pub fn from_name(name: &str) -> Option<ExecutionStatus> {
        let wanted = name.trim().to_ascii_uppercase().replace('-', "_");
        ExecutionStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == wanted)
    }

    /// The statuses the reaper acts on (the EventBridge rule's pattern): StopExecution and
    /// timeouts skip the Catch path, and a FAILED execution's cleanup may itself have failed.
    pub fn is_reaped(self) -> bool {
        matches!(
            self,
            ExecutionStatus::Aborted | ExecutionStatus::TimedOut | ExecutionStatus::Failed
        )
    }

    /// The execution will not change any more (PENDING_REDRIVE may be redriven, but nothing
    /// of it runs until then).
    pub fn has_ended(self) -> bool {
        self != ExecutionStatus::Running
    }
}

impl std::fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What DescribeExecution tells about one execution; ListExecutions gives the same but
/// input, output, error and cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionDescription {
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub status: ExecutionStatus,
    pub start_date: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_date: Option<DateTime<Utc>>,
    /// The execution input, as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The execution output of a SUCCEEDED execution, as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// Which executions `list` returns: newest first, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListFilter {
    pub status: Option<ExecutionStatus>,
    pub limit: usize,
}

/// What a follower learns at each look: the execution now, and the history events it has
/// not seen yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub execution: ExecutionDescription,
    /// The events with an id greater than the last one seen, oldest first.
    pub events: Vec<Value>,
}

/// A started execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    pub execution_arn: String,
    pub name: String,
    pub start_date: DateTime<Utc>,
}

/// What a stop request did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopOutcome {
    pub execution_arn: String,
    /// False when the execution had already ended (nothing was stopped).
    pub stopped: bool,
    /// The status afterwards, when known.
    pub status: Option<ExecutionStatus>,
    pub stop_date: Option<DateTime<Utc>>,
    /// What happened, in words (how the stop was delivered, or why nothing was done).
    pub note: String,
}

/// emrflow's executions of one state machine. `execution` is an execution's name or ARN.
#[async_trait]
pub trait Executions: Send + Sync {
    /// The newest executions first.
    async fn list(&self, filter: ListFilter) -> Result<Vec<ExecutionDescription>, EmrflowError>;
    /// DescribeExecution and the whole history, read into one record.
    async fn record(&self, execution: &str) -> Result<ExecutionRecord, EmrflowError>;
    /// DescribeExecution and the history events after `after_event` (GetExecutionHistory's
    /// ids), oldest first: what `emrflow watch` reads at each look. By default the whole
    /// record is read and the seen events dropped; an adapter may read only the new ones.
    async fn progress(&self, execution: &str, after_event: u64) -> Result<Progress, EmrflowError> {
        let record = self.record(execution).await?;
        Ok(Progress {
            execution: record.execution,
            events: record
                .events
                .into_iter()
                .filter(|event| event_id(event) > after_event)
                .collect(),
        })
    }
    /// StartExecution with this name and input (JSON text).
    async fn start(&self, name: &str, input: &str) -> Result<Started, EmrflowError>;
    /// StopExecution with an optional error and cause (as the console's Stop button).
    async fn stop(
        &self,
        execution: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<StopOutcome, EmrflowError>;
}

pub use emrflow_core::execution::{execution_arn, execution_name};

/// The execution's page in the Step Functions console.
pub fn console_url(execution_arn: &str) -> String {
    let region = execution_arn.split(':').nth(3).unwrap_or("us-east-1");
    format!(
        "https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution_arn}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_url_is_in_the_executions_region() {
        // GIVEN an execution ARN WHEN its console page is named THEN it is in that region
        let arn = "arn:aws:states:eu-west-1:111122223333:execution:emrflow-Sm-1A:daily-2026-11-21";
        assert!(console_url(arn).starts_with("https://eu-west-1.console.aws.amazon.com/"));
        assert!(console_url(arn).ends_with(arn));
    }

    #[test]
    fn statuses_read_in_any_case_and_only_three_are_reaped() {
        // GIVEN every status WHEN named in lower case THEN it reads back
        for status in ExecutionStatus::ALL {
            assert_eq!(
                ExecutionStatus::from_name(&status.as_str().to_lowercase()),
                Some(status)
            );
        }
        assert_eq!(
            ExecutionStatus::from_name("timed-out"),
            Some(ExecutionStatus::TimedOut)
        );
        assert_eq!(ExecutionStatus::from_name("done"), None);
        // AND the reaper's statuses are the rule's three
        let reaped: Vec<&str> = ExecutionStatus::ALL
            .into_iter()
            .filter(|status| status.is_reaped())
            .map(ExecutionStatus::as_str)
            .collect();
        assert_eq!(reaped, ["FAILED", "TIMED_OUT", "ABORTED"]);
    }
}
