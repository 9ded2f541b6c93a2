//! validate-input (state Validate_Input): the execution input and the pipeline spec checked
//! and normalized before anything exists; no EMR call. Its output is the small summary the
//! state machine carries — never the spec itself (README, "The execution state").

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::state_size::check_state_size;
use super::{parse_time, Handlers};
use crate::graph::Mode;
use crate::input::{ExecutionInput, NormalizedInput};
use crate::pipeline::StepCompletion;
use crate::EmrflowError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ValidateInputRequest {
    #[serde(default)]
    pub input: Value,
    pub execution_name: String,
    pub start_time: String,
}

/// What the state machine keeps of the input (`$` after Validate_Input).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunSummary {
    pub create_cluster: bool,
    pub terminate_cluster: bool,
    pub cluster_id: Option<String>,
    pub processing_date: String,
    pub execution_name: String,
    pub pipeline_name: String,
    /// The fingerprint every later handler checks its re-derived pipeline against.
    pub pipeline_digest: String,
    /// LIST or GRAPH (README, "Pipelines as graphs").
    pub mode: String,
    pub steps: usize,
    pub step_completion: StepCompletion,
    pub poll_interval_seconds: u32,
    pub max_run_minutes: u32,
    /// The largest the execution state can grow for this spec (kept under 256 KiB).
    pub worst_case_state_bytes: usize,
}

impl Handlers {
    /// validate-input: normalizes the execution input; makes no EMR call.
    pub fn validate_input(
        &self,
        request: ValidateInputRequest,
    ) -> Result<RunSummary, EmrflowError> {
        let input_bytes = request.input.to_string().len();
        let normalized =
            self.normalize(request.input, &request.execution_name, &request.start_time)?;
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
            step_completion: normalized
                .pipeline
                .step_completion
                .unwrap_or(self.step_completion),
            poll_interval_seconds: normalized.pipeline.poll_interval_seconds(),
            max_run_minutes: normalized.pipeline.max_run_minutes(),
            worst_case_state_bytes: 0,
        };
        summary.worst_case_state_bytes = check_state_size(&summary, &normalized, input_bytes)?;
        Ok(summary)
    }

    /// The execution input normalized (defaults, pipeline resolved and rendered, EMR's
    /// limits checked): what validate-input checks and what later handlers re-derive.
    pub fn normalize(
        &self,
        input: Value,
        execution_name: &str,
        start_time: &str,
    ) -> Result<NormalizedInput, EmrflowError> {
        let start_time = parse_time("StartTime", start_time)?;
        ExecutionInput::from_value(input)?.normalize(
            execution_name,
            start_time,
            self.default_pipeline.as_ref(),
            &self.region,
        )
    }
}
