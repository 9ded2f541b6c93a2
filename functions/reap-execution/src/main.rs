//! The `reap-execution` Lambda: the reaper behind emrflow-lambda's runtime loop.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use reap_execution::ReapExecution;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(
        ReapExecution::from_environment,
        |reaper: &'static ReapExecution, event: EventBridgeEvent| reaper.handle(event),
    )
    .await
}
