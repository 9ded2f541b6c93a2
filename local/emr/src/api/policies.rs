//! A cluster's policies: Put/Get/RemoveAutoTerminationPolicy (the idle timeout the cluster's
//! driver applies) and Put/Get/RemoveManagedScalingPolicy (kept and shown as given: nothing
//! scales locally).

use serde::Deserialize;
use serde_json::{json, Value};

use super::wire::ClusterIdInput;
use crate::error::EmrError;
use crate::state::Shared;

/// EMR's bounds of AutoTerminationPolicy.IdleTimeout: a minute to seven days.
const IDLE_TIMEOUT_SECONDS: std::ops::RangeInclusive<u64> = 60..=604_800;

/// EMR's ComputeLimits.UnitType values.
const UNIT_TYPES: [&str; 3] = ["InstanceFleetUnits", "Instances", "VCPU"];

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct AutoTerminationPolicy {
    idle_timeout: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct PutAutoTerminationPolicyInput {
    cluster_id: String,
    auto_termination_policy: Option<AutoTerminationPolicy>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct PutManagedScalingPolicyInput {
    cluster_id: String,
    managed_scaling_policy: Option<Value>,
}

pub(super) fn get_auto_termination_policy(
    shared: &Shared,
    input: ClusterIdInput,
) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster(&input.cluster_id)?;
        Ok(match cluster.idle_timeout_seconds {
            Some(idle) => json!({ "AutoTerminationPolicy": { "IdleTimeout": idle } }),
            None => json!({}),
        })
    })
}

/// Sets the cluster's idle timeout; its driver applies it from its next look.
pub(super) fn put_auto_termination_policy(
    shared: &Shared,
    input: PutAutoTerminationPolicyInput,
) -> Result<Value, EmrError> {
    let idle_timeout = input
        .auto_termination_policy
        .and_then(|policy| policy.idle_timeout)
        .ok_or_else(|| {
            EmrError::Validation("AutoTerminationPolicy.IdleTimeout is required.".into())
        })?;
    if !IDLE_TIMEOUT_SECONDS.contains(&idle_timeout) {
        return Err(EmrError::Validation(format!(
            "IdleTimeout {idle_timeout} is not valid: it must be between {} and {} seconds.",
            IDLE_TIMEOUT_SECONDS.start(),
            IDLE_TIMEOUT_SECONDS.end()
        )));
    }
    shared.with_inner(|inner| {
        let cluster = inner.cluster_mut(&input.cluster_id)?;
        if !cluster.state.accepts_steps() {
            return Err(EmrError::cluster_finished());
        }
        cluster.idle_timeout_seconds = Some(idle_timeout);
        cluster.wake.notify_one();
        Ok(json!({}))
    })
}

pub(super) fn remove_auto_termination_policy(
    shared: &Shared,
    input: ClusterIdInput,
) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster_mut(&input.cluster_id)?;
        cluster.idle_timeout_seconds = None;
        Ok(json!({}))
    })
}

/// The checks EMR makes of a ManagedScalingPolicy's ComputeLimits.
fn check_compute_limits(policy: &Value) -> Result<(), EmrError> {
    let limits = policy.get("ComputeLimits").ok_or_else(|| {
        EmrError::Validation("ManagedScalingPolicy.ComputeLimits is required.".into())
    })?;
    let unit_type = limits
        .get("UnitType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !UNIT_TYPES.contains(&unit_type) {
        return Err(EmrError::Validation(format!(
            "ComputeLimits.UnitType '{unit_type}' is not valid: use one of {}.",
            UNIT_TYPES.join(", ")
        )));
    }
    let units = |key: &str| limits.get(key).and_then(Value::as_u64);
    match (units("MinimumCapacityUnits"), units("MaximumCapacityUnits")) {
        (Some(minimum), Some(maximum)) if 1 <= minimum && minimum <= maximum => Ok(()),
        (Some(_), Some(_)) => Err(EmrError::Validation(
            "ComputeLimits.MinimumCapacityUnits must be at least 1 and at most MaximumCapacityUnits."
                .into(),
        )),
        _ => Err(EmrError::Validation(
            "ComputeLimits.MinimumCapacityUnits and MaximumCapacityUnits are required.".into(),
        )),
    }
}

pub(super) fn put_managed_scaling_policy(
    shared: &Shared,
    input: PutManagedScalingPolicyInput,
) -> Result<Value, EmrError> {
    let policy = input
        .managed_scaling_policy
        .ok_or_else(|| EmrError::Validation("ManagedScalingPolicy is required.".into()))?;
    check_compute_limits(&policy)?;
    shared.with_inner(|inner| {
        let cluster = inner.cluster_mut(&input.cluster_id)?;
        if !cluster.state.accepts_steps() {
            return Err(EmrError::cluster_finished());
        }
        cluster.managed_scaling_policy = Some(policy);
        Ok(json!({}))
    })
}

pub(super) fn get_managed_scaling_policy(
    shared: &Shared,
    input: ClusterIdInput,
) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster(&input.cluster_id)?;
        Ok(match &cluster.managed_scaling_policy {
            Some(policy) => json!({ "ManagedScalingPolicy": policy }),
            None => json!({}),
        })
    })
}

pub(super) fn remove_managed_scaling_policy(
    shared: &Shared,
    input: ClusterIdInput,
) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        inner.cluster_mut(&input.cluster_id)?.managed_scaling_policy = None;
        Ok(json!({}))
    })
}
