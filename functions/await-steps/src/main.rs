//! The `await-steps` Lambda: emrflow-events' handler behind emrflow-lambda's runtime loop.

use emrflow_events::{runtime, AwaitSteps};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(
        runtime::await_steps_from_environment,
        |handler: &'static AwaitSteps, payload: Value| handler.handle(payload),
    )
    .await
}
