//! The whole `main` of every pipeline Lambda, included by each binary with `#[path]`: the core
//! library stays free of lambda_runtime, and the six binaries differ only in their Function.

use emrflow_core::{runtime, Function};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;

/// Builds config, client and handlers once per cold start, then serves invocations of
/// `function`, turning a handler error into a Diagnostic whose errorType is the stable name
/// that the state machine's Retry and Catch match.
pub async fn serve(function: Function) -> Result<(), lambda_runtime::Error> {
    runtime::init_tracing();
    let handlers = runtime::handlers_from_environment(function).await?;
    let handlers = &handlers;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handlers
            .invoke(function, event.payload)
            .await
            .map_err(|error| Diagnostic {
                error_type: error.name().as_str().to_string(),
                error_message: error.to_string(),
            })
    }))
    .await
}
