//! The `ensure-cluster` Lambda: creates the execution's cluster once, or checks the reused one. Its handler is `emrflow_core::handlers::EnsureCluster`; what it builds at cold
//! start is `emrflow_lambda::wiring::ensure_cluster`.

use emrflow_core::handlers::EnsureCluster;
use emrflow_core::Handler;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(
        emrflow_lambda::wiring::ensure_cluster,
        EnsureCluster::invoke,
    )
    .await
}
