//! Reading the functions' payloads: errors are InvalidInput naming the key.

use emrflow_core::error::invalid_at_path;
use emrflow_core::EmrflowError;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Step Functions' limit on a task token (SendTaskSuccess: 1 to 2048 characters).
pub const MAX_TASK_TOKEN_CHARS: usize = 2048;

/// EMR's step ids: `s-` and upper-case letters and digits, 256 characters at most.
const MAX_STEP_ID_CHARS: usize = 256;

/// Reads `payload` as `T`; `what` names it in the message ("await-steps payload").
pub fn from_payload<T: DeserializeOwned>(what: &str, payload: Value) -> Result<T, EmrflowError> {
    if !payload.is_object() {
        return Err(EmrflowError::invalid_input(format!(
            "{what}: must be a JSON object, not {payload}"
        )));
    }
    serde_path_to_error::deserialize(payload).map_err(|error| invalid_at_path(what, error))
}

pub fn check_task_token(token: &str, key: &str) -> Result<(), EmrflowError> {
    let length = token.chars().count();
    if (1..=MAX_TASK_TOKEN_CHARS).contains(&length) {
        Ok(())
    } else {
        Err(EmrflowError::invalid_input(format!(
            "key {key}: a task token has 1 to {MAX_TASK_TOKEN_CHARS} characters, this one {length}"
        )))
    }
}

/// `s-` followed by upper-case letters or digits (EMR's step ids).
pub fn check_step_id(step_id: &str, key: &str) -> Result<(), EmrflowError> {
    let well_shaped = step_id.len() <= MAX_STEP_ID_CHARS
        && step_id.strip_prefix("s-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        });
    if well_shaped {
        Ok(())
    } else {
        Err(EmrflowError::invalid_input(format!(
            "key {key}: '{step_id}' is not an EMR step id (expected 's-' followed by characters A-Z 0-9)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_ids_are_checked_for_emrs_shape() {
        // GIVEN good and bad step ids WHEN checked THEN only EMR's shape passes, named by key
        assert!(check_step_id("s-1A2B3C4D5E6F7", "Outstanding[0]").is_ok());
        for bad in ["", "s-", "j-ABC", "s-abc", "s-1 2"] {
            let error = check_step_id(bad, "Outstanding[3]").unwrap_err();
            assert!(
                error.message().starts_with("key Outstanding[3]: "),
                "{error}"
            );
        }
    }

    #[test]
    fn task_tokens_respect_step_functions_limits() {
        // GIVEN an empty, a normal and a too long token WHEN checked THEN only the normal passes
        assert!(check_task_token("", "TaskToken").is_err());
        assert!(check_task_token("AQCEAAAAKgAAAAMAAAAA", "TaskToken").is_ok());
        let long = "x".repeat(MAX_TASK_TOKEN_CHARS + 1);
        assert!(check_task_token(&long, "TaskToken").is_err());
    }
}
