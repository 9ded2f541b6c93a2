//! Task tokens of callback tasks (`.waitForTaskToken`): the registry that executions open
//! tokens in and that SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::Notify;

use crate::clock::Clock;

/// Why a callback was refused, named as Step Functions names the API errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// No task waits on this token: it was never issued here, or its task already ended
    /// (answered, failed, retried or stopped), e.g. a duplicate callback.
    #[error("TaskDoesNotExist: no task is waiting for this token (it ended or never existed)")]
    TaskDoesNotExist,
    /// The token is not one this registry could have issued.
    #[error("InvalidToken: the task token is malformed")]
    InvalidToken,
    /// The task already timed out (TimeoutSeconds or HeartbeatSeconds).
    #[error("TaskTimedOut: the task of this token has already timed out")]
    TaskTimedOut,
}

impl CallbackError {
    /// The API error name: TaskDoesNotExist, InvalidToken or TaskTimedOut.
    pub fn name(&self) -> &'static str {
        match self {
            CallbackError::TaskDoesNotExist => "TaskDoesNotExist",
            CallbackError::InvalidToken => "InvalidToken",
            CallbackError::TaskTimedOut => "TaskTimedOut",
        }
    }
}

/// The callback tasks waiting for an answer, shared by the executions given it
/// ([`crate::ExecutionOptions::with_task_tokens`]) and by whoever answers them. Cloning
/// shares the registry.
///
/// The methods are synchronous: they only record the answer and wake the waiting task, so
/// a function may call them from inside its own invocation (before it returns) or from
/// any thread.
#[derive(Clone, Default)]
pub struct TaskTokens {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl std::fmt::Debug for TaskTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskTokens")
            .field("tokens", &self.lock().len())
            .finish()
    }
}

/// What a callback answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    Success(Value),
    Failure { error: String, cause: String },
}

/// Which limit a callback task outlived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeoutKind {
    /// TimeoutSeconds since the task started.
    Task,
    /// HeartbeatSeconds since the function returned or the last heartbeat.
    Heartbeat,
}

/// The time limits of one callback task, in the execution's clock time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) timeout: Option<Duration>,
    pub(crate) heartbeat: Option<Duration>,
}

/// Where a task's token stands, as its waiting task sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Poll {
    Answered(Answer),
    TimedOut(TimeoutKind),
    /// Still open; the earliest deadline still ahead, if any.
    Waiting(Option<DateTime<Utc>>),
}

#[derive(Debug)]
enum Phase {
    Open,
    Answered(Answer),
    /// The waiting task took the answer; anything more is a duplicate.
    Closed,
    /// Kept after the task ended, so late callbacks learn that it timed out.
    TimedOut(TimeoutKind),
}

struct Entry {
    clock: Arc<dyn Clock>,
    phase: Phase,
    wake: Arc<Notify>,
    started: DateTime<Utc>,
    limits: Limits,
    /// When the heartbeat clock last started: set when the invoked function returns (Step
    /// Functions does not count heartbeats while the function runs), reset by heartbeats.
    beat_from: Option<DateTime<Utc>>,
}

impl Entry {
    /// The deadlines still ahead, earliest first: (when, which limit).
    fn deadlines(&self) -> Vec<(DateTime<Utc>, TimeoutKind)> {
        // A limit too far away to be a date is no deadline at all.
        let after = |from: DateTime<Utc>, limit: Duration| {
            from.checked_add_signed(chrono::Duration::from_std(limit).ok()?)
        };
        let mut deadlines = Vec::new();
        if let Some(when) = self.limits.timeout.and_then(|l| after(self.started, l)) {
            deadlines.push((when, TimeoutKind::Task));
        }
        if let (Some(from), Some(limit)) = (self.beat_from, self.limits.heartbeat) {
            if let Some(when) = after(from, limit) {
                deadlines.push((when, TimeoutKind::Heartbeat));
            }
        }
        deadlines.sort_by_key(|(when, _)| *when);
        deadlines
    }

    /// Times the task out when the clock reached one of its deadlines; both the waiting
    /// task and a late callback call this, so whichever looks first decides the same way.
    fn expire(&mut self) {
        if !matches!(self.phase, Phase::Open) {
            return;
        }
        let now = self.clock.timer_now();
        if let Some((_, kind)) = self.deadlines().into_iter().find(|(when, _)| now >= *when) {
            self.phase = Phase::TimedOut(kind);
        }
    }
}

impl TaskTokens {
    pub fn new() -> Self {
        Self::default()
    }

    /// SendTaskSuccess: the task succeeds with `output` as its result. An output over
    /// 256 KiB is accepted here and fails the task with States.DataLimitExceeded, as the
    /// task's result would.
    pub fn send_task_success(&self, token: &str, output: Value) -> Result<(), CallbackError> {
        self.answer(token, Answer::Success(output))
    }

    /// SendTaskFailure: the task fails with `error` and `cause`, which Retry and Catch
    /// then match like any task error.
    pub fn send_task_failure(
        &self,
        token: &str,
        error: &str,
        cause: &str,
    ) -> Result<(), CallbackError> {
        self.answer(
            token,
            Answer::Failure {
                error: error.to_string(),
                cause: cause.to_string(),
            },
        )
    }

    /// SendTaskHeartbeat: restarts the HeartbeatSeconds clock of the task. Before the
    /// invoked function returned there is no heartbeat clock yet; the call is accepted.
    pub fn send_task_heartbeat(&self, token: &str) -> Result<(), CallbackError> {
        self.with_open(token, |entry| {
            if entry.beat_from.is_some() {
                entry.beat_from = Some(entry.clock.timer_now());
            }
        })
    }

    fn answer(&self, token: &str, answer: Answer) -> Result<(), CallbackError> {
        self.with_open(token, |entry| entry.phase = Phase::Answered(answer))
    }

    /// Applies `change` to the open task of `token` and wakes its waiting task.
    fn with_open(&self, token: &str, change: impl FnOnce(&mut Entry)) -> Result<(), CallbackError> {
        if !is_well_formed(token) {
            return Err(CallbackError::InvalidToken);
        }
        let wake = {
            let mut entries = self.lock();
            let entry = entries
                .get_mut(token)
                .ok_or(CallbackError::TaskDoesNotExist)?;
            entry.expire();
            match entry.phase {
                Phase::Open => change(entry),
                Phase::TimedOut(_) => return Err(CallbackError::TaskTimedOut),
                Phase::Answered(_) | Phase::Closed => return Err(CallbackError::TaskDoesNotExist),
            }
            entry.wake.clone()
        };
        // A stored permit wakes the waiter even if it is not waiting yet.
        wake.notify_one();
        Ok(())
    }

    /// Issues a fresh token for one attempt of a callback task that starts now.
    pub(crate) fn open(&self, clock: Arc<dyn Clock>, limits: Limits) -> TokenLease {
        let token = new_token();
        let wake = Arc::new(Notify::new());
        let entry = Entry {
            started: clock.timer_now(),
            clock,
            phase: Phase::Open,
            wake: wake.clone(),
            limits,
            beat_from: None,
        };
        self.lock().insert(token.clone(), entry);
        TokenLease {
            tokens: self.clone(),
            token,
            wake,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // No code path panics while holding this lock with an entry half-changed, so a
        // poisoned lock is still consistent. It is never held across an `.await`.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One attempt's token, held by the waiting task. Dropping it (the task ended, was retried
/// or its execution stopped) makes further callbacks `TaskDoesNotExist`, except after a
/// timeout, which callbacks keep seeing as `TaskTimedOut`.
pub(crate) struct TokenLease {
    tokens: TaskTokens,
    token: String,
    wake: Arc<Notify>,
}

impl TokenLease {
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// Resolves when a callback or heartbeat arrived since the last wake-up.
    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }

    /// The invoked function returned: the heartbeat clock starts now.
    pub(crate) fn function_returned(&self) {
        if let Some(entry) = self.tokens.lock().get_mut(&self.token) {
            entry.beat_from = Some(entry.clock.timer_now());
        }
    }

    /// The token's state, timing the task out first if a deadline has passed. An answer
    /// is handed over once; the token is closed from then on.
    pub(crate) fn poll(&self) -> Poll {
        let mut entries = self.tokens.lock();
        let Some(entry) = entries.get_mut(&self.token) else {
            return Poll::Waiting(None);
        };
        entry.expire();
        match std::mem::replace(&mut entry.phase, Phase::Closed) {
            Phase::Answered(answer) => Poll::Answered(answer),
            Phase::TimedOut(kind) => {
                entry.phase = Phase::TimedOut(kind);
                Poll::TimedOut(kind)
            }
            Phase::Open => {
                entry.phase = Phase::Open;
                Poll::Waiting(entry.deadlines().first().map(|(when, _)| *when))
            }
            Phase::Closed => Poll::Waiting(None),
        }
    }
}

impl Drop for TokenLease {
    fn drop(&mut self) {
        let mut entries = self.tokens.lock();
        if !matches!(
            entries.get(&self.token).map(|entry| &entry.phase),
            Some(Phase::TimedOut(_))
        ) {
            entries.remove(&self.token);
        }
    }
}

/// Marks the tokens this registry issues, so a malformed token is told from an unknown one.
const TOKEN_MARK: &[u8] = b"emrflow-asl-task-token:";

/// A fresh opaque token: the mark and a random UUID, in base64 like Step Functions' own.
fn new_token() -> String {
    let mut bytes = TOKEN_MARK.to_vec();
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Whether `token` has the shape of a token [`new_token`] makes (Step Functions also refuses
/// tokens longer than 2,048 characters).
fn is_well_formed(token: &str) -> bool {
    if token.is_empty() || token.len() > 2048 {
        return false;
    }
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .is_ok_and(|bytes| bytes.len() == TOKEN_MARK.len() + 16 && bytes.starts_with(TOKEN_MARK))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::VirtualClock;
    use serde_json::json;

    fn registry_with_open_token(limits: Limits) -> (TaskTokens, TokenLease, Arc<VirtualClock>) {
        let clock = Arc::new(VirtualClock::default());
        let tokens = TaskTokens::new();
        let lease = tokens.open(clock.clone(), limits);
        (tokens, lease, clock)
    }

    const NO_LIMITS: Limits = Limits {
        timeout: None,
        heartbeat: None,
    };

    #[test]
    fn tokens_are_fresh_and_well_formed() {
        // GIVEN two tokens WHEN issued THEN they differ and both are well formed
        let (tokens, first, _) = registry_with_open_token(NO_LIMITS);
        let second = tokens.open(Arc::new(VirtualClock::default()), NO_LIMITS);
        assert_ne!(first.token(), second.token());
        assert!(is_well_formed(first.token()) && is_well_formed(second.token()));
        // AND garbage, other base64 and oversized text are not
        for bad in ["", "not a token", "aGVsbG8=", &"A".repeat(2049)] {
            assert!(!is_well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn an_answer_is_handed_over_once_and_then_the_token_is_closed() {
        // GIVEN an open token
        let (tokens, lease, _) = registry_with_open_token(NO_LIMITS);
        // WHEN it is answered twice
        assert_eq!(tokens.send_task_success(lease.token(), json!(1)), Ok(()));
        let duplicate = tokens.send_task_success(lease.token(), json!(2));
        // THEN the second is refused, the waiter gets the first answer, and then nothing
        assert_eq!(duplicate, Err(CallbackError::TaskDoesNotExist));
        assert_eq!(lease.poll(), Poll::Answered(Answer::Success(json!(1))));
        assert_eq!(
            tokens.send_task_heartbeat(lease.token()),
            Err(CallbackError::TaskDoesNotExist)
        );
        // AND once the lease is dropped the token is unknown
        let token = lease.token().to_string();
        drop(lease);
        assert_eq!(
            tokens.send_task_failure(&token, "E", "c"),
            Err(CallbackError::TaskDoesNotExist)
        );
    }

    #[test]
    fn heartbeat_clock_starts_when_the_function_returns() {
        // GIVEN HeartbeatSeconds 60 and a function that runs for 100 s
        let limits = Limits {
            timeout: None,
            heartbeat: Some(Duration::from_secs(60)),
        };
        let (tokens, lease, clock) = registry_with_open_token(limits);
        clock.advance(Duration::from_secs(100));
        // THEN nothing has timed out while it ran
        assert_eq!(lease.poll(), Poll::Waiting(None));
        // WHEN it returns and 59 s pass THEN the deadline is 60 s after the return
        lease.function_returned();
        let returned = clock.now();
        clock.advance(Duration::from_secs(59));
        assert_eq!(
            lease.poll(),
            Poll::Waiting(Some(returned + chrono::Duration::seconds(60)))
        );
        // AND a heartbeat moves it; past it the task times out, for callbacks too
        assert_eq!(tokens.send_task_heartbeat(lease.token()), Ok(()));
        clock.advance(Duration::from_secs(60));
        assert_eq!(
            tokens.send_task_success(lease.token(), json!(1)),
            Err(CallbackError::TaskTimedOut)
        );
        assert_eq!(lease.poll(), Poll::TimedOut(TimeoutKind::Heartbeat));
        let token = lease.token().to_string();
        drop(lease);
        assert_eq!(
            tokens.send_task_heartbeat(&token),
            Err(CallbackError::TaskTimedOut)
        );
    }
}
