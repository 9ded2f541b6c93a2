//! The stable error names of the contract and the error every handler returns.
//!
//! The name is what Step Functions matches in Retry/Catch (`errorType`), so it must never be a
//! Rust type name; the message is the `errorMessage` a person reads in the console.

use std::fmt;

/// The stable error names of the contract (`errorType` of a failed Lambda invocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorName {
    InvalidInput,
    ClusterNotFound,
    ClusterNotUsable,
    ClusterFailed,
    ClusterProtected,
    StepFailed,
    StepCancelled,
    StepInterrupted,
    PipelineTimedOut,
    EmrThrottled,
    AwsTransient,
    AwsRequestRejected,
}

impl ErrorName {
    pub const ALL: [ErrorName; 12] = [
        ErrorName::InvalidInput,
        ErrorName::ClusterNotFound,
        ErrorName::ClusterNotUsable,
        ErrorName::ClusterFailed,
        ErrorName::ClusterProtected,
        ErrorName::StepFailed,
        ErrorName::StepCancelled,
        ErrorName::StepInterrupted,
        ErrorName::PipelineTimedOut,
        ErrorName::EmrThrottled,
        ErrorName::AwsTransient,
        ErrorName::AwsRequestRejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorName::InvalidInput => "InvalidInput",
            ErrorName::ClusterNotFound => "ClusterNotFound",
            ErrorName::ClusterNotUsable => "ClusterNotUsable",
            ErrorName::ClusterFailed => "ClusterFailed",
            ErrorName::ClusterProtected => "ClusterProtected",
            ErrorName::StepFailed => "StepFailed",
            ErrorName::StepCancelled => "StepCancelled",
            ErrorName::StepInterrupted => "StepInterrupted",
            ErrorName::PipelineTimedOut => "PipelineTimedOut",
            ErrorName::EmrThrottled => "EmrThrottled",
            ErrorName::AwsTransient => "AwsTransient",
            ErrorName::AwsRequestRejected => "AwsRequestRejected",
        }
    }

    /// Whether the state machine should retry a Task that failed with this name.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorName::EmrThrottled | ErrorName::AwsTransient)
    }

    pub fn from_name(name: &str) -> Option<ErrorName> {
        ErrorName::ALL
            .into_iter()
            .find(|candidate| candidate.as_str() == name)
    }
}

impl fmt::Display for ErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A handler failure: a stable name plus a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EmrflowError {
    name: ErrorName,
    message: String,
}

impl EmrflowError {
    pub fn new(name: ErrorName, message: impl Into<String>) -> Self {
        EmrflowError {
            name,
            message: message.into(),
        }
    }

    pub fn name(&self) -> ErrorName {
        self.name
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorName::InvalidInput, message)
    }

    pub fn cluster_not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorName::ClusterNotFound, message)
    }

    pub fn cluster_not_usable(message: impl Into<String>) -> Self {
        Self::new(ErrorName::ClusterNotUsable, message)
    }

    /// The same error with `context` put in front of its message (the name is kept).
    pub fn with_context(self, context: impl fmt::Display) -> Self {
        EmrflowError {
            name: self.name,
            message: format!("{context}: {}", self.message),
        }
    }
}

/// Turns a serde error that knows the path of the offending value into InvalidInput naming it.
pub(crate) fn invalid_at_path<E: fmt::Display>(
    what: &str,
    error: serde_path_to_error::Error<E>,
) -> EmrflowError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    if path == "." || path.is_empty() {
        EmrflowError::invalid_input(format!("{what}: {inner}"))
    } else {
        EmrflowError::invalid_input(format!("{what}: key {path}: {inner}"))
    }
}
