//! A failure while a function starts, reported to the Lambda Runtime API's init-error path
//! (`POST /2018-06-01/runtime/init/error`) with the contract's `errorType`. lambda_runtime
//! reports only its own SnapStart failures there, so emrflow sends this request itself.

use emrflow_core::EmrflowError;
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{build_request, Client};

const INIT_ERROR_PATH: &str = "/2018-06-01/runtime/init/error";

/// Posts `error` to the Runtime API named by `AWS_LAMBDA_RUNTIME_API`. Outside Lambda (no
/// such variable) or when the post fails, says so in the log: the process ends either way.
pub async fn report_init_error(error: &EmrflowError) {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        tracing::warn!("not running in Lambda (AWS_LAMBDA_RUNTIME_API is not set): the init error is only logged");
        return;
    }
    if let Err(problem) = post(error).await {
        tracing::error!(%problem, "the init error could not be reported to the Lambda Runtime API");
    }
}

async fn post(error: &EmrflowError) -> Result<(), String> {
    let payload = error.lambda_error();
    let body = serde_json::to_vec(&payload).map_err(|e| e.to_string())?;
    let request = build_request()
        .method(http::Method::POST)
        .uri(http::Uri::from_static(INIT_ERROR_PATH))
        .header(
            "lambda-runtime-function-error-type",
            payload.error_type.as_str(),
        )
        .header("content-type", "application/json")
        .body(Body::from(body))
        .map_err(|e| e.to_string())?;
    let client = Client::builder().build().map_err(|e| e.to_string())?;
    let response = client.call(request).await.map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("the Runtime API answered {}", response.status()))
    }
}
