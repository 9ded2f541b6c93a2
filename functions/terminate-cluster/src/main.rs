//! The `terminate-cluster` Lambda: emrflow-core's handler behind emrflow-lambda's runtime loop.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve(emrflow_core::Function::TerminateCluster).await
}
