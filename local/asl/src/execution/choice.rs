//! Running the Choice state: the first rule that matches names the next state, else
//! Default, else States.NoChoiceMatched.

use serde_json::Value;

use super::Run;
use crate::definition::{ChoiceState, State};
use crate::error::{names, StateError, TaskError};

impl Run<'_> {
    /// The state's output and the next state chosen.
    pub(super) fn run_choice(
        &self,
        state: &State,
        choice: &ChoiceState,
        raw_input: &Value,
        context: &Value,
    ) -> Result<(Value, String), StateError> {
        let effective = state.input_path.apply(raw_input, context, "InputPath")?;
        let mut chosen = None;
        for (rule, next) in &choice.choices {
            if rule.evaluate(&effective, context)? {
                chosen = Some(next.clone());
                break;
            }
        }
        let next = chosen.or_else(|| choice.default.clone()).ok_or_else(|| {
            TaskError::new(
                names::NO_CHOICE_MATCHED,
                format!(
                    "No Choice Rule matched in state '{}' and there is no Default",
                    state.name
                ),
            )
        })?;
        let output = state.output_path.apply(&effective, context, "OutputPath")?;
        Ok((output, next))
    }
}
