//! validate-input (state Validate_Input): the execution input and the pipeline spec checked
//! and normalized before anything exists; no EMR call.

use serde::Deserialize;
use serde_json::Value;

use super::{parse_time, Handlers};
use crate::input::{ExecutionInput, NormalizedInput};
use crate::EmrflowError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ValidateInputRequest {
    #[serde(default)]
    pub input: Value,
    pub execution_name: String,
    pub start_time: String,
}

impl Handlers {
    /// validate-input: normalizes the execution input; makes no EMR call.
    pub fn validate_input(
        &self,
        request: ValidateInputRequest,
    ) -> Result<NormalizedInput, EmrflowError> {
        let start_time = parse_time("StartTime", &request.start_time)?;
        ExecutionInput::from_value(request.input)?.normalize(
            &request.execution_name,
            start_time,
            self.default_pipeline.as_ref(),
            &self.region,
        )
    }
}
