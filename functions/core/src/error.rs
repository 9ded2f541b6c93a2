//! The stable error names of the contract (README, "Error names"), the error every handler
//! returns, and the one place it becomes Lambda's `errorType` / `errorMessage`.
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
    StepTimedOut,
    PipelineTimedOut,
    BudgetExceeded,
    PipelineBusy,
    InputNotReady,
    EmrThrottled,
    AwsTransient,
    AwsRequestRejected,
    InternalError,
    CleanupFailed,
    ExecutionAlreadyExists,
}

impl ErrorName {
    pub const ALL: [ErrorName; 19] = [
        ErrorName::InvalidInput,
        ErrorName::ClusterNotFound,
        ErrorName::ClusterNotUsable,
        ErrorName::ClusterFailed,
        ErrorName::ClusterProtected,
        ErrorName::StepFailed,
        ErrorName::StepCancelled,
        ErrorName::StepInterrupted,
        ErrorName::StepTimedOut,
        ErrorName::PipelineTimedOut,
        ErrorName::BudgetExceeded,
        ErrorName::PipelineBusy,
        ErrorName::InputNotReady,
        ErrorName::EmrThrottled,
        ErrorName::AwsTransient,
        ErrorName::AwsRequestRejected,
        ErrorName::InternalError,
        ErrorName::CleanupFailed,
        ErrorName::ExecutionAlreadyExists,
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
            ErrorName::StepTimedOut => "StepTimedOut",
            ErrorName::PipelineTimedOut => "PipelineTimedOut",
            ErrorName::BudgetExceeded => "BudgetExceeded",
            ErrorName::PipelineBusy => "PipelineBusy",
            ErrorName::InputNotReady => "InputNotReady",
            ErrorName::EmrThrottled => "EmrThrottled",
            ErrorName::AwsTransient => "AwsTransient",
            ErrorName::AwsRequestRejected => "AwsRequestRejected",
            ErrorName::InternalError => "InternalError",
            ErrorName::CleanupFailed => "CleanupFailed",
            ErrorName::ExecutionAlreadyExists => "ExecutionAlreadyExists",
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

/// A message is cut to this many bytes: it becomes the Cause of a failed Task and may be
/// carried through cleanup, and Step Functions limits a Cause (and the whole state).
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// `message` cut at a character boundary to at most MAX_MESSAGE_BYTES, saying so.
fn bounded(message: String) -> String {
    if message.len() <= MAX_MESSAGE_BYTES {
        return message;
    }
    const NOTE: &str = " … (cut)";
    let mut end = MAX_MESSAGE_BYTES - NOTE.len();
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{NOTE}", &message[..end])
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
            message: bounded(message.into()),
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

    /// A failure inside emrflow that no retry can fix (e.g. a response that cannot be
    /// serialized): never retried, so it reaches cleanup at once.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorName::InternalError, message)
    }

    /// The error as Lambda reports a failed invocation: the one conversion used by every
    /// Lambda binary, start-daily and the local runner's in-process invoker.
    pub fn lambda_error(&self) -> LambdaError {
        LambdaError {
            error_type: self.name.as_str().to_string(),
            error_message: self.message.clone(),
        }
    }

    /// The same error with `context` put in front of its message (the name is kept).
    pub fn with_context(self, context: impl fmt::Display) -> Self {
        EmrflowError::new(self.name, format!("{context}: {}", self.message))
    }
}

/// Lambda's error payload (`{"errorType": …, "errorMessage": …}`): what Step Functions sees as
/// the Task's Error and (as JSON text) its Cause.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaError {
    pub error_type: String,
    pub error_message: String,
}

impl LambdaError {
    /// The JSON text Step Functions puts in a failed Lambda Task's Cause.
    pub fn cause_text(&self) -> String {
        serde_json::json!({"errorType": self.error_type, "errorMessage": self.error_message})
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_becomes_lambdas_error_payload_with_its_stable_name() {
        // GIVEN a handler error WHEN converted for Lambda THEN the type is the stable name
        let error = EmrflowError::new(ErrorName::StepFailed, "step 'a' FAILED");
        let payload = error.lambda_error();
        assert_eq!(payload.error_type, "StepFailed");
        assert_eq!(payload.error_message, "step 'a' FAILED");
        let cause: serde_json::Value = serde_json::from_str(&payload.cause_text()).unwrap();
        assert_eq!(
            cause,
            serde_json::json!({"errorType": "StepFailed", "errorMessage": "step 'a' FAILED"})
        );
    }

    #[test]
    fn a_long_message_is_cut_to_a_bounded_size() {
        // GIVEN a message far over the bound WHEN an error is made THEN it is cut, and says so
        let error = EmrflowError::new(ErrorName::StepFailed, "é".repeat(10_000));
        assert!(error.message().len() <= MAX_MESSAGE_BYTES);
        assert!(error.message().ends_with("(cut)"));
    }

    #[test]
    fn an_internal_error_is_never_retried() {
        // GIVEN the internal error WHEN asked if retryable THEN no
        assert!(!EmrflowError::internal("x").name().is_retryable());
    }
}
