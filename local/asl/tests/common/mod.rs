//! Test doubles shared by the integration tests.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use emrflow_asl::{
    execute, Clock, ExecutionOptions, ExecutionResult, HistoryEvent, StateMachine, TaskError,
    TaskInvoker, VirtualClock,
};
use serde_json::Value;

/// One scripted reaction of a resource.
#[derive(Clone)]
pub enum Reply {
    Ok(Value),
    Err(&'static str, &'static str),
    /// Echo the payload back.
    Echo,
    /// Sleep on the clock for this many seconds, then reply.
    SlowOk(u64, Value),
}

/// An invoker whose resources answer from per-resource scripts; the last reply repeats.
pub struct ScriptedInvoker {
    scripts: Mutex<HashMap<String, VecDeque<Reply>>>,
    clock: Arc<VirtualClock>,
    pub calls: Mutex<Vec<Call>>,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub resource: String,
    pub payload: Value,
    pub at: DateTime<Utc>,
}

impl ScriptedInvoker {
    pub fn new(clock: Arc<VirtualClock>) -> Self {
        Self {
            scripts: Mutex::new(HashMap::new()),
            clock,
            calls: Mutex::new(Vec::new()),
        }
    }

    pub fn script(self, resource: &str, replies: Vec<Reply>) -> Self {
        self.scripts
            .lock()
            .unwrap()
            .insert(resource.to_string(), replies.into());
        self
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl TaskInvoker for ScriptedInvoker {
    async fn invoke(&self, resource: &str, payload: Value) -> Result<Value, TaskError> {
        self.calls.lock().unwrap().push(Call {
            resource: resource.to_string(),
            payload: payload.clone(),
            at: self.clock.now(),
        });
        let reply = {
            let mut scripts = self.scripts.lock().unwrap();
            let script = scripts
                .get_mut(resource)
                .unwrap_or_else(|| panic!("no script for {resource}"));
            if script.len() > 1 {
                script.pop_front().unwrap()
            } else {
                script.front().cloned().unwrap_or(Reply::Echo)
            }
        };
        match reply {
            Reply::Ok(value) => Ok(value),
            Reply::Err(error, cause) => Err(TaskError::new(error, cause)),
            Reply::Echo => Ok(payload),
            Reply::SlowOk(seconds, value) => {
                self.clock.sleep(Duration::from_secs(seconds)).await;
                Ok(value)
            }
        }
    }
}

pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 6, 0, 0).unwrap()
}

pub fn virtual_clock() -> Arc<VirtualClock> {
    Arc::new(VirtualClock::new(start_time()))
}

pub fn machine(definition: Value) -> StateMachine {
    StateMachine::from_value(definition).expect("definition loads")
}

/// Runs a definition on a virtual clock with a scripted invoker.
pub async fn run_with(
    definition: Value,
    input: Value,
    clock: Arc<VirtualClock>,
    invoker: Arc<ScriptedInvoker>,
) -> ExecutionResult {
    let options = ExecutionOptions::new("test-run", input, invoker)
        .with_clock(clock)
        .with_state_machine_name("test-machine")
        .without_jitter();
    execute(&machine(definition), options).await
}

/// Runs a definition that has no Task states (or only echo tasks named "echo").
pub async fn run(definition: Value, input: Value) -> ExecutionResult {
    let clock = virtual_clock();
    let invoker = Arc::new(ScriptedInvoker::new(clock.clone()).script("echo", vec![Reply::Echo]));
    run_with(definition, input, clock, invoker).await
}

/// The first history event of `event_type`.
pub fn event<'a>(result: &'a ExecutionResult, event_type: &str) -> &'a HistoryEvent {
    result
        .history
        .iter()
        .find(|e| e.event_type == event_type)
        .unwrap_or_else(|| panic!("no {event_type} event"))
}

pub fn event_types(result: &ExecutionResult) -> Vec<String> {
    result
        .history
        .iter()
        .map(|e| e.event_type.clone())
        .collect()
}
