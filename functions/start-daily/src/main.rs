//! The `start-daily` Lambda: every pipeline schedule's target: starts <PipelineName>-<date> once per pipeline and day. Its handler is `emrflow_executions::handlers::StartDaily`; what it builds at cold
//! start is `emrflow_lambda::wiring::start_daily`.

use emrflow_core::Handler;
use emrflow_executions::handlers::StartDaily;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(emrflow_lambda::wiring::start_daily, StartDaily::invoke).await
}
