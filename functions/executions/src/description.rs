//! DescribeExecution's vocabulary: an execution's status and what Step Functions tells about
//! it, in its field names (camelCase), so a local `execution.json` reads like `aws
//! stepfunctions describe-execution`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

impl ExecutionDescription {
    /// The pipeline the execution's input names: `PipelineName` (what every schedule and
    /// `emrflow start NAME` write), else the Name of the input's own `Pipeline`. None when it
    /// names neither (the execution ran the only pipeline deployed: the record's summary
    /// says which).
    pub fn pipeline_in_input(&self) -> Option<String> {
        let input: serde_json::Value = serde_json::from_str(self.input.as_deref()?).ok()?;
        input
            .get("PipelineName")
            .or_else(|| {
                input
                    .get("Pipeline")
                    .and_then(|pipeline| pipeline.get("Name"))
            })
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_pipeline_of_an_execution_is_the_one_its_input_names() {
        // GIVEN inputs naming a deployed pipeline, carrying their own, and naming none
        let described = |input: &str| ExecutionDescription {
            execution_arn: "arn:aws:states:us-east-1:1:execution:emrflow:x".into(),
            state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:emrflow".into(),
            name: "x".into(),
            status: ExecutionStatus::Succeeded,
            start_date: Utc::now(),
            stop_date: None,
            input: Some(input.into()),
            output: None,
            error: None,
            cause: None,
        };
        // WHEN asked for their pipeline THEN the input's PipelineName, else its Pipeline's Name
        let by_name = described(r#"{"PipelineName": "daily-etl", "ProcessingDate": "2026-11-21"}"#);
        assert_eq!(by_name.pipeline_in_input().as_deref(), Some("daily-etl"));
        let inline = described(r#"{"Pipeline": {"Name": "adhoc"}}"#);
        assert_eq!(inline.pipeline_in_input().as_deref(), Some("adhoc"));
        assert_eq!(
            described(r#"{"ProcessingDate": "2026-11-21"}"#).pipeline_in_input(),
            None
        );
    }
}
