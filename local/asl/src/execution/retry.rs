//! Retry and Catch around Task, Parallel and Map: which errors match, the back-off between
//! attempts, and where a caught error goes.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{Run, EXECUTION_DEADLINE};
use crate::definition::{Catcher, Retrier, State, StateKind};
use crate::error::{names, runtime, StateError};
use crate::path::ResultPath;

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

impl Run<'_> {
    /// Runs a Task, Parallel or Map state with its Retry policy, then its Catch: the
    /// output and, when an error was caught, the catcher's next state.
    pub(super) async fn run_recovering(
        &self,
        state: &State,
        raw_input: &Value,
        entered: DateTime<Utc>,
        last_event: &mut u64,
    ) -> Result<(Value, Option<String>), StateError> {
        let error = match self
            .run_with_retry(state, raw_input, entered, last_event)
            .await
        {
            Ok(output) => return Ok((output, None)),
            Err(error) => error,
        };
        let catchers = state
            .kind
            .handling()
            .map(|handling| handling.catch.as_slice());
        match catchers
            .unwrap_or_default()
            .iter()
            .find(|catcher| error_matches(&catcher.error_equals, &error.error))
        {
            Some(catcher) => self.caught(catcher, raw_input, error),
            None => Err(error),
        }
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

    async fn run_with_retry(
        &self,
        state: &State,
        raw_input: &Value,
        entered: DateTime<Utc>,
        last_event: &mut u64,
    ) -> Result<Value, StateError> {
        let retriers = state
            .kind
            .handling()
            .map(|handling| handling.retry.as_slice());
        let retriers = retriers.unwrap_or_default();
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
}
