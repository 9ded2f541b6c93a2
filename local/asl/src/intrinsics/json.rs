//! The JSON functions: States.StringToJson and States.JsonMerge (JsonToString needs no
//! code).

use serde_json::Value;

use super::{expect_object, expect_string};
use crate::error::{intrinsic_failure, StateError};

pub(super) fn string_to_json(values: &[Value]) -> Result<Value, StateError> {
    let text = expect_string(&values[0], "States.StringToJson", 1)?;
    serde_json::from_str(text)
        .map_err(|e| intrinsic_failure(format!("States.StringToJson: invalid JSON '{text}': {e}")))
}

/// A shallow merge, the only kind Step Functions performs.
pub(super) fn merge(values: &[Value]) -> Result<Value, StateError> {
    let left = expect_object(&values[0], "States.JsonMerge", 1)?;
    let right = expect_object(&values[1], "States.JsonMerge", 2)?;
    match values[2] {
        Value::Bool(false) => {}
        Value::Bool(true) => return Err(intrinsic_failure(
            "States.JsonMerge: deep merge (true) is not supported by Step Functions; pass false",
        )),
        _ => {
            return Err(intrinsic_failure(
                "States.JsonMerge: argument 3 must be the boolean false",
            ))
        }
    }
    let mut merged = left.clone();
    for (key, value) in right {
        merged.insert(key.clone(), value.clone());
    }
    Ok(Value::Object(merged))
}
