//! The `ensure-cluster` Lambda: emrflow-core's handler behind the shared lambda_runtime loop.

#[path = "../../lambda_main.rs"]
mod lambda_main;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_main::serve(emrflow_core::Function::EnsureCluster).await
}
