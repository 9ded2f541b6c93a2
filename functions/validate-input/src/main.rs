//! The `validate-input` Lambda: checks the execution input and the pipeline spec before anything exists. Its handler is `emrflow_core::handlers::ValidateInput`; what it builds at cold
//! start is `emrflow_lambda::wiring::validate_input`.

use emrflow_core::handlers::ValidateInput;
use emrflow_core::Handler;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(
        emrflow_lambda::wiring::validate_input,
        ValidateInput::invoke,
    )
    .await
}
