//! SDK errors classified into the contract's names, with messages in words (never the SDK's
//! `Debug` text): throttling → EmrThrottled; timeouts, dispatch failures and 5xx →
//! AwsTransient; any other service error → AwsRequestRejected carrying the service's message.
//! EMR's errors, and those of the other AWS services emrflow calls, are classified here alike.

use aws_sdk_emr::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::ConnectorError;

use crate::{EmrflowError, ErrorName};

/// Error codes AWS uses for throttling (the SDK's own retry classifier knows the same list).
const THROTTLING_CODES: [&str; 15] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "KmsThrottlingException",
];

/// Error codes of a failure on AWS's side that may pass on a retry (Step Functions'
/// ExecutionLimitExceeded: too many executions running now).
const TRANSIENT_CODES: [&str; 6] = [
    "InternalServerError",
    "InternalServerException",
    "InternalFailure",
    "ServiceUnavailable",
    "RequestTimeout",
    "ExecutionLimitExceeded",
];

/// Maps an SDK error of `operation` against `endpoint` (e.g. "EMR in us-east-1" or "the EMR
/// endpoint http://127.0.0.1:4599") to a contract error.
pub fn classify_sdk_error<E>(
    operation: &str,
    endpoint: &str,
    error: SdkError<E, HttpResponse>,
) -> EmrflowError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    classify_aws_sdk_error("EMR", operation, endpoint, error)
}

/// The same classification for another AWS service's SDK error (every aws-sdk crate shares
/// smithy's error type), so DynamoDB and Step Functions failures get the same names as
/// EMR's; `service` names the one that answered ("DynamoDB answered …").
pub fn classify_aws_sdk_error<E>(
    service: &str,
    operation: &str,
    endpoint: &str,
    error: SdkError<E, HttpResponse>,
) -> EmrflowError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let transient = |text: String| EmrflowError::new(ErrorName::AwsTransient, text);
    match &error {
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or("Unknown");
            // A modeled error carries its message even when the metadata has none.
            let message = context
                .err()
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| describe_chain(context.err()));
            let status = context.raw().status().as_u16();
            let text = format!("{operation}: {service} answered {code}: {message}");
            if code == "ExecutionAlreadyExists" {
                // Step Functions: an execution of this name exists (names are unique).
                EmrflowError::new(ErrorName::ExecutionAlreadyExists, text)
            } else if THROTTLING_CODES.contains(&code) || status == 429 {
                EmrflowError::new(ErrorName::EmrThrottled, text)
            } else if TRANSIENT_CODES.contains(&code) || status >= 500 {
                transient(text)
            } else {
                EmrflowError::new(ErrorName::AwsRequestRejected, text)
            }
        }
        SdkError::TimeoutError(_) => {
            transient(format!("{operation}: {endpoint} did not answer in time"))
        }
        SdkError::DispatchFailure(failure) => match failure.as_connector_error() {
            Some(connector) => transient(format!(
                "{operation}: {}",
                describe_connector_error(endpoint, connector)
            )),
            None => transient(format!(
                "{operation}: the request could not be sent to {endpoint}: {}",
                describe_chain(&error)
            )),
        },
        SdkError::ResponseError(_) => transient(format!(
            "{operation}: the answer of {endpoint} could not be read: {}",
            describe_chain(&error)
        )),
        SdkError::ConstructionFailure(_) => EmrflowError::new(
            ErrorName::AwsRequestRejected,
            format!(
                "{operation}: the request could not be built: {}",
                describe_chain(&error)
            ),
        ),
        _ => transient(format!("{operation}: {}", describe_chain(&error))),
    }
}

/// "could not connect to the EMR endpoint http://…: connection refused" — the innermost I/O
/// error in words, not the connector's Debug output.
fn describe_connector_error(endpoint: &str, error: &ConnectorError) -> String {
    if error.is_timeout() {
        return format!("{endpoint} did not answer in time");
    }
    let io_error = std::iter::successors(std::error::Error::source(error), |cause| cause.source())
        .find_map(|cause| cause.downcast_ref::<std::io::Error>());
    let reason = match io_error.map(std::io::Error::kind) {
        Some(std::io::ErrorKind::ConnectionRefused) => "connection refused".to_string(),
        Some(std::io::ErrorKind::ConnectionReset) => "the connection was reset".to_string(),
        Some(std::io::ErrorKind::ConnectionAborted) => "the connection was aborted".to_string(),
        Some(std::io::ErrorKind::TimedOut) => "the connection timed out".to_string(),
        _ => innermost_message(error),
    };
    format!("could not connect to {endpoint}: {reason}")
}

/// The message of the deepest error in the chain (the one that says what went wrong).
fn innermost_message(error: &(dyn std::error::Error + 'static)) -> String {
    std::iter::successors(Some(error), |cause| cause.source())
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

pub(super) fn describe_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
