//! The [`Executions`] port: what emrflow asks of Step Functions about its own executions —
//! list, describe with the whole history, start, stop — with its two adapters, on
//! aws-sdk-sfn (`sfn/`) and on the local runner's files (`local.rs`). Names and shapes are
//! DescribeExecution's, so a local `execution.json` reads like `aws stepfunctions
//! describe-execution`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use emrflow_core::{EmrflowError, ErrorName};
use serde::Serialize;
use serde_json::Value;

use crate::events::event_id;
use crate::record::ExecutionRecord;

pub use crate::description::{ExecutionDescription, ExecutionStatus};

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
    /// DescribeExecution: the execution with its input, without the history.
    async fn describe(&self, execution: &str) -> Result<ExecutionDescription, EmrflowError>;
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
    /// StartExecution with this name and input (JSON text). A name that exists is refused
    /// with ExecutionAlreadyExists, unless it is the same input on a still-running execution:
    /// then the answer is that execution.
    async fn start(&self, name: &str, input: &str) -> Result<Started, EmrflowError>;
    /// StartExecution under a new name, `<prefix>-<UTC time>` ([`generated_name`]): one that
    /// exists is never reused (the next one of the second is taken). By default, the names of
    /// this second are tried in turn.
    async fn start_new(&self, prefix: &str, input: &str) -> Result<Started, EmrflowError> {
        let now = Utc::now();
        let mut number = 1;
        loop {
            match self
                .start(&generated_name(prefix, now, number), input)
                .await
            {
                Err(error) if error.name() == ErrorName::ExecutionAlreadyExists && number < 10 => {
                    number += 1
                }
                other => return other,
            }
        }
    }
    /// StopExecution with an optional error and cause (as the console's Stop button).
    async fn stop(
        &self,
        execution: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<StopOutcome, EmrflowError>;
}

pub use emrflow_core::execution::{execution_arn, execution_name};

/// A generated execution name: `<prefix>-<UTC time to the second>`, and for the `number`th
/// of one second `…-<number>` (`local-20261123T130056Z`, `local-20261123T130056Z-2`).
pub fn generated_name(prefix: &str, at: DateTime<Utc>, number: u32) -> String {
    let name = format!("{prefix}-{}", at.format("%Y%m%dT%H%M%SZ"));
    if number > 1 {
        format!("{name}-{number}")
    } else {
        name
    }
}

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
    fn generated_names_are_the_utc_second_then_numbered() {
        // GIVEN a start time WHEN the first and the third names of that second are made
        let at = "2026-11-23T13:00:56.789Z".parse().unwrap();
        // THEN the second's name, then the same with its number
        assert_eq!(generated_name("local", at, 1), "local-20261123T130056Z");
        assert_eq!(generated_name("manual", at, 3), "manual-20261123T130056Z-3");
    }

    #[test]
    fn the_console_url_is_in_the_executions_region() {
        // GIVEN an execution ARN WHEN its console page is named THEN it is in that region
        let arn = "arn:aws:states:eu-west-1:111122223333:execution:emrflow-Sm-1A:daily-2026-11-21";
        assert!(console_url(arn).starts_with("https://eu-west-1.console.aws.amazon.com/"));
        assert!(console_url(arn).ends_with(arn));
    }
}
