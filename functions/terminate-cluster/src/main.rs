//! The `terminate-cluster` Lambda: terminates the execution's cluster; safe to call again. Its handler is `emrflow_core::handlers::TerminateCluster`; what it builds at cold
//! start is `emrflow_lambda::wiring::terminate_cluster`.

use emrflow_core::handlers::TerminateCluster;
use emrflow_core::Handler;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(
        emrflow_lambda::wiring::terminate_cluster,
        TerminateCluster::invoke,
    )
    .await
}
