//! validate-input (state Validate_Input): the execution input and the pipeline spec checked
//! and normalized before anything exists; no EMR call. Its output is the small summary the
//! state machine carries (`summary.rs`) — never the spec itself.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;

use super::state_size::check_state_size;
use super::{Handler, RunSummary};
use crate::deployment::Deployment;
use crate::input::normalize;
use crate::pipeline::Mode;
use crate::EmrflowError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ValidateInputRequest {
    #[serde(default)]
    pub input: Value,
    pub execution_name: String,
    pub start_time: String,
}

/// validate-input: needs the deployment, no EMR client.
pub struct ValidateInput {
    pub deployment: Arc<Deployment>,
}

#[async_trait]
impl Handler for ValidateInput {
    const NAME: &'static str = "validate-input";
    const PAYLOAD: &'static str = "validate-input input";
    type Request = ValidateInputRequest;
    type Response = RunSummary;

    /// Normalizes the execution input; makes no EMR call.
    async fn handle(&self, request: ValidateInputRequest) -> Result<RunSummary, EmrflowError> {
        self.validate(request)
    }
}

impl ValidateInput {
    /// The check itself, synchronous (no call is made).
    pub fn validate(&self, request: ValidateInputRequest) -> Result<RunSummary, EmrflowError> {
        let input_bytes = request.input.to_string().len();
        let normalized = normalize(
            request.input,
            &request.execution_name,
            &request.start_time,
            &self.deployment,
        )?;
        let mut summary = RunSummary {
            create_cluster: normalized.create_cluster,
            terminate_cluster: normalized.terminate_cluster,
            cluster_id: normalized.cluster_id.clone(),
            processing_date: normalized.processing_date.clone(),
            execution_name: normalized.execution_name.clone(),
            pipeline_name: normalized.pipeline.name.clone(),
            pipeline_digest: normalized.pipeline_digest()?,
            mode: Mode::of(&normalized.pipeline).as_str().to_string(),
            steps: normalized.pipeline.steps.len(),
            step_completion: self.deployment.step_completion_of(&normalized.pipeline),
            poll_interval_seconds: normalized.pipeline.poll_interval_seconds(),
            max_run_minutes: normalized.pipeline.max_run_minutes(),
            max_concurrent_runs: normalized.pipeline.max_concurrent_runs(),
            wait_for_earlier_runs: normalized.wait_for_earlier_runs,
            waits_for_objects: normalized.pipeline.waits_for_objects().len(),
            worst_case_state_bytes: 0,
        };
        summary.worst_case_state_bytes = check_state_size(&summary, &normalized, input_bytes)?;
        Ok(summary)
    }
}
