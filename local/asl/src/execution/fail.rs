//! Running the Fail state: the error it ends with, its texts read from the input when
//! they are paths or intrinsic calls.

use serde_json::Value;

use super::Run;
use crate::definition::{FailState, FailText};
use crate::error::{names, StateError, TaskError};

impl Run<'_> {
    /// The state's error; reading a text that fails (a path matching nothing) is the
    /// error instead.
    pub(super) fn run_fail(
        &self,
        fail: &FailState,
        raw_input: &Value,
        context: &Value,
    ) -> StateError {
        let text = |source: &Option<FailText>| -> Result<String, StateError> {
            let value = match source {
                None => return Ok(String::new()),
                Some(FailText::Literal(text)) => return Ok(text.clone()),
                Some(FailText::Path(path)) => {
                    path.select_or(raw_input, context, names::RUNTIME, "Fail state")?
                }
                Some(FailText::Intrinsic(call)) => call.evaluate(raw_input, context)?,
            };
            Ok(match value {
                Value::String(text) => text,
                other => other.to_string(),
            })
        };
        match (text(&fail.error), text(&fail.cause)) {
            (Ok(error), Ok(cause)) => TaskError::new(error, cause),
            (Err(problem), _) | (Ok(_), Err(problem)) => problem,
        }
    }
}
