//! Running the Pass state (its Result or shaped input at ResultPath) and the Succeed
//! state (its input through InputPath and OutputPath).

use serde_json::Value;

use super::Run;
use crate::definition::{PassState, State};
use crate::error::StateError;

impl Run<'_> {
    pub(super) fn run_pass(
        &self,
        state: &State,
        pass: &PassState,
        raw_input: &Value,
        context: &Value,
    ) -> Result<Value, StateError> {
        let effective = state.input_path.apply(raw_input, context, "InputPath")?;
        let result = match (&pass.result, &pass.parameters) {
            (Some(result), _) => result.clone(),
            (None, Some(parameters)) => parameters.render(&effective, context)?,
            (None, None) => effective,
        };
        let combined = pass.result_path.apply(raw_input, result)?;
        state.output_path.apply(&combined, context, "OutputPath")
    }

    pub(super) fn run_succeed(
        &self,
        state: &State,
        raw_input: &Value,
        context: &Value,
    ) -> Result<Value, StateError> {
        let effective = state.input_path.apply(raw_input, context, "InputPath")?;
        state.output_path.apply(&effective, context, "OutputPath")
    }
}
