//! The `termination-protection` Lambda: sets a cluster's termination protection, returning the previous value. Its handler is `emrflow_core::handlers::TerminationProtection`; what it builds at cold
//! start is `emrflow_lambda::wiring::termination_protection`.

use emrflow_core::handlers::TerminationProtection;
use emrflow_core::Handler;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(
        emrflow_lambda::wiring::termination_protection,
        TerminationProtection::invoke,
    )
    .await
}
