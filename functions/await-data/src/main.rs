//! The `await-data` Lambda: records the task token of the data wait, answering at once if every WaitFor object is there. Its handler is `emrflow_events::AwaitData`; what it builds at cold
//! start is `emrflow_lambda::wiring::await_data`.

use emrflow_core::Handler;
use emrflow_events::AwaitData;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(emrflow_lambda::wiring::await_data, AwaitData::invoke).await
}
