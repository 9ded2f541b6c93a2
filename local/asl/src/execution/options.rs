//! What an execution needs besides the definition: the Task invoker, the history
//! observer and the options of one execution.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::callback::TaskTokens;
use crate::clock::{Clock, RealClock};
use crate::error::TaskError;
use crate::history::HistoryEvent;
use crate::stop::StopHandle;

/// Runs a Task state's `Resource`.
#[async_trait]
pub trait TaskInvoker: Send + Sync {
    /// Calls `resource` (the Task's Resource string as written in the definition) with the
    /// payload; an `Err` is the task's error name and cause.
    async fn invoke(&self, resource: &str, payload: Value) -> Result<Value, TaskError>;
}

/// Receives every history event as it is recorded (for live progress output).
pub trait Observer: Send + Sync {
    fn on_event(&self, event: &HistoryEvent);
}

/// An observer that ignores events.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopObserver;

impl Observer for NoopObserver {
    fn on_event(&self, _event: &HistoryEvent) {}
}

/// An observer built from a closure.
pub struct FnObserver<F>(pub F);

impl<F: Fn(&HistoryEvent) + Send + Sync> Observer for FnObserver<F> {
    fn on_event(&self, event: &HistoryEvent) {
        (self.0)(event);
    }
}

/// Everything one execution needs besides the definition.
#[derive(Clone)]
pub struct ExecutionOptions {
    /// Execution name (`$$.Execution.Name`).
    pub name: String,
    /// Execution input.
    pub input: Value,
    pub state_machine_name: String,
    /// Defaults to `arn:aws:states:<region>:<account>:stateMachine:<state_machine_name>`.
    pub state_machine_arn: Option<String>,
    /// Defaults to `arn:aws:states:<region>:<account>:execution:<state_machine_name>:<name>`.
    pub execution_arn: Option<String>,
    pub role_arn: String,
    pub region: String,
    pub account_id: String,
    pub clock: Arc<dyn Clock>,
    pub invoker: Arc<dyn TaskInvoker>,
    pub observer: Arc<dyn Observer>,
    /// When false, Retry's `JitterStrategy: FULL` is ignored so back-off delays are
    /// deterministic (tests). Default true.
    pub jitter: bool,
    /// Where callback tasks (`.waitForTaskToken`) open their tokens. Defaults to a
    /// registry of this execution's own, which nothing outside can answer.
    pub task_tokens: TaskTokens,
    /// Stops the execution from outside. Defaults to a handle nobody else holds.
    pub stop_handle: StopHandle,
}

impl ExecutionOptions {
    /// Options with local defaults: RealClock, no observer, region us-east-1, account
    /// 123456789012, state machine "emrflow".
    pub fn new(name: impl Into<String>, input: Value, invoker: Arc<dyn TaskInvoker>) -> Self {
        Self {
            name: name.into(),
            input,
            state_machine_name: "emrflow".to_string(),
            state_machine_arn: None,
            execution_arn: None,
            role_arn: "arn:aws:iam::123456789012:role/emrflow-local".to_string(),
            region: "us-east-1".to_string(),
            account_id: "123456789012".to_string(),
            clock: Arc::new(RealClock),
            invoker,
            observer: Arc::new(NoopObserver),
            jitter: true,
            task_tokens: TaskTokens::new(),
            stop_handle: StopHandle::new(),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = observer;
        self
    }

    pub fn with_state_machine_name(mut self, name: impl Into<String>) -> Self {
        self.state_machine_name = name.into();
        self
    }

    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Shares `tokens` with this execution: whoever holds a clone answers its callback
    /// tasks with SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat.
    pub fn with_task_tokens(mut self, tokens: TaskTokens) -> Self {
        self.task_tokens = tokens;
        self
    }

    /// Lets whoever holds a clone of `stop` abort this execution (see [`StopHandle::stop`]).
    pub fn with_stop_handle(mut self, stop: StopHandle) -> Self {
        self.stop_handle = stop;
        self
    }

    pub fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    pub(super) fn state_machine_arn(&self) -> String {
        self.state_machine_arn.clone().unwrap_or_else(|| {
            format!(
                "arn:aws:states:{}:{}:stateMachine:{}",
                self.region, self.account_id, self.state_machine_name
            )
        })
    }

    pub(super) fn execution_arn(&self) -> String {
        self.execution_arn.clone().unwrap_or_else(|| {
            format!(
                "arn:aws:states:{}:{}:execution:{}:{}",
                self.region, self.account_id, self.state_machine_name, self.name
            )
        })
    }
}
