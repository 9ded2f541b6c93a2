//! The interpreter on the real definition with canned answers from the handlers that would
//! call AWS (validate-input is the real one: it makes no call), on a virtual clock: its
//! throughput, and what waiting on events saves over polling for a step that lasts an hour.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use emrflow::definition::{
    function_name_of, function_of_resource, load_local_definition, AWAIT_STEPS, CHECK_START,
    DEFINITION_FILE,
};
use emrflow::local_handlers;
use emrflow_asl::{
    execute, Clock, ExecutionOptions, ExecutionStatus, StateMachine, TaskError, TaskInvoker,
    TaskTokens, VirtualClock,
};
use emrflow_core::pipeline::StepCompletion;
use emrflow_core::{Dispatch, Function, PipelineSpec};
use serde_json::{json, Value};

use crate::report::Report;

const EXECUTIONS: u32 = 300;
const MIN_TRANSITIONS_PER_SECOND: f64 = 5_000.0;
const STEP_SECONDS: i64 = 3540;
/// 14 for the run itself, and 2 for Check_Start_Conditions and Ready_To_Start (issue 19).
const MAX_EVENT_TRANSITIONS: u64 = 17;

/// One pipeline with one step that ends `STEP_SECONDS` after the execution started.
struct CannedHandlers {
    validate: Dispatch,
    clock: Arc<VirtualClock>,
    tokens: TaskTokens,
    mode: StepCompletion,
    step_ends: std::sync::Mutex<Option<DateTime<Utc>>>,
    /// ListSteps + DescribeCluster per check, and per event wait (await-steps' one look).
    emr_calls: AtomicU32,
}

impl CannedHandlers {
    fn step_ended(&self) -> bool {
        let ends = self.step_ends.lock().map(|ends| *ends).unwrap_or(None);
        ends.is_some_and(|ends| self.clock.now() >= ends)
    }

    fn check(&self) -> Value {
        self.emr_calls.fetch_add(2, Ordering::Relaxed);
        if self.step_ended() {
            return json!({"Verdict": "COMPLETED", "ClusterState": "RUNNING", "NextCheckSeconds": 30,
                "WakeOn": "TIMER", "Outstanding": [], "Running": [],
                "Progress": {"Completed": 1, "Running": 0, "Waiting": 0, "Failed": 0, "Skipped": 0},
                "Steps": [{"Name": "a", "State": "COMPLETED", "ActionOnFailure": "CANCEL_AND_WAIT", "Attempts": []}]});
        }
        // As check-steps answers: events wait until the next deadline (none here: the
        // heartbeat), the timer every PollIntervalSeconds.
        let (wake_on, next) = if self.mode == StepCompletion::Events {
            ("EVENTS", emrflow_core::handlers::EVENT_HEARTBEAT_SECONDS)
        } else {
            ("TIMER", 30)
        };
        json!({"Verdict": "RUNNING", "ClusterState": "RUNNING", "NextCheckSeconds": next, "WakeOn": wake_on,
            "Outstanding": ["s-1"], "Running": ["a"],
            "Progress": {"Completed": 0, "Running": 1, "Waiting": 0, "Failed": 0, "Skipped": 0}})
    }

    /// await-steps, and then EMR's event when the step ends: the callback arrives at the
    /// step's end on the virtual clock.
    async fn await_steps(&self, payload: &Value) -> Result<Value, TaskError> {
        self.emr_calls.fetch_add(2, Ordering::Relaxed);
        let ends = self.step_ends.lock().map(|ends| *ends).unwrap_or(None);
        if let Some(left) = ends.and_then(|ends| (ends - self.clock.now()).to_std().ok()) {
            self.clock.sleep(left).await;
        }
        let token = payload["TaskToken"].as_str().unwrap_or_default();
        self.tokens
            .send_task_success(token, json!({"WokenBy": "event"}))
            .map_err(|error| TaskError::new(error.name(), error.to_string()))?;
        Ok(json!({"Outcome": "Waiting"}))
    }
}

#[async_trait]
impl TaskInvoker for CannedHandlers {
    async fn invoke(&self, resource: &str, payload: Value) -> Result<Value, TaskError> {
        if function_name_of(resource) == Some(AWAIT_STEPS) {
            return self.await_steps(&payload).await;
        }
        if function_name_of(resource) == Some(CHECK_START) {
            // No queue and no WaitFor: the run starts at once.
            return Ok(
                json!({"Verdict": "GO", "WaitingFor": null, "WakeOn": "TIMER",
                "NextCheckSeconds": 0, "RunsAhead": 0, "MissingObjects": 0}),
            );
        }
        let function = function_of_resource(resource)
            .ok_or_else(|| TaskError::new("Lambda.ResourceNotFoundException", resource))?;
        Ok(match function {
            Function::ValidateInput => {
                if let Ok(mut ends) = self.step_ends.lock() {
                    *ends = Some(self.clock.now() + chrono::Duration::seconds(STEP_SECONDS));
                }
                self.validate
                    .invoke(function, payload)
                    .await
                    .map_err(|error| TaskError::new(error.name().as_str(), error.to_string()))?
            }
            Function::EnsureCluster => json!({"ClusterId": "j-BENCH", "Created": true,
                "ClusterName": "emrflow-bench", "State": "STARTING", "LogUri": null, "TerminationProtected": false}),
            Function::TerminationProtection => json!({"ClusterId": "j-BENCH",
                "Protected": payload["Protected"], "Previous": false}),
            Function::AddSteps => {
                json!({"ClusterId": "j-BENCH", "Added": 1, "AlreadySubmitted": 0})
            }
            Function::CheckSteps => self.check(),
            Function::TerminateCluster => json!({"ClusterId": "j-BENCH", "Terminated": true,
                "State": "TERMINATING", "Note": "terminating"}),
        })
    }
}

fn machine() -> StateMachine {
    let definition = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(DEFINITION_FILE);
    load_local_definition(&definition).expect("definition loads")
}

fn sample() -> PipelineSpec {
    PipelineSpec::load(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../pipelines/daily-etl.json"),
    )
    .expect("sample pipeline")
}

/// One execution of a one-step pipeline whose step lasts about an hour of virtual time:
/// (state transitions, EMR calls).
async fn one_hour_step(machine: &StateMachine, mode: StepCompletion, name: &str) -> (u64, u32) {
    let clock = Arc::new(VirtualClock::default());
    let tokens = TaskTokens::new();
    let handlers = Arc::new(CannedHandlers {
        // validate-input makes no EMR call: the endpoint is never reached.
        validate: local_handlers(
            "http://127.0.0.1:9",
            sample(),
            std::path::Path::new(".local"),
        )
        .with_step_completion(mode)
        .dispatch(),
        clock: clock.clone(),
        tokens: tokens.clone(),
        mode,
        step_ends: std::sync::Mutex::new(None),
        emr_calls: AtomicU32::new(0),
    });
    let options = ExecutionOptions::new(name, json!({}), handlers.clone())
        .with_clock(clock)
        .with_task_tokens(tokens);
    let result = execute(machine, options).await;
    assert!(
        matches!(result.status, ExecutionStatus::Succeeded),
        "{:?}",
        result.status
    );
    (
        result.state_transitions,
        handlers.emr_calls.load(Ordering::Relaxed),
    )
}

pub async fn measure(report: &mut Report) {
    let machine = machine();
    let started = Instant::now();
    let mut transitions = 0;
    for run in 0..EXECUTIONS {
        transitions += one_hour_step(&machine, StepCompletion::Polling, &format!("bench-{run}"))
            .await
            .0;
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    let per_second = transitions as f64 / started.elapsed().as_secs_f64();
    report.measure(
        "interpreter: state transitions per second",
        per_second,
        "transitions/s",
        &format!(">= {MIN_TRANSITIONS_PER_SECOND}"),
        per_second >= MIN_TRANSITIONS_PER_SECOND,
    );
    let (event_transitions, event_calls) =
        one_hour_step(&machine, StepCompletion::Events, "events").await;
    let (poll_transitions, poll_calls) =
        one_hour_step(&machine, StepCompletion::Polling, "polling").await;
    report.measure(
        "a one-hour step: state transitions, waiting on events",
        event_transitions as f64,
        "transitions",
        &format!("<= {MAX_EVENT_TRANSITIONS}"),
        event_transitions <= MAX_EVENT_TRANSITIONS,
    );
    report.note(
        "a one-hour step: state transitions, polling every 30 s",
        poll_transitions as f64,
        "transitions",
    );
    report.note(
        "EMR API calls per pipeline-hour, waiting on events",
        f64::from(event_calls),
        "calls",
    );
    report.note(
        "EMR API calls per pipeline-hour, polling every 30 s",
        f64::from(poll_calls),
        "calls",
    );
}
