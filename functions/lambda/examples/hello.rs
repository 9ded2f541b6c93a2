//! The smallest lambda_runtime function there is: `make bench` starts it beside emrflow's
//! functions, built the same way, to see what emrflow's own start-up costs on top.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
