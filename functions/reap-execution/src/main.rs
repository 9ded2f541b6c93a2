//! The `reap-execution` Lambda: cleans up after a stopped, timed-out or failed execution. Its handler is `emrflow_executions::handlers::ReapExecution`; what it builds at cold
//! start is `emrflow_lambda::wiring::reap_execution`.

use emrflow_core::Handler;
use emrflow_executions::handlers::ReapExecution;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(
        emrflow_lambda::wiring::reap_execution,
        ReapExecution::invoke,
    )
    .await
}
