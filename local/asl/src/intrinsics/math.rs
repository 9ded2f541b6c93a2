//! The math functions: States.MathRandom and States.MathAdd.

use serde_json::Value;

use super::expect_integer;
use crate::error::{intrinsic_failure, StateError};

pub(super) fn random(values: &[Value]) -> Result<Value, StateError> {
    let start = expect_integer(&values[0], "States.MathRandom", 1)?;
    let end = expect_integer(&values[1], "States.MathRandom", 2)?;
    if start >= end {
        return Err(intrinsic_failure(
            "States.MathRandom: the start must be lower than the end",
        ));
    }
    let mut rng = match values.get(2) {
        Some(seed) => {
            fastrand::Rng::with_seed(expect_integer(seed, "States.MathRandom", 3)? as u64)
        }
        None => fastrand::Rng::new(),
    };
    Ok(Value::from(rng.i64(start..end)))
}

pub(super) fn add(values: &[Value]) -> Result<Value, StateError> {
    let left = expect_integer(&values[0], "States.MathAdd", 1)?;
    let right = expect_integer(&values[1], "States.MathAdd", 2)?;
    left.checked_add(right)
        .map(Value::from)
        .ok_or_else(|| intrinsic_failure("States.MathAdd: the sum overflows"))
}
