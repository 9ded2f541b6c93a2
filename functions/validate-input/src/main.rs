//! The `validate-input` Lambda: a thin lambda_runtime loop around emrflow-core's handler.

use emrflow_core::{runtime, Function};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;

const FUNCTION: Function = Function::ValidateInput;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    runtime::init_tracing();
    // Built once per cold start and shared by every invocation.
    let handlers = runtime::handlers_from_environment(FUNCTION).await?;
    let handlers = &handlers;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handlers
            .invoke(FUNCTION, event.payload)
            .await
            // errorType is the contract's stable name, matched by the state machine.
            .map_err(|error| Diagnostic {
                error_type: error.name().as_str().to_string(),
                error_message: error.to_string(),
            })
    }))
    .await
}
