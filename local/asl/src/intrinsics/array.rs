//! The array functions: States.ArrayPartition, ArrayContains, ArrayRange, ArrayGetItem,
//! ArrayLength and ArrayUnique (States.Array itself needs no code).

use serde_json::Value;

use super::{expect_array, expect_integer};
use crate::error::{intrinsic_failure, StateError};

/// The most items States.ArrayRange may produce (AWS limit).
const ARRAY_RANGE_LIMIT: usize = 1000;

pub(super) fn partition(values: &[Value]) -> Result<Value, StateError> {
    let array = expect_array(&values[0], "States.ArrayPartition", 1)?;
    let size = expect_integer(&values[1], "States.ArrayPartition", 2)?;
    if size <= 0 {
        return Err(intrinsic_failure(
            "States.ArrayPartition: the chunk size must be a positive integer",
        ));
    }
    let chunk = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(Value::Array(
        array
            .chunks(chunk)
            .map(|part| Value::Array(part.to_vec()))
            .collect(),
    ))
}

pub(super) fn contains(values: &[Value]) -> Result<Value, StateError> {
    let array = expect_array(&values[0], "States.ArrayContains", 1)?;
    Ok(Value::Bool(array.contains(&values[1])))
}

pub(super) fn range(values: &[Value]) -> Result<Value, StateError> {
    let start = expect_integer(&values[0], "States.ArrayRange", 1)?;
    let end = expect_integer(&values[1], "States.ArrayRange", 2)?;
    let step = expect_integer(&values[2], "States.ArrayRange", 3)?;
    if step == 0 {
        return Err(intrinsic_failure("States.ArrayRange: the step cannot be 0"));
    }
    let mut items = Vec::new();
    let mut current = start;
    while (step > 0 && current <= end) || (step < 0 && current >= end) {
        if items.len() == ARRAY_RANGE_LIMIT {
            return Err(intrinsic_failure(format!(
                "States.ArrayRange: the range has more than {ARRAY_RANGE_LIMIT} items"
            )));
        }
        items.push(Value::from(current));
        match current.checked_add(step) {
            Some(next) => current = next,
            None => break,
        }
    }
    Ok(Value::Array(items))
}

pub(super) fn get_item(values: &[Value]) -> Result<Value, StateError> {
    let array = expect_array(&values[0], "States.ArrayGetItem", 1)?;
    let index = expect_integer(&values[1], "States.ArrayGetItem", 2)?;
    usize::try_from(index)
        .ok()
        .and_then(|i| array.get(i))
        .cloned()
        .ok_or_else(|| {
            intrinsic_failure(format!(
                "States.ArrayGetItem: index {index} is out of bounds for an array of {} items",
                array.len()
            ))
        })
}

pub(super) fn length(values: &[Value]) -> Result<Value, StateError> {
    let array = expect_array(&values[0], "States.ArrayLength", 1)?;
    Ok(Value::from(array.len()))
}

pub(super) fn unique(values: &[Value]) -> Result<Value, StateError> {
    let array = expect_array(&values[0], "States.ArrayUnique", 1)?;
    let mut unique: Vec<Value> = Vec::with_capacity(array.len());
    for item in array {
        if !unique.contains(item) {
            unique.push(item.clone());
        }
    }
    Ok(Value::Array(unique))
}
