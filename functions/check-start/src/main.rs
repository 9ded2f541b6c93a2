//! The `check-start` Lambda: may this run start now (its queue, its input data)? Its handler is `emrflow_executions::handlers::CheckStart`; what it builds at cold
//! start is `emrflow_lambda::wiring::check_start`.

use emrflow_core::Handler;
use emrflow_executions::handlers::CheckStart;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(emrflow_lambda::wiring::check_start, CheckStart::invoke).await
}
