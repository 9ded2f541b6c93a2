//! Waking one waiter: SendTaskSuccess on its token, then deleting its record — what both
//! handlers do once they know a step or the cluster ended.

use emrflow_core::EmrflowError;
use serde_json::Value;

use crate::{CallbackError, TaskCallbacks, TokenStore, Waiter};

/// What became of a wake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Wake {
    /// The Task got the output and goes on.
    Woken,
    /// The Task had already ended (a duplicate or late event, a heartbeat fallback): normal.
    AlreadyEnded,
}

/// Sends `output` to the waiter's Task and deletes the waiter. A real callback failure is
/// returned with the record left in place, so a retry of the same event can still wake it.
pub(crate) async fn wake(
    store: &dyn TokenStore,
    callbacks: &dyn TaskCallbacks,
    waiter: &Waiter,
    output: Value,
) -> Result<Wake, EmrflowError> {
    let wake = match callbacks
        .send_task_success(&waiter.task_token, output)
        .await
    {
        Ok(()) => {
            tracing::info!(waits_on = %waiter.waits_on, execution = %waiter.waiter, "woke the waiting execution");
            Wake::Woken
        }
        Err(CallbackError::Failed(error)) => {
            return Err(error.with_context(format!(
                "waking execution {} waiting on {}",
                waiter.waiter, waiter.waits_on
            )))
        }
        Err(harmless) => {
            tracing::info!(waits_on = %waiter.waits_on, execution = %waiter.waiter, reason = %harmless, "the task had already ended: nothing to wake");
            Wake::AlreadyEnded
        }
    };
    forget(store, waiter).await;
    Ok(wake)
}

/// Deletes the waiter if it still holds this token. A failure only leaves a record behind
/// that expires by itself and whose token answers harmlessly, so it is logged, not raised:
/// the wake, which mattered, has happened.
async fn forget(store: &dyn TokenStore, waiter: &Waiter) {
    match store
        .delete(&waiter.waits_on, &waiter.waiter, &waiter.task_token)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(waits_on = %waiter.waits_on, execution = %waiter.waiter, "the waiter was already gone or replaced by a newer wait")
        }
        Err(error) => {
            tracing::warn!(waits_on = %waiter.waits_on, execution = %waiter.waiter, error_type = error.name().as_str(), message = %error, "the waiter could not be deleted; it expires by itself")
        }
    }
}
