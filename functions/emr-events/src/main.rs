//! The `emr-events` Lambda: emrflow-events' handler behind emrflow-lambda's runtime loop.

use emrflow_events::{runtime, EmrEvents};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(
        runtime::emr_events_from_environment,
        |handler: &'static EmrEvents, event: Value| handler.handle(event),
    )
    .await
}
