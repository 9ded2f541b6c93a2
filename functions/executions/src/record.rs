//! [`ExecutionRecord`]: one execution read from DescribeExecution's fields and its history
//! events (GetExecutionHistory's JSON shape) — the states it went through, and what emrflow's
//! handlers answered: validate-input's summary, ensure-cluster's cluster, the last
//! check-steps look. One parser for AWS and for local runs.
//!
//! A task's result belongs to the state most recently entered: the definition runs one state
//! at a time (no Parallel or Map), so the events of a Task come between its StateEntered and
//! StateExited.

use chrono::{DateTime, Duration, Utc};
use emrflow_core::emr::EmrApi;
use emrflow_core::handlers::{CheckStepsResponse, EnsureClusterResponse, RunSummary};
use emrflow_core::EmrflowError;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::description::ExecutionDescription;
use crate::events::{
    entered_state, error_of, exited_state, is_task_finished, is_task_scheduled, readable_cause,
    task_output, timestamp,
};
use crate::steps::{execution_steps, StepView};

/// ListSteps' newest-first look stops at steps older than the execution by this margin
/// (EMR's clock and Step Functions' may differ a little).
const CLOCK_SKEW_MINUTES: i64 = 5;

/// The Task states whose results the record reads (README, "The state machine"); a test
/// checks them against `statemachine/emrflow.asl.json`.
pub const VALIDATE_INPUT: &str = "Validate_Input";
pub const CREATE_A_CLUSTER: &str = "Create_A_Cluster";
pub const CHECK_EXISTING_CLUSTER: &str = "Check_Existing_Cluster";
pub const CHECK_STEPS: &str = "Check_Steps";

/// A state of the definition as the console's graph shows it: how often it was entered,
/// first entered, last left (None while the execution is in it, or was stopped in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateVisits {
    pub name: String,
    pub visits: u32,
    pub first_entered: Option<DateTime<Utc>>,
    pub last_exited: Option<DateTime<Utc>>,
    /// Entered and not left (yet).
    pub open: bool,
}

/// Why an execution did not succeed: its error and cause (the cause made readable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// One execution, read.
#[derive(Debug, Clone)]
pub struct ExecutionRecord {
    pub execution: ExecutionDescription,
    /// The history, GetExecutionHistory's events in order.
    pub events: Vec<Value>,
    /// Every state entered, in the order first entered.
    pub states: Vec<StateVisits>,
    /// validate-input's result: what the execution was asked to do.
    pub summary: Option<RunSummary>,
    /// ensure-cluster's result: the cluster, whether the execution created it, and its
    /// termination protection as found.
    pub cluster: Option<EnsureClusterResponse>,
    /// The last check-steps result (each step's report once the run was over).
    pub last_check: Option<CheckStepsResponse>,
    /// The Task state whose resource was called and had not answered when the history
    /// ends: on AWS a Lambda function may still be running after a stop.
    pub task_in_flight: Option<String>,
    /// Results that could not be read (a different emrflow version?), in words.
    pub unreadable: Vec<String>,
}

impl ExecutionRecord {
    pub fn from_history(execution: ExecutionDescription, events: Vec<Value>) -> ExecutionRecord {
        let mut record = ExecutionRecord {
            execution,
            events: Vec::new(),
            states: Vec::new(),
            summary: None,
            cluster: None,
            last_check: None,
            task_in_flight: None,
            unreadable: Vec::new(),
        };
        let mut current: Option<String> = None;
        for event in &events {
            if let Some(name) = entered_state(event) {
                record.enter(name, timestamp(event));
                current = Some(name.to_string());
            }
            if let Some(name) = exited_state(event) {
                record.exit(name, timestamp(event));
            }
            if is_task_scheduled(event) {
                record.task_in_flight = current.clone();
            } else if is_task_finished(event) {
                record.task_in_flight = None;
            }
            if let (Some(output), Some(state)) = (task_output(event), current.as_deref()) {
                record.read_result(state, output);
            }
        }
        record.events = events;
        record
    }

    fn enter(&mut self, name: &str, at: Option<DateTime<Utc>>) {
        match self.states.iter_mut().find(|state| state.name == name) {
            Some(state) => {
                state.visits += 1;
                state.open = true;
            }
            None => self.states.push(StateVisits {
                name: name.to_string(),
                visits: 1,
                first_entered: at,
                last_exited: None,
                open: true,
            }),
        }
    }

    fn exit(&mut self, name: &str, at: Option<DateTime<Utc>>) {
        if let Some(state) = self.states.iter_mut().find(|state| state.name == name) {
            state.last_exited = at.or(state.last_exited);
            state.open = false;
        }
    }

    fn read_result(&mut self, state: &str, output: &str) {
        match state {
            VALIDATE_INPUT => self.summary = self.parse(state, output),
            CREATE_A_CLUSTER | CHECK_EXISTING_CLUSTER => self.cluster = self.parse(state, output),
            CHECK_STEPS => self.last_check = self.parse(state, output),
            _ => {}
        }
    }

    fn parse<T: DeserializeOwned>(&mut self, state: &str, output: &str) -> Option<T> {
        match serde_json::from_str(output) {
            Ok(value) => Some(value),
            Err(error) => {
                self.unreadable
                    .push(format!("the result of {state} could not be read: {error}"));
                None
            }
        }
    }

    pub fn name(&self) -> &str {
        &self.execution.name
    }

    pub fn cluster_id(&self) -> Option<&str> {
        self.cluster
            .as_ref()
            .map(|cluster| cluster.cluster_id.as_str())
    }

    /// The data day: validate-input's (defaults applied), else the input's own.
    pub fn processing_date(&self) -> Option<String> {
        if let Some(summary) = &self.summary {
            return Some(summary.processing_date.clone());
        }
        let input: Value = serde_json::from_str(self.execution.input.as_deref()?).ok()?;
        input
            .get("ProcessingDate")
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The pipeline the execution ran: Validate_Input's, else the one its input names
    /// (README, "Operating emrflow": an execution's pipeline is in its input).
    pub fn pipeline_name(&self) -> Option<String> {
        self.summary
            .as_ref()
            .map(|summary| summary.pipeline_name.clone())
            .or_else(|| self.execution.pipeline_in_input())
    }

    /// Whether the execution entered a state that can create or change a cluster; before
    /// that (the input check, the start queue, the wait for data) nothing exists to clean up.
    pub fn reached_a_cluster(&self) -> bool {
        self.states
            .iter()
            .any(|state| [CREATE_A_CLUSTER, CHECK_EXISTING_CLUSTER].contains(&state.name.as_str()))
    }

    /// How long it ran (until now while it runs).
    pub fn duration(&self, now: DateTime<Utc>) -> chrono::Duration {
        self.execution.stop_date.unwrap_or(now) - self.execution.start_date
    }

    /// The error and cause of an execution that did not succeed: DescribeExecution's, else
    /// the closing event's.
    pub fn failure(&self) -> Option<Failure> {
        let closing = self.events.iter().rev().find_map(|event| {
            matches!(
                crate::events::event_type(event),
                "ExecutionFailed" | "ExecutionAborted" | "ExecutionTimedOut"
            )
            .then(|| error_of(event))
            .flatten()
        });
        let error = self
            .execution
            .error
            .clone()
            .or_else(|| closing.as_ref().map(|(error, _)| error.clone()))
            .filter(|error| !error.is_empty());
        let cause = self
            .execution
            .cause
            .clone()
            .or_else(|| closing.map(|(_, cause)| cause))
            .filter(|cause| !cause.is_empty())
            .map(|cause| readable_cause(&cause));
        (error.is_some() || cause.is_some()).then_some(Failure { error, cause })
    }

    /// Every step's report when check-steps saw the run end.
    pub fn final_steps(&self) -> Option<Vec<StepView>> {
        let reports = self.last_check.as_ref()?.steps.as_ref()?;
        Some(reports.iter().map(StepView::from).collect())
    }
}

/// The execution's steps as EMR lists them now, when the record names its cluster.
pub async fn list_execution_steps(
    emr: &dyn EmrApi,
    record: &ExecutionRecord,
) -> Result<Option<Vec<StepView>>, EmrflowError> {
    let Some(cluster) = &record.cluster else {
        return Ok(None);
    };
    let since = record.execution.start_date - Duration::minutes(CLOCK_SKEW_MINUTES);
    let steps = emr
        .list_steps_since(&cluster.cluster_id, since)
        .await
        .map_err(|error| error.with_context(format!("ListSteps on {}", cluster.cluster_id)))?;
    Ok(Some(execution_steps(
        &steps,
        &record.execution.name,
        &cluster.cluster_id,
        cluster.log_uri.as_deref(),
    )))
}

#[cfg(test)]
mod tests;
