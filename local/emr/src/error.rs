//! EMR's error wire shape: HTTP status + `{"__type": NAME, "message": TEXT}`.
//!
//! aws-sdk-emr (and boto3) read the error code from the `x-amzn-ErrorType` header or the
//! body's `__type` (a `namespace#` prefix is optional); we send both with the bare name.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmrError {
    /// Unknown cluster/step id, malformed parameters: EMR's modeled client error.
    #[error("{0}")]
    InvalidRequest(String),
    /// Requests EMR refuses by rule (termination protection, state, limits).
    #[error("{0}")]
    Validation(String),
    /// EMR's API rate limiting; the SDKs retry it with back-off.
    #[error("Rate exceeded")]
    Throttling,
    /// A server-side failure (also used for an injected lost response).
    #[error("{0}")]
    Internal(String),
    #[error("{0}")]
    UnknownOperation(String),
    /// The request body is not the JSON the operation expects.
    #[error("{0}")]
    Serialization(String),
}

impl EmrError {
    pub fn type_name(&self) -> &'static str {
        match self {
            EmrError::InvalidRequest(_) => "InvalidRequestException",
            EmrError::Validation(_) => "ValidationException",
            EmrError::Throttling => "ThrottlingException",
            EmrError::Internal(_) => "InternalServerError",
            EmrError::UnknownOperation(_) => "UnknownOperationException",
            EmrError::Serialization(_) => "SerializationException",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            EmrError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    pub(crate) fn cluster_not_found(cluster_id: &str) -> Self {
        EmrError::InvalidRequest(format!("Cluster id '{cluster_id}' is not valid."))
    }

    pub(crate) fn step_not_found(step_id: &str) -> Self {
        EmrError::InvalidRequest(format!("Step id '{step_id}' is not valid."))
    }

    pub(crate) fn cluster_finished() -> Self {
        EmrError::Validation(
            "A job flow that is shutting down, terminated, or finished may not be modified."
                .to_string(),
        )
    }
}

impl IntoResponse for EmrError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "__type": self.type_name(), "message": self.to_string() });
        let mut response = (self.status(), body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        headers.insert(
            "x-amzn-errortype",
            HeaderValue::from_static(self.type_name()),
        );
        response
    }
}
