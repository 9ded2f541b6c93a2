//! Answering a waiting Task: the [`TaskCallbacks`] port, with the Step Functions adapter
//! (deployed); the local runner adds one over its interpreter's callback registry.

mod sfn;

use async_trait::async_trait;
use emrflow_core::EmrflowError;

pub use sfn::SfnCallbacks;

/// Why a callback did not land.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// The task has already ended or its execution is gone: normal when events come twice,
    /// late, or after the heartbeat fell back to a check.
    #[error("the task does not exist any more (TaskDoesNotExist): {0}")]
    TaskDoesNotExist(String),
    /// The task's heartbeat or timeout passed: the execution has gone on to check by itself.
    #[error("the task has timed out (TaskTimedOut): {0}")]
    TaskTimedOut(String),
    /// Step Functions no longer accepts the token (e.g. the task was already answered).
    #[error("the task token is not accepted (InvalidToken): {0}")]
    InvalidToken(String),
    /// A real failure, named like EMR's (EmrThrottled, AwsTransient, AwsRequestRejected).
    #[error("{0}")]
    Failed(EmrflowError),
}

impl CallbackError {
    /// The task already ended: nothing to wake, nothing to retry.
    pub fn is_harmless(&self) -> bool {
        !matches!(self, CallbackError::Failed(_))
    }
}

/// Step Functions' callbacks for tasks waiting on a token (object-safe: `&dyn TaskCallbacks`).
#[async_trait]
pub trait TaskCallbacks: Send + Sync {
    /// SendTaskSuccess: the waiting Task ends with `output` as its result.
    async fn send_task_success(
        &self,
        task_token: &str,
        output: serde_json::Value,
    ) -> Result<(), CallbackError>;
}
