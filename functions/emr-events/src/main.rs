//! The `emr-events` Lambda: wakes the executions whose steps an EMR event concerns. Its handler is `emrflow_events::EmrEvents`; what it builds at cold
//! start is `emrflow_lambda::wiring::emr_events`.

use emrflow_core::Handler;
use emrflow_events::EmrEvents;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(emrflow_lambda::wiring::emr_events, EmrEvents::invoke).await
}
