//! Histories for tests (feature `fixtures`; never in a deployed binary): the events an
//! execution of emrflow's definition records, in the local runner's family (`TaskSucceeded`)
//! or AWS's for function-ARN Tasks (`LambdaFunctionSucceeded`), with the handlers' real
//! result types serialized into them.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use emrflow_core::emr::ClusterState;
use emrflow_core::handlers::{
    AttemptReport, CheckStepsResponse, EnsureClusterResponse, Progress, RunSummary, StepReport,
};
use emrflow_core::pipeline::StepCompletion;
use serde_json::{json, Value};

use crate::port::{ExecutionDescription, ExecutionStatus};

/// Which event names a Task's resource call gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskFamily {
    /// `TaskScheduled` / `TaskSucceeded` / `TaskFailed` (the local runner).
    Task,
    /// `LambdaFunctionScheduled` / `…Succeeded` / `…Failed` (AWS, function-ARN Resource).
    Lambda,
}

/// validate-input's result for `execution`.
pub fn summary(
    execution: &str,
    create_cluster: bool,
    terminate_cluster: bool,
    cluster_id: Option<&str>,
) -> RunSummary {
    RunSummary {
        create_cluster,
        terminate_cluster,
        cluster_id: cluster_id.map(str::to_string),
        processing_date: "2026-11-21".into(),
        execution_name: execution.into(),
        pipeline_name: "orders".into(),
        pipeline_digest: "0123456789abcdef".into(),
        mode: "LIST".into(),
        steps: 2,
        step_completion: StepCompletion::Polling,
        poll_interval_seconds: 30,
        max_run_minutes: 1440,
        worst_case_state_bytes: 4096,
    }
}

/// ensure-cluster's result.
pub fn cluster(cluster_id: &str, created: bool, protected_before: bool) -> EnsureClusterResponse {
    EnsureClusterResponse {
        cluster_id: cluster_id.into(),
        created,
        cluster_name: format!("emrflow-orders-{cluster_id}"),
        state: ClusterState::Starting,
        log_uri: Some("s3://logs/emr/".into()),
        termination_protected: protected_before,
    }
}

/// A check-steps look while `running` runs.
pub fn check_running(running: &[&str], outstanding: &[&str]) -> CheckStepsResponse {
    serde_json::from_value(json!({
        "Verdict": "RUNNING", "ClusterState": "RUNNING", "NextCheckSeconds": 30,
        "WakeOn": "TIMER", "Outstanding": outstanding, "Running": running,
        "Progress": {"Completed": 1, "Running": running.len(), "Waiting": 0, "Failed": 0, "Skipped": 0}
    }))
    .unwrap_or_else(|error| panic!("a check-steps response: {error}"))
}

/// The last look of a finished run: each `(name, step id, state)` with one attempt.
pub fn check_completed(cluster_id: &str, steps: &[(&str, &str, &str)]) -> CheckStepsResponse {
    let reports: Vec<StepReport> = steps
        .iter()
        .map(|(name, step_id, state)| StepReport {
            name: name.to_string(),
            state: state.to_string(),
            action_on_failure: emrflow_core::emr::ActionOnFailure::CancelAndWait,
            skip_reason: None,
            attempts: vec![AttemptReport {
                attempt: 1,
                step_id: step_id.to_string(),
                state: state
                    .parse()
                    .unwrap_or(emrflow_core::emr::StepState::Completed),
                started_at: Some("2026-11-22T06:05:00Z".into()),
                ended_at: Some("2026-11-22T06:09:00Z".into()),
                log_location: Some(format!("s3://logs/emr/{cluster_id}/steps/{step_id}/")),
                failure_details: None,
            }],
        })
        .collect();
    CheckStepsResponse {
        verdict: serde_json::from_value(json!("COMPLETED"))
            .unwrap_or_else(|error| panic!("a verdict: {error}")),
        cluster_state: Some(ClusterState::Waiting),
        next_check_seconds: 30,
        wake_on: serde_json::from_value(json!("TIMER"))
            .unwrap_or_else(|error| panic!("a wake-on: {error}")),
        outstanding: Vec::new(),
        progress: Progress {
            completed: steps.len() as u32,
            ..Progress::default()
        },
        running: Vec::new(),
        steps: Some(reports),
    }
}

/// The events of one execution, one second apart, built state by state.
pub struct History {
    events: Vec<Value>,
    at: DateTime<Utc>,
    family: TaskFamily,
    function_prefix: String,
}

impl History {
    /// Starts with ExecutionStarted at `start`.
    pub fn new(start: DateTime<Utc>, input: &Value, family: TaskFamily) -> History {
        let mut history = History {
            events: Vec::new(),
            at: start,
            family,
            function_prefix: "arn:aws:lambda:us-east-1:000000000000:function:".into(),
        };
        history.push(
            "ExecutionStarted",
            json!({"executionStartedEventDetails": {
            "input": input.to_string(), "roleArn": "arn:aws:iam::000000000000:role/emrflow"}}),
        );
        history
    }

    fn push(&mut self, event_type: &str, details: Value) {
        let id = self.events.len() as u64 + 1;
        let mut event = json!({
            "timestamp": self.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "type": event_type, "id": id, "previousEventId": id - 1,
        });
        if let (Some(event), Some(details)) = (event.as_object_mut(), details.as_object()) {
            event.extend(details.clone());
        }
        self.events.push(event);
        self.at += Duration::seconds(1);
    }

    fn kind(&self, what: &str) -> (String, String) {
        let prefix = match self.family {
            TaskFamily::Task => "Task",
            TaskFamily::Lambda => "LambdaFunction",
        };
        let details = format!(
            "{}{what}EventDetails",
            match self.family {
                TaskFamily::Task => "task",
                TaskFamily::Lambda => "lambdaFunction",
            }
        );
        (format!("{prefix}{what}"), details)
    }

    fn scheduled(&mut self, state: &str, function: &str) {
        self.push(
            "TaskStateEntered",
            json!({"stateEnteredEventDetails": {"name": state, "input": "{}"}}),
        );
        let (kind, details) = self.kind("Scheduled");
        let resource = format!("{}{function}", self.function_prefix);
        self.push(
            &kind,
            json!({details: {"resource": resource, "input": "{}"}}),
        );
    }

    /// A Task state whose function returned `result`.
    pub fn task(mut self, state: &str, function: &str, result: &impl serde::Serialize) -> Self {
        self.scheduled(state, function);
        let output = serde_json::to_string(result).unwrap_or_default();
        let (kind, details) = self.kind("Succeeded");
        self.push(&kind, json!({details: {"output": output}}));
        self.push(
            "TaskStateExited",
            json!({"stateExitedEventDetails": {"name": state, "output": "{}"}}),
        );
        self
    }

    /// A Task state whose function failed with `error` (a Lambda error payload as cause).
    pub fn failed_task(mut self, state: &str, function: &str, error: &str, message: &str) -> Self {
        self.scheduled(state, function);
        let cause = json!({"errorType": error, "errorMessage": message}).to_string();
        let (kind, details) = self.kind("Failed");
        self.push(&kind, json!({details: {"error": error, "cause": cause}}));
        self
    }

    /// A Task state whose function was called and has not answered.
    pub fn in_flight(mut self, state: &str, function: &str) -> Self {
        self.scheduled(state, function);
        self
    }

    /// A state that only passes through (Choice, Wait, Pass).
    pub fn pass(mut self, state: &str, kind: &str) -> Self {
        self.push(
            &format!("{kind}StateEntered"),
            json!({"stateEnteredEventDetails": {"name": state, "input": "{}"}}),
        );
        self.push(
            &format!("{kind}StateExited"),
            json!({"stateExitedEventDetails": {"name": state, "output": "{}"}}),
        );
        self
    }

    /// Ends with ExecutionAborted (StopExecution's error and cause).
    pub fn aborted(mut self, error: &str, cause: &str) -> Vec<Value> {
        self.push(
            "ExecutionAborted",
            json!({"executionAbortedEventDetails": {"error": error, "cause": cause}}),
        );
        self.events
    }

    /// Ends with ExecutionFailed.
    pub fn failed(mut self, error: &str, cause: &str) -> Vec<Value> {
        self.push(
            "FailStateEntered",
            json!({"stateEnteredEventDetails": {"name": "Execution_Failed", "input": "{}"}}),
        );
        self.push(
            "ExecutionFailed",
            json!({"executionFailedEventDetails": {"error": error, "cause": cause}}),
        );
        self.events
    }

    /// Ends with ExecutionSucceeded.
    pub fn succeeded(mut self, output: &Value) -> Vec<Value> {
        self.push(
            "ExecutionSucceeded",
            json!({"executionSucceededEventDetails": {"output": output.to_string()}}),
        );
        self.events
    }

    /// The events so far (a running execution).
    pub fn running(self) -> Vec<Value> {
        self.events
    }
}

/// DescribeExecution's fields for an execution of the local state machine `emrflow`.
pub fn description(
    name: &str,
    status: ExecutionStatus,
    start: DateTime<Utc>,
    input: &Value,
) -> ExecutionDescription {
    let machine = "arn:aws:states:us-east-1:000000000000:stateMachine:emrflow";
    ExecutionDescription {
        execution_arn: crate::port::execution_arn(machine, name),
        state_machine_arn: machine.into(),
        name: name.into(),
        status,
        start_date: start,
        stop_date: status.has_ended().then(|| start + Duration::minutes(12)),
        input: Some(input.to_string()),
        output: None,
        error: None,
        cause: None,
    }
}

/// 2026-11-22T06:00:00Z: the daily schedule's time.
pub fn six_am() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T06:00:00Z")
        .map(|time| time.with_timezone(&Utc))
        .unwrap_or_default()
}
