//! What every Lambda binary does at cold start, kept here so the six mains stay a few lines.
//! (No lambda_runtime here: the binaries own the runtime loop and the error conversion.)

use std::sync::Arc;

use aws_config::BehaviorVersion;

use crate::{default_pipeline_path, EmrflowError, Function, Handlers, PipelineSpec, SdkEmr};

/// JSON logs without timestamps (CloudWatch adds its own); level from RUST_LOG, default info.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second init (e.g. in tests) is harmless; ignore "already set".
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .without_time()
        .with_target(false)
        .try_init();
}

/// Builds the handlers for `function` from the AWS environment: region and credentials from
/// the default chain (AWS_ENDPOINT_URL_EMR is honoured, which is how local mode works);
/// validate-input also loads the deployed default pipeline spec.
pub async fn handlers_from_environment(function: Function) -> Result<Handlers, EmrflowError> {
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let region = config
        .region()
        .map(|region| region.to_string())
        .ok_or_else(|| {
            EmrflowError::invalid_input(
                "no AWS region configured (set AWS_REGION): the script-runner JAR and EMR endpoint depend on it",
            )
        })?;
    let emr = Arc::new(SdkEmr::new(aws_sdk_emr::Client::new(&config)));
    if function == Function::ValidateInput {
        let pipeline = PipelineSpec::load(default_pipeline_path())?;
        Ok(Handlers::new(emr, pipeline, region))
    } else {
        Ok(Handlers::without_default_pipeline(emr, region))
    }
}
