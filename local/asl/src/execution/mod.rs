//! Running a state machine.
//!
//! This file holds [`execute`], the per-execution `Run` (history, transitions, context
//! object) and `run_state`, which records a state's entry and exit and dispatches to one
//! function per state type: `pass.rs` (Pass, Succeed), `fail.rs`, `choice.rs`, `wait.rs`,
//! `task.rs` and `fan_out.rs` (Parallel, Map). Retry and Catch around Task, Parallel and
//! Map live in `retry.rs`; the invoker, observer and options in `options.rs`; how an
//! execution ends (status, result, closing event) in `outcome.rs`.

mod callback;
mod choice;
mod fail;
mod fan_out;
mod lambda;
mod options;
mod outcome;
mod pass;
mod retry;
mod task;
mod wait;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::{json, Value};

use crate::clock::Clock;
use crate::definition::{Handling, State, StateKind, StateList, StateMachine, Transition};
use crate::error::{names, runtime, StateError, TaskError};
use crate::history::*;
use crate::path::Template;
use crate::timestamp;

pub use options::{ExecutionOptions, FnObserver, NoopObserver, Observer, TaskInvoker};
pub use outcome::{ExecutionResult, ExecutionStatus};

use outcome::Closing;

/// Step Functions' limit on any input, output or payload: 256 KiB of UTF-8 JSON.
pub const PAYLOAD_LIMIT_BYTES: usize = 256 * 1024;

/// Step Functions' quota of history events per standard execution; past it the execution
/// fails. It also stops a runaway loop on a virtual clock.
pub const HISTORY_EVENT_LIMIT: usize = 25_000;

/// Internal error name marking "the execution's TimeoutSeconds passed"; never retried or
/// caught, turned into the TimedOut status.
const EXECUTION_DEADLINE: &str = "emrflow.ExecutionDeadline";

/// Runs `machine` to completion, or until it is stopped through its [`crate::StopHandle`].
pub async fn execute(machine: &StateMachine, options: ExecutionOptions) -> ExecutionResult {
    let start_date = options.clock.now();
    let run = Run::new(machine, &options, start_date);
    let input_text = options.input.to_string();
    let mut started = HistoryEvent::new("ExecutionStarted", start_date);
    started.execution_started_event_details = Some(ExecutionStartedDetails::new(
        input_text.clone(),
        options.role_arn.clone(),
    ));
    let mut last_event = run.record(started, 0);

    let work = async {
        if input_text.len() > PAYLOAD_LIMIT_BYTES {
            return Closing::Finished(Err(data_limit("The execution input")));
        }
        let work = run.run_list(&machine.root, options.input.clone(), &mut last_event);
        match guard_timeout(options.clock.as_ref(), machine.timeout_seconds, work).await {
            None => Closing::TimedOut,
            Some(Err(error)) if error.error == EXECUTION_DEADLINE => Closing::TimedOut,
            Some(outcome) => Closing::Finished(outcome),
        }
    };
    // A stop drops the work wherever it is, running Task included.
    let closing = tokio::select! {
        biased;
        request = options.stop_handle.requested() => Closing::Aborted(request),
        closing = work => closing,
    };
    // A stop that came before the closing event is recorded still decides.
    let closing = match options.stop_handle.end() {
        Some(request) => Closing::Aborted(request),
        None => closing,
    };

    let stop_date = options.clock.now();
    let (status, output) = run.close(closing, machine.timeout_seconds, stop_date, last_event);
    let state_transitions = run.transitions.load(Ordering::SeqCst);
    let history = run
        .history
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    ExecutionResult {
        execution_arn: options.execution_arn(),
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
        let started = clock.timer_now();
        let value = work.await;
        let used = (clock.timer_now() - started).to_std().unwrap_or_default();
        (used <= limit).then_some(value)
    } else {
        tokio::select! {
            value = work => Some(value),
            _ = clock.sleep(limit) => None,
        }
    }
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

enum Step {
    Next(String, Value),
    End(Value),
}

struct Run<'a> {
    options: &'a ExecutionOptions,
    /// When the top-level TimeoutSeconds runs out, in the clock's timer time; checked as each
    /// state is entered so a loop on a virtual clock (where no timer can interrupt it) still
    /// ends.
    deadline: Option<DateTime<Utc>>,
    history: Mutex<Vec<HistoryEvent>>,
    transitions: AtomicU64,
    execution_context: Value,
    state_machine_context: Value,
}

impl<'a> Run<'a> {
    fn new(
        machine: &StateMachine,
        options: &'a ExecutionOptions,
        start_date: DateTime<Utc>,
    ) -> Self {
        let execution_context = json!({
            "Id": options.execution_arn(),
            "Name": options.name,
            "StartTime": timestamp::text(start_date),
            "Input": options.input,
            "RoleArn": options.role_arn,
            "RedriveCount": 0,
        });
        let state_machine_context = json!({
            "Id": options.state_machine_arn(),
            "Name": options.state_machine_name,
        });
        let started = options.clock.timer_now();
        let deadline = machine
            .timeout_seconds
            .map(|seconds| started + chrono::Duration::seconds(seconds as i64));
        Self {
            options,
            deadline,
            history: Mutex::new(Vec::new()),
            transitions: AtomicU64::new(0),
            execution_context,
            state_machine_context,
        }
    }

    /// The time to record (events, `$$` times): wall-clock time under a scaled clock.
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
        let timer_now = self.options.clock.timer_now();
        if self.deadline.is_some_and(|deadline| timer_now > deadline) {
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
                "EnteredTime": timestamp::text(entered),
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

    /// Enters a state, runs it by its type and exits it. Each type's function returns the
    /// state's output and, for Choice and a caught error, the next state it chose.
    async fn run_state(
        &self,
        state: &State,
        raw_input: Value,
        last_event: &mut u64,
    ) -> Result<Step, StateError> {
        self.check_limits()?;
        self.transitions.fetch_add(1, Ordering::SeqCst);
        let entered = self.now();
        let mut event =
            HistoryEvent::new(format!("{}StateEntered", state.kind.type_name()), entered);
        event.state_entered_event_details = Some(StateEnteredDetails::new(
            state.name.clone(),
            raw_input.to_string(),
        ));
        *last_event = self.record(event, *last_event);
        sized_text(&raw_input, &format!("The input of state '{}'", state.name))?;

        let context = self.context(&state.name, entered, 0, None);
        let (output, next) = match &state.kind {
            StateKind::Pass(pass) => (self.run_pass(state, pass, &raw_input, &context)?, None),
            StateKind::Succeed => (self.run_succeed(state, &raw_input, &context)?, None),
            StateKind::Fail(fail) => return Err(self.run_fail(fail, &raw_input, &context)),
            StateKind::Choice(choice) => {
                let (output, next) = self.run_choice(state, choice, &raw_input, &context)?;
                (output, Some(next))
            }
            StateKind::Wait(wait) => (
                self.run_wait(state, wait, &raw_input, &context).await?,
                None,
            ),
            StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => {
                self.run_recovering(state, &raw_input, entered, last_event)
                    .await?
            }
        };

        let output_text = sized_text(&output, &format!("The output of state '{}'", state.name))?;
        let mut event =
            HistoryEvent::new(format!("{}StateExited", state.kind.type_name()), self.now());
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
        handling: &Handling,
        raw_input: &Value,
        result: Value,
        context: &Value,
    ) -> Result<Value, StateError> {
        let selected = Self::render(&handling.result_selector, result, context)?;
        let combined = handling.result_path.apply(raw_input, selected)?;
        state.output_path.apply(&combined, context, "OutputPath")
    }
}
