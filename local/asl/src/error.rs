//! Error types: definition problems found at load time and errors raised while running.

use serde::{Deserialize, Serialize};

/// A definition the interpreter refuses at load time. The message names the state (or
/// the top level) and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DefinitionError {
    pub message: String,
}

impl DefinitionError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    pub(crate) fn at(location: &str, message: impl std::fmt::Display) -> Self {
        Self::new(format!("{location}: {message}"))
    }
}

/// What a Task resource reports when it fails: the ASL error name and its cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct TaskError {
    pub error: String,
    pub cause: String,
}

impl TaskError {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }
}

/// Well-known error names of the States language.
pub mod names {
    pub const ALL: &str = "States.ALL";
    pub const TASK_FAILED: &str = "States.TaskFailed";
    pub const TIMEOUT: &str = "States.Timeout";
    pub const RUNTIME: &str = "States.Runtime";
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
}

/// An error raised while a state runs; it travels up to Retry/Catch or ends the execution.
pub(crate) type StateError = TaskError;

pub(crate) fn runtime(cause: impl Into<String>) -> StateError {
    TaskError::new(names::RUNTIME, cause)
}

pub(crate) fn intrinsic_failure(cause: impl Into<String>) -> StateError {
    TaskError::new(names::INTRINSIC_FAILURE, cause)
}
