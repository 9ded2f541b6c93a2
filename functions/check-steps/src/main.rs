//! The `check-steps` Lambda: one look at the cluster and the execution's steps, judged against the graph. Its handler is `emrflow_core::handlers::CheckSteps`; what it builds at cold
//! start is `emrflow_lambda::wiring::check_steps`.

use emrflow_core::handlers::CheckSteps;
use emrflow_core::Handler;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(emrflow_lambda::wiring::check_steps, CheckSteps::invoke).await
}
