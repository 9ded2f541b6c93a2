//! The `add-steps` Lambda: submits the pipeline's steps that are ready, once. Its handler is `emrflow_core::handlers::AddSteps`; what it builds at cold
//! start is `emrflow_lambda::wiring::add_steps`.

use emrflow_core::handlers::AddSteps;
use emrflow_core::Handler;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(emrflow_lambda::wiring::add_steps, AddSteps::invoke).await
}
