//! Stopping an execution from outside, as StopExecution does (e.g. on Ctrl-C).

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// Stops the execution it is given to ([`crate::ExecutionOptions::with_stop_handle`]).
/// Cloning shares it, so a signal handler can hold one clone while the execution runs.
/// Give each execution its own handle: once that execution has ended the handle is spent.
#[derive(Clone, Default)]
pub struct StopHandle {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    state: Mutex<StopState>,
    wake: Notify,
}

/// The error and cause a stop was requested with (both optional, as in StopExecution).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StopRequest {
    pub(crate) error: Option<String>,
    pub(crate) cause: Option<String>,
}

#[derive(Debug, Default)]
enum StopState {
    #[default]
    Running,
    Requested(StopRequest),
    Ended,
}

impl std::fmt::Debug for StopHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopHandle")
            .field("state", &*self.lock())
            .finish()
    }
}

impl StopHandle {
    pub fn new() -> Self {
        Self::default()
    }

    /// Ends the execution at once with status ABORTED and an `ExecutionAborted` event
    /// carrying `error` and `cause`. The running state's work is dropped (Step Functions
    /// does not wait for a Lambda function either). A stop requested before the execution
    /// starts aborts it as soon as it starts.
    ///
    /// Returns true when this call stops the execution; false when it had already ended
    /// or another stop came first (those calls change nothing).
    pub fn stop(&self, error: Option<String>, cause: Option<String>) -> bool {
        {
            let mut state = self.lock();
            if !matches!(*state, StopState::Running) {
                return false;
            }
            *state = StopState::Requested(StopRequest { error, cause });
        }
        self.inner.wake.notify_one();
        true
    }

    /// Resolves when a stop is requested.
    pub(crate) async fn requested(&self) -> StopRequest {
        loop {
            if let StopState::Requested(request) = &*self.lock() {
                return request.clone();
            }
            // `notify_one` keeps a permit when nobody waits yet, so no stop is missed
            // between the check above and this wait.
            self.inner.wake.notified().await;
        }
    }

    /// Marks the execution ended; a stop requested until now is returned, and decides.
    pub(crate) fn end(&self) -> Option<StopRequest> {
        match std::mem::replace(&mut *self.lock(), StopState::Ended) {
            StopState::Requested(request) => Some(request),
            StopState::Running | StopState::Ended => None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, StopState> {
        // Every change is a single assignment, so a poisoned lock is still consistent. It is
        // never held across an `.await`.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
