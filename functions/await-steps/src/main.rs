//! The `await-steps` Lambda: records the task token of the event wait, answering at once if a step already ended. Its handler is `emrflow_events::AwaitSteps`; what it builds at cold
//! start is `emrflow_lambda::wiring::await_steps`.

use emrflow_core::Handler;
use emrflow_events::AwaitSteps;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(emrflow_lambda::wiring::await_steps, AwaitSteps::invoke).await
}
