//! Running a state machine: states, paths, Retry/Catch, history and the context object.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::{json, Value};

use crate::clock::{Clock, RealClock};
use crate::definition::{
    Catcher, FailText, MapState, ParallelState, Retrier, State, StateKind, StateList, StateMachine,
    TaskState, Transition, WaitState,
};
use crate::error::{names, runtime, StateError, TaskError};
use crate::history::*;
use crate::path::{ResultPath, Template};

/// Step Functions' limit on any input, output or payload: 256 KiB of UTF-8 JSON.
pub const PAYLOAD_LIMIT_BYTES: usize = 256 * 1024;

/// Step Functions' quota of history events per standard execution; past it the execution
/// fails. It also stops a runaway loop on a virtual clock.
pub const HISTORY_EVENT_LIMIT: usize = 25_000;

/// Internal error name marking "the execution's TimeoutSeconds passed"; never retried or
/// caught, turned into the TimedOut status.
const EXECUTION_DEADLINE: &str = "emrflow.ExecutionDeadline";

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

    pub fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    fn state_machine_arn(&self) -> String {
        self.state_machine_arn.clone().unwrap_or_else(|| {
            format!(
                "arn:aws:states:{}:{}:stateMachine:{}",
                self.region, self.account_id, self.state_machine_name
            )
        })
    }

    fn execution_arn(&self) -> String {
        self.execution_arn.clone().unwrap_or_else(|| {
            format!(
                "arn:aws:states:{}:{}:execution:{}:{}",
                self.region, self.account_id, self.state_machine_name, self.name
            )
        })
    }
}

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
}

impl ExecutionStatus {
    /// The DescribeExecution status string: SUCCEEDED, FAILED or TIMED_OUT.
    pub fn as_str(&self) -> &'static str {
        match self {
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed { .. } => "FAILED",
            ExecutionStatus::TimedOut { .. } => "TIMED_OUT",
        }
    }
}

/// The outcome of [`execute`].
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

/// Runs `machine` to completion.
pub async fn execute(machine: &StateMachine, options: ExecutionOptions) -> ExecutionResult {
    let start_date = options.clock.now();
    let execution_arn = options.execution_arn();
    let execution_context = json!({
        "Id": execution_arn,
        "Name": options.name,
        "StartTime": timestamp_text(start_date),
        "Input": options.input,
        "RoleArn": options.role_arn,
        "RedriveCount": 0,
    });
    let state_machine_context = json!({
        "Id": options.state_machine_arn(),
        "Name": options.state_machine_name,
    });
    let deadline = machine
        .timeout_seconds
        .map(|seconds| start_date + chrono::Duration::seconds(seconds as i64));
    let run = Run {
        options: &options,
        deadline,
        history: Mutex::new(Vec::new()),
        transitions: AtomicU64::new(0),
        execution_context,
        state_machine_context,
    };

    let input_text = options.input.to_string();
    let mut started = HistoryEvent::new("ExecutionStarted", start_date);
    started.execution_started_event_details = Some(ExecutionStartedDetails::new(
        input_text.clone(),
        options.role_arn.clone(),
    ));
    let mut last_event = run.record(started, 0);

    let outcome = if input_text.len() > PAYLOAD_LIMIT_BYTES {
        Some(Err(data_limit("The execution input")))
    } else {
        let work = run.run_list(&machine.root, options.input.clone(), &mut last_event);
        match guard_timeout(options.clock.as_ref(), machine.timeout_seconds, work).await {
            Some(Err(error)) if error.error == EXECUTION_DEADLINE => None,
            other => other,
        }
    };

    let stop_date = options.clock.now();
    let (status, output) = match outcome {
        Some(Ok(output)) => {
            let mut event = HistoryEvent::new("ExecutionSucceeded", stop_date);
            event.execution_succeeded_event_details = Some(OutputDetails::new(output.to_string()));
            run.record(event, last_event);
            (ExecutionStatus::Succeeded, Some(output))
        }
        Some(Err(error)) => {
            let mut event = HistoryEvent::new("ExecutionFailed", stop_date);
            event.execution_failed_event_details = Some(FailureDetails {
                error: error.error.clone(),
                cause: error.cause.clone(),
            });
            run.record(event, last_event);
            (
                ExecutionStatus::Failed {
                    error: error.error,
                    cause: error.cause,
                },
                None,
            )
        }
        None => {
            let cause = format!(
                "The execution exceeded its TimeoutSeconds of {} seconds",
                machine.timeout_seconds.unwrap_or_default()
            );
            let mut event = HistoryEvent::new("ExecutionTimedOut", stop_date);
            event.execution_timed_out_event_details = Some(FailureDetails {
                error: names::TIMEOUT.to_string(),
                cause: cause.clone(),
            });
            // The timed-out work may have been cut off mid-branch; chain to the last event.
            let previous = run.last_event_id();
            run.record(event, previous);
            (
                ExecutionStatus::TimedOut {
                    error: names::TIMEOUT.to_string(),
                    cause,
                },
                None,
            )
        }
    };

    let state_transitions = run.transitions.load(Ordering::SeqCst);
    let history = run
        .history
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    ExecutionResult {
        execution_arn,
        status,
        output,
        history,
        state_transitions,
        start_date,
        stop_date,
    }
}

/// Runs `work`, giving up after `timeout_seconds` of clock time (`None` = timed out).
async fn guard_timeout<T>(
    clock: &dyn Clock,
    timeout_seconds: Option<u64>,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    let Some(seconds) = timeout_seconds else {
        return Some(work.await);
    };
    let limit = Duration::from_secs(seconds);
    if clock.is_virtual() {
        // Virtual sleeps return at once, so a racing timer would always win; judge by the
        // clock time the work consumed instead.
        let started = clock.now();
        let value = work.await;
        let used = (clock.now() - started).to_std().unwrap_or_default();
        (used <= limit).then_some(value)
    } else {
        tokio::select! {
            value = work => Some(value),
            _ = clock.sleep(limit) => None,
        }
    }
}

fn timestamp_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn data_limit(what: &str) -> StateError {
    TaskError::new(
        names::DATA_LIMIT_EXCEEDED,
        format!("{what} exceeds the maximum size of {PAYLOAD_LIMIT_BYTES} bytes"),
    )
}

/// Serializes a payload, enforcing the 256 KiB limit.
fn sized_text(value: &Value, what: &str) -> Result<String, StateError> {
    let text = value.to_string();
    if text.len() > PAYLOAD_LIMIT_BYTES {
        return Err(data_limit(what));
    }
    Ok(text)
}

/// Whether a Retry/Catch `ErrorEquals` list matches an error name.
///
/// States.Runtime is never retried or caught (the execution fails). States.ALL matches
/// everything else except States.DataLimitExceeded (which must be named explicitly);
/// States.TaskFailed matches everything except States.Timeout and States.DataLimitExceeded.
pub(crate) fn error_matches(error_equals: &[String], error: &str) -> bool {
    if error == names::RUNTIME || error == EXECUTION_DEADLINE {
        return false;
    }
    error_equals.iter().any(|name| {
        name == error
            || (name == names::ALL && error != names::DATA_LIMIT_EXCEEDED)
            || (name == names::TASK_FAILED
                && error != names::TIMEOUT
                && error != names::DATA_LIMIT_EXCEEDED)
    })
}

/// The delay before retry number `attempt` (0-based) of a retrier, before jitter.
pub(crate) fn backoff_seconds(retrier: &Retrier, attempt: u32) -> f64 {
    let exponent = i32::try_from(attempt).unwrap_or(i32::MAX);
    let delay = retrier.interval_seconds * retrier.backoff_rate.powi(exponent);
    match retrier.max_delay_seconds {
        Some(max) => delay.min(max),
        None => delay,
    }
}

enum Step {
    Next(String, Value),
    End(Value),
}

struct Run<'a> {
    options: &'a ExecutionOptions,
    /// When the top-level TimeoutSeconds runs out; checked as each state is entered so a
    /// loop on a virtual clock (where no timer can interrupt it) still ends.
    deadline: Option<DateTime<Utc>>,
    history: Mutex<Vec<HistoryEvent>>,
    transitions: AtomicU64,
    execution_context: Value,
    state_machine_context: Value,
}

impl<'a> Run<'a> {
    fn now(&self) -> DateTime<Utc> {
        self.options.clock.now()
    }

    /// Appends an event (assigning its id) and tells the observer.
    fn record(&self, mut event: HistoryEvent, previous_event_id: u64) -> u64 {
        let mut history = self
            .history
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        event.id = history.len() as u64 + 1;
        event.previous_event_id = previous_event_id;
        self.options.observer.on_event(&event);
        let id = event.id;
        history.push(event);
        id
    }

    fn check_limits(&self) -> Result<(), StateError> {
        if self.deadline.is_some_and(|deadline| self.now() > deadline) {
            return Err(TaskError::new(EXECUTION_DEADLINE, "TimeoutSeconds elapsed"));
        }
        // Keep one slot for the closing ExecutionFailed event.
        if self.last_event_id() as usize + 1 >= HISTORY_EVENT_LIMIT {
            return Err(runtime(format!(
                "The execution reached the quota of {HISTORY_EVENT_LIMIT} history events"
            )));
        }
        Ok(())
    }

    fn last_event_id(&self) -> u64 {
        self.history
            .lock()
            .map(|history| history.len() as u64)
            .unwrap_or_default()
    }

    fn context(
        &self,
        state_name: &str,
        entered: DateTime<Utc>,
        retry_count: u32,
        map_item: Option<(usize, &Value)>,
    ) -> Value {
        let mut context = json!({
            "Execution": self.execution_context,
            "StateMachine": self.state_machine_context,
            "State": {
                "Name": state_name,
                "EnteredTime": timestamp_text(entered),
                "RetryCount": retry_count,
            },
        });
        if let Some((index, value)) = map_item {
            context["Map"] = json!({"Item": {"Index": index, "Value": value}});
        }
        context
    }

    fn run_list<'r>(
        &'r self,
        list: &'r StateList,
        input: Value,
        last_event: &'r mut u64,
    ) -> BoxFuture<'r, Result<Value, StateError>> {
        async move {
            let mut current = list.start_at.as_str();
            let mut input = input;
            loop {
                let state = list
                    .states
                    .get(current)
                    .ok_or_else(|| runtime(format!("state '{current}' does not exist")))?;
                match self.run_state(state, input, last_event).await? {
                    Step::Next(next, output) => {
                        current = list
                            .states
                            .get_key_value(next.as_str())
                            .map(|(name, _)| name.as_str())
                            .ok_or_else(|| runtime(format!("state '{next}' does not exist")))?;
                        input = output;
                    }
                    Step::End(output) => return Ok(output),
                }
            }
        }
        .boxed()
    }

    async fn run_state(
        &self,
        state: &State,
        raw_input: Value,
        last_event: &mut u64,
    ) -> Result<Step, StateError> {
        self.check_limits()?;
        self.transitions.fetch_add(1, Ordering::SeqCst);
        let type_name = state.kind.type_name();
        let entered = self.now();
        let mut event = HistoryEvent::new(format!("{type_name}StateEntered"), entered);
        event.state_entered_event_details = Some(StateEnteredDetails::new(
            state.name.clone(),
            raw_input.to_string(),
        ));
        *last_event = self.record(event, *last_event);
        sized_text(&raw_input, &format!("The input of state '{}'", state.name))?;

        let context = self.context(&state.name, entered, 0, None);
        let (output, next) = match &state.kind {
            StateKind::Pass(pass) => {
                let effective = state.input_path.apply(&raw_input, &context, "InputPath")?;
                let result = match (&pass.result, &pass.parameters) {
                    (Some(result), _) => result.clone(),
                    (None, Some(parameters)) => parameters.render(&effective, &context)?,
                    (None, None) => effective,
                };
                let combined = pass.result_path.apply(&raw_input, result)?;
                (
                    state.output_path.apply(&combined, &context, "OutputPath")?,
                    None,
                )
            }
            StateKind::Succeed => {
                let effective = state.input_path.apply(&raw_input, &context, "InputPath")?;
                (
                    state
                        .output_path
                        .apply(&effective, &context, "OutputPath")?,
                    None,
                )
            }
            StateKind::Fail(fail) => {
                let text = |source: &Option<FailText>| -> Result<String, StateError> {
                    Ok(match source {
                        None => String::new(),
                        Some(FailText::Literal(text)) => text.clone(),
                        Some(FailText::Path(path)) => {
                            match path.select_or(
                                &raw_input,
                                &context,
                                names::RUNTIME,
                                "Fail state",
                            )? {
                                Value::String(text) => text,
                                other => other.to_string(),
                            }
                        }
                        Some(FailText::Intrinsic(call)) => {
                            match call.evaluate(&raw_input, &context)? {
                                Value::String(text) => text,
                                other => other.to_string(),
                            }
                        }
                    })
                };
                return Err(TaskError::new(text(&fail.error)?, text(&fail.cause)?));
            }
            StateKind::Choice(choice) => {
                let effective = state.input_path.apply(&raw_input, &context, "InputPath")?;
                let mut chosen = None;
                for (rule, next) in &choice.choices {
                    if rule.evaluate(&effective, &context)? {
                        chosen = Some(next.clone());
                        break;
                    }
                }
                let next = chosen.or_else(|| choice.default.clone()).ok_or_else(|| {
                    TaskError::new(
                        names::NO_CHOICE_MATCHED,
                        format!(
                            "No Choice Rule matched in state '{}' and there is no Default",
                            state.name
                        ),
                    )
                })?;
                (
                    state
                        .output_path
                        .apply(&effective, &context, "OutputPath")?,
                    Some(next),
                )
            }
            StateKind::Wait(wait) => {
                let effective = state.input_path.apply(&raw_input, &context, "InputPath")?;
                let duration = self.wait_duration(wait, &effective, &context)?;
                self.options.clock.sleep(duration).await;
                (
                    state
                        .output_path
                        .apply(&effective, &context, "OutputPath")?,
                    None,
                )
            }
            StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => {
                match self
                    .run_with_retry(state, &raw_input, entered, last_event)
                    .await
                {
                    Ok(output) => (output, None),
                    Err(error) => {
                        let catchers = match &state.kind {
                            StateKind::Task(task) => &task.catch,
                            StateKind::Parallel(parallel) => &parallel.catch,
                            StateKind::Map(map) => &map.catch,
                            _ => return Err(error),
                        };
                        let catcher = catchers
                            .iter()
                            .find(|catcher| error_matches(&catcher.error_equals, &error.error));
                        match catcher {
                            Some(catcher) => self.caught(catcher, &raw_input, error)?,
                            None => return Err(error),
                        }
                    }
                }
            }
        };

        let output_text = sized_text(&output, &format!("The output of state '{}'", state.name))?;
        let mut event = HistoryEvent::new(format!("{type_name}StateExited"), self.now());
        event.state_exited_event_details =
            Some(StateExitedDetails::new(state.name.clone(), output_text));
        *last_event = self.record(event, *last_event);

        let next = match (next, &state.transition) {
            (Some(next), _) => Some(next),
            (None, Transition::Next(next)) => Some(next.clone()),
            (None, _) => None,
        };
        Ok(match next {
            Some(next) => Step::Next(next, output),
            None => Step::End(output),
        })
    }

    /// Output and next state after a Catch: `{"Error","Cause"}` placed at the catcher's
    /// ResultPath in the state's raw input.
    fn caught(
        &self,
        catcher: &Catcher,
        raw_input: &Value,
        error: StateError,
    ) -> Result<(Value, Option<String>), StateError> {
        let error_output = json!({"Error": error.error, "Cause": error.cause});
        let output = match &catcher.result_path {
            ResultPath::Replace => error_output,
            other => other.apply(raw_input, error_output)?,
        };
        Ok((output, Some(catcher.next.clone())))
    }

    fn wait_duration(
        &self,
        wait: &WaitState,
        effective: &Value,
        context: &Value,
    ) -> Result<Duration, StateError> {
        let until =
            |target: DateTime<Utc>| (target - self.now()).to_std().unwrap_or(Duration::ZERO);
        Ok(match wait {
            WaitState::Seconds(seconds) => Duration::from_secs(*seconds),
            WaitState::Timestamp(target) => until(*target),
            WaitState::SecondsPath(path) => {
                let value = path.select_or(effective, context, names::RUNTIME, "SecondsPath")?;
                let seconds = value.as_u64().ok_or_else(|| {
                    runtime(format!(
                        "SecondsPath '{}' must select a non-negative integer, got {value}",
                        path.text()
                    ))
                })?;
                Duration::from_secs(seconds)
            }
            WaitState::TimestampPath(path) => {
                let value = path.select_or(effective, context, names::RUNTIME, "TimestampPath")?;
                let target = value
                    .as_str()
                    .and_then(crate::choice::parse_timestamp)
                    .ok_or_else(|| {
                        runtime(format!(
                            "TimestampPath '{}' must select an RFC 3339 timestamp, got {value}",
                            path.text()
                        ))
                    })?;
                until(target)
            }
        })
    }

    async fn run_with_retry(
        &self,
        state: &State,
        raw_input: &Value,
        entered: DateTime<Utc>,
        last_event: &mut u64,
    ) -> Result<Value, StateError> {
        let retriers: &[Retrier] = match &state.kind {
            StateKind::Task(task) => &task.retry,
            StateKind::Parallel(parallel) => &parallel.retry,
            StateKind::Map(map) => &map.retry,
            _ => &[],
        };
        let mut attempts = vec![0u32; retriers.len()];
        let mut retry_count = 0u32;
        loop {
            let context = self.context(&state.name, entered, retry_count, None);
            let outcome = match &state.kind {
                StateKind::Task(task) => {
                    self.attempt_task(state, task, raw_input, &context, last_event)
                        .await
                }
                StateKind::Parallel(parallel) => {
                    self.attempt_parallel(state, parallel, raw_input, &context, last_event)
                        .await
                }
                StateKind::Map(map) => {
                    self.attempt_map(state, map, raw_input, &context, last_event)
                        .await
                }
                _ => Err(runtime("retry applies to Task, Parallel and Map only")),
            };
            let error = match outcome {
                Ok(output) => return Ok(output),
                Err(error) => error,
            };
            // The first retrier whose ErrorEquals matches decides; once it is exhausted
            // the error goes to Catch even if a later retrier also matches.
            let Some(index) = retriers
                .iter()
                .position(|retrier| error_matches(&retrier.error_equals, &error.error))
            else {
                return Err(error);
            };
            let retrier = &retriers[index];
            if attempts[index] >= retrier.max_attempts {
                return Err(error);
            }
            let mut delay = backoff_seconds(retrier, attempts[index]);
            if retrier.full_jitter && self.options.jitter {
                delay *= fastrand::f64();
            }
            attempts[index] += 1;
            retry_count += 1;
            self.options
                .clock
                .sleep(Duration::from_secs_f64(delay.max(0.0)))
                .await;
            // Step Functions bills each retry as a state transition.
            self.transitions.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn render(
        template: &Option<Template>,
        data: Value,
        context: &Value,
    ) -> Result<Value, StateError> {
        match template {
            Some(template) => template.render(&data, context),
            None => Ok(data),
        }
    }

    /// ResultSelector → ResultPath (on the raw input) → OutputPath.
    fn finish(
        state: &State,
        result_selector: &Option<Template>,
        result_path: &ResultPath,
        raw_input: &Value,
        result: Value,
        context: &Value,
    ) -> Result<Value, StateError> {
        let selected = Self::render(result_selector, result, context)?;
        let combined = result_path.apply(raw_input, selected)?;
        state.output_path.apply(&combined, context, "OutputPath")
    }

    async fn attempt_task(
        &self,
        state: &State,
        task: &TaskState,
        raw_input: &Value,
        context: &Value,
        last_event: &mut u64,
    ) -> Result<Value, StateError> {
        let effective = state.input_path.apply(raw_input, context, "InputPath")?;
        let payload = Self::render(&task.parameters, effective, context)?;
        let payload_text = sized_text(&payload, &format!("The payload of state '{}'", state.name))?;
        let (resource_type, resource, region) = self.describe_resource(&task.resource);

        let mut event = HistoryEvent::new("TaskScheduled", self.now());
        event.task_scheduled_event_details = Some(TaskScheduledDetails {
            resource_type: resource_type.clone(),
            resource: resource.clone(),
            region,
            parameters: payload_text,
            timeout_in_seconds: task.timeout_seconds,
            heartbeat_in_seconds: task.heartbeat_seconds,
        });
        *last_event = self.record(event, *last_event);
        let mut event = HistoryEvent::new("TaskStarted", self.now());
        event.task_started_event_details = Some(TaskResourceDetails {
            resource_type: resource_type.clone(),
            resource: resource.clone(),
        });
        *last_event = self.record(event, *last_event);

        // HeartbeatSeconds is recorded but not enforced: invokers send no heartbeats.
        let call = self.options.invoker.invoke(&task.resource, payload);
        let outcome = guard_timeout(self.options.clock.as_ref(), task.timeout_seconds, call).await;
        let result = match outcome {
            None => {
                let error = TaskError::new(
                    names::TIMEOUT,
                    format!(
                        "The task did not finish within TimeoutSeconds ({} s)",
                        task.timeout_seconds.unwrap_or_default()
                    ),
                );
                let mut event = HistoryEvent::new("TaskTimedOut", self.now());
                event.task_timed_out_event_details = Some(TaskFailedDetails {
                    resource_type,
                    resource,
                    error: error.error.clone(),
                    cause: error.cause.clone(),
                });
                *last_event = self.record(event, *last_event);
                return Err(error);
            }
            Some(Err(error)) => {
                let mut event = HistoryEvent::new("TaskFailed", self.now());
                event.task_failed_event_details = Some(TaskFailedDetails {
                    resource_type,
                    resource,
                    error: error.error.clone(),
                    cause: error.cause.clone(),
                });
                *last_event = self.record(event, *last_event);
                return Err(error);
            }
            Some(Ok(result)) => result,
        };
        let result_text =
            match sized_text(&result, &format!("The result of state '{}'", state.name)) {
                Ok(text) => text,
                Err(error) => {
                    let mut event = HistoryEvent::new("TaskFailed", self.now());
                    event.task_failed_event_details = Some(TaskFailedDetails {
                        resource_type,
                        resource,
                        error: error.error.clone(),
                        cause: error.cause.clone(),
                    });
                    *last_event = self.record(event, *last_event);
                    return Err(error);
                }
            };
        let mut event = HistoryEvent::new("TaskSucceeded", self.now());
        event.task_succeeded_event_details = Some(TaskSucceededDetails::new(
            resource_type,
            resource,
            result_text,
        ));
        *last_event = self.record(event, *last_event);
        Self::finish(
            state,
            &task.result_selector,
            &task.result_path,
            raw_input,
            result,
            context,
        )
    }

    /// (resourceType, resource, region) for task events. A Lambda ARN is reported as
    /// resourceType "lambda" with the ARN as resource; `arn:aws:states:::svc:action`
    /// integrations as resourceType "svc", resource "action".
    fn describe_resource(&self, resource: &str) -> (String, String, String) {
        if let Some(integration) = resource.strip_prefix("arn:aws:states:::") {
            let (service, action) = integration.split_once(':').unwrap_or((integration, ""));
            return (
                service.to_string(),
                action.to_string(),
                self.options.region.clone(),
            );
        }
        let region = resource
            .split(':')
            .nth(3)
            .filter(|region| !region.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| self.options.region.clone());
        ("lambda".to_string(), resource.to_string(), region)
    }

    async fn attempt_parallel(
        &self,
        state: &State,
        parallel: &ParallelState,
        raw_input: &Value,
        context: &Value,
        last_event: &mut u64,
    ) -> Result<Value, StateError> {
        let effective = state.input_path.apply(raw_input, context, "InputPath")?;
        let branch_input = Self::render(&parallel.parameters, effective, context)?;
        let started = self.record(
            HistoryEvent::new("ParallelStateStarted", self.now()),
            *last_event,
        );
        *last_event = started;
        let branches = parallel.branches.iter().map(|branch| {
            let input = branch_input.clone();
            async move {
                let mut branch_last = started;
                let result = self.run_list(branch, input, &mut branch_last).await;
                result
            }
        });
        // try_join_all drops (stops) the other branches as soon as one fails, like
        // Step Functions does.
        let outcome = futures::future::try_join_all(branches).await;
        self.close_fan_out(
            "Parallel",
            outcome,
            (state, &parallel.result_selector, &parallel.result_path),
            (raw_input, context),
            last_event,
        )
    }

    async fn attempt_map(
        &self,
        state: &State,
        map: &MapState,
        raw_input: &Value,
        context: &Value,
        last_event: &mut u64,
    ) -> Result<Value, StateError> {
        let effective = state.input_path.apply(raw_input, context, "InputPath")?;
        let items_value = match &map.items_path {
            Some(path) => path.select_or(&effective, context, names::RUNTIME, "ItemsPath")?,
            None => effective.clone(),
        };
        let Value::Array(items) = items_value else {
            return Err(runtime(format!(
                "The ItemsPath of Map state '{}' must select an array",
                state.name
            )));
        };
        let mut event = HistoryEvent::new("MapStateStarted", self.now());
        event.map_state_started_event_details = Some(MapStateStartedDetails {
            length: items.len(),
        });
        let started = self.record(event, *last_event);
        *last_event = started;

        let entered = self.now();
        let mut iteration_inputs = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let input = match &map.item_selector {
                Some(selector) => {
                    // $$.Map.Item is available while the ItemSelector is rendered.
                    let item_context = self.context(&state.name, entered, 0, Some((index, item)));
                    selector.render(&effective, &item_context)?
                }
                None => item.clone(),
            };
            iteration_inputs.push(input);
        }
        let concurrency = if map.max_concurrency == 0 {
            iteration_inputs.len().max(1)
        } else {
            map.max_concurrency
        };
        let iterations = iteration_inputs
            .into_iter()
            .enumerate()
            .map(|(index, input)| {
                let name = state.name.clone();
                async move {
                    let mut event = HistoryEvent::new("MapIterationStarted", self.now());
                    event.map_iteration_started_event_details = Some(MapIterationDetails {
                        name: name.clone(),
                        index,
                    });
                    let mut iteration_last = self.record(event, started);
                    let result = self
                        .run_list(&map.processor, input, &mut iteration_last)
                        .await;
                    let (event_type, details) = match &result {
                        Ok(_) => ("MapIterationSucceeded", MapIterationDetails { name, index }),
                        Err(_) => ("MapIterationFailed", MapIterationDetails { name, index }),
                    };
                    let mut event = HistoryEvent::new(event_type, self.now());
                    if result.is_ok() {
                        event.map_iteration_succeeded_event_details = Some(details);
                    } else {
                        event.map_iteration_failed_event_details = Some(details);
                    }
                    self.record(event, iteration_last);
                    result
                }
            });
        // `buffered` keeps results in item order and runs at most `concurrency` at once;
        // the first failure stops the remaining iterations.
        let outcome: Result<Vec<Value>, StateError> = futures::stream::iter(iterations)
            .buffered(concurrency)
            .try_collect()
            .await;
        self.close_fan_out(
            "Map",
            outcome,
            (state, &map.result_selector, &map.result_path),
            (raw_input, context),
            last_event,
        )
    }

    /// Ends a Parallel or Map state: its `<kind>StateSucceeded`/`Failed` event, then the
    /// results array through ResultSelector and ResultPath.
    fn close_fan_out(
        &self,
        kind: &str,
        outcome: Result<Vec<Value>, StateError>,
        (state, result_selector, result_path): (&State, &Option<Template>, &ResultPath),
        (raw_input, context): (&Value, &Value),
        last_event: &mut u64,
    ) -> Result<Value, StateError> {
        let event = if outcome.is_ok() {
            "StateSucceeded"
        } else {
            "StateFailed"
        };
        *last_event = self.record(
            HistoryEvent::new(format!("{kind}{event}"), self.now()),
            self.last_event_id(),
        );
        Self::finish(
            state,
            result_selector,
            result_path,
            raw_input,
            Value::Array(outcome?),
            context,
        )
    }
}
