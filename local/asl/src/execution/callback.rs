//! Running a callback task (`lambda:invoke.waitForTaskToken`): the function is invoked as
//! any Lambda task, then the task waits for SendTaskSuccess / SendTaskFailure on its token,
//! bounded by HeartbeatSeconds (counted from the function's return and from each
//! heartbeat) and TimeoutSeconds (counted from the task's start).
//!
//! On a real or scaled clock the wait races the registry's wake-up against a clock sleep
//! to the next deadline. A virtual clock has no timer that could fire: its sleeps return
//! at once. There the wait lets everything else run first (see [`settle`]) and, once
//! nothing else can happen, moves the clock to the earliest deadline itself.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::task::{timeout_error, Ending, Resource};
use super::{guard_timeout, Run, EXECUTION_DEADLINE};
use crate::callback::{Answer, Poll, TimeoutKind, TokenLease};
use crate::clock::Clock;
use crate::definition::{State, TaskState};
use crate::error::{runtime, TaskError};

/// A virtual-clock wait concludes that nothing else can happen after this many quiet
/// rounds: each yields to the other tasks [`YIELDS_PER_ROUND`] times, then pauses
/// [`QUIET_PAUSE`] of real time for I/O and other threads. About 5 ms in all.
const QUIET_ROUNDS: usize = 5;
const YIELDS_PER_ROUND: usize = 32;
const QUIET_PAUSE: Duration = Duration::from_millis(1);

impl Run<'_> {
    pub(super) async fn run_callback(
        &self,
        state: &State,
        task: &TaskState,
        payload: Value,
        lease: &TokenLease,
        described: &Resource,
        last_event: &mut u64,
    ) -> Result<Value, Ending> {
        // The function runs under TimeoutSeconds like any task; Step Functions starts the
        // heartbeat clock only once it has returned.
        let call = self.invoke(task, payload);
        let Some(invoked) =
            guard_timeout(self.options.clock.as_ref(), task.timeout_seconds, call).await
        else {
            return Err(Ending::TimedOut(timeout_error(
                state,
                task,
                TimeoutKind::Task,
            )));
        };
        match invoked {
            Ok(response) => {
                lease.function_returned();
                self.submitted(described, &response, last_event)
                    .map_err(Ending::Failed)?;
            }
            // A callback that closed the task while the function ran has decided already.
            Err(error) => {
                return match lease.poll() {
                    Poll::Answered(answer) => answered(answer),
                    _ => Err(Ending::Failed(error)),
                }
            }
        }
        self.await_callback(state, task, lease).await
    }

    async fn await_callback(
        &self,
        state: &State,
        task: &TaskState,
        lease: &TokenLease,
    ) -> Result<Value, Ending> {
        let clock = self.options.clock.as_ref();
        loop {
            let next_deadline = match lease.poll() {
                Poll::Answered(answer) => return answered(answer),
                Poll::TimedOut(kind) => {
                    return Err(Ending::TimedOut(timeout_error(state, task, kind)))
                }
                Poll::Waiting(next_deadline) => next_deadline,
            };
            if !clock.is_virtual() {
                match next_deadline {
                    Some(when) => tokio::select! {
                        () = lease.woken() => {}
                        () = clock.sleep(until(clock, when)) => {}
                    },
                    None => lease.woken().await,
                }
                continue;
            }
            if settle(clock, lease).await {
                continue;
            }
            // Nothing else can happen: time moves to the first deadline, and the next poll
            // times the task out, unless the execution's own deadline comes first.
            match (next_deadline, self.deadline) {
                (Some(when), deadline) if deadline.is_none_or(|deadline| when <= deadline) => {
                    clock.sleep(until(clock, when)).await;
                }
                (_, Some(deadline)) => {
                    clock.sleep(until(clock, deadline)).await;
                    let error = TaskError::new(EXECUTION_DEADLINE, "TimeoutSeconds elapsed");
                    return Err(Ending::Cut(error));
                }
                (_, None) => {
                    return Err(Ending::Failed(runtime(format!(
                        "The state '{}' waits for a callback that nothing can send any more, and on a virtual clock without HeartbeatSeconds, TimeoutSeconds or an execution TimeoutSeconds it would wait forever",
                        state.name
                    ))))
                }
            }
        }
    }
}

/// Ends a callback task with the answer it was sent.
fn answered(answer: Answer) -> Result<Value, Ending> {
    match answer {
        Answer::Success(output) => Ok(output),
        Answer::Failure { error, cause } => Err(Ending::Failed(TaskError::new(error, cause))),
    }
}

/// Clock time from now until `when` (zero when it has passed).
fn until(clock: &dyn Clock, when: DateTime<Utc>) -> Duration {
    (when - clock.timer_now())
        .to_std()
        .unwrap_or(Duration::ZERO)
}

/// Lets every other task run, on a virtual clock: true as soon as the token is answered
/// or heartbeated, or the clock moves (another task's sleep); false when the quiet rounds
/// passed with none of that, which means nothing else can happen.
async fn settle(clock: &dyn Clock, lease: &TokenLease) -> bool {
    let before = clock.timer_now();
    let quiet = async {
        for _ in 0..QUIET_ROUNDS {
            for _ in 0..YIELDS_PER_ROUND {
                tokio::task::yield_now().await;
                if clock.timer_now() != before {
                    return true;
                }
            }
            tokio::time::sleep(QUIET_PAUSE).await;
            if clock.timer_now() != before {
                return true;
            }
        }
        false
    };
    tokio::select! {
        () = lease.woken() => true,
        moved = quiet => moved,
    }
}
