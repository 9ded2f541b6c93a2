//! Clusters: RunJobFlow, DescribeCluster, ListClusters, SetTerminationProtection,
//! TerminateJobFlows, ModifyCluster and the read-only listings of a cluster's parts.

use std::sync::Arc;

use chrono::Utc;
use emrflow_vocabulary::limits::{MAX_ACTIVE_STEPS, STEP_CONCURRENCY_LEVELS};
use emrflow_vocabulary::{ClusterState, KeyValue};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::instances::JobFlowInstancesConfig;
use super::steps::new_steps;
use super::wire::{in_sandbox, page, required, states, timestamp, ClusterIdInput};
use crate::error::EmrError;
use crate::lifecycle::spawn_cluster_driver;
use crate::model::{new_cluster_id, BootstrapAction, Cluster};
use crate::state::{begin_termination, Shared};

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ScriptBootstrapAction {
    path: String,
    args: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct BootstrapActionConfig {
    name: String,
    script_bootstrap_action: ScriptBootstrapAction,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct AutoTerminationPolicy {
    idle_timeout: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RunJobFlowInput {
    name: String,
    log_uri: Option<String>,
    release_label: Option<String>,
    instances: Option<JobFlowInstancesConfig>,
    steps: Vec<Value>,
    bootstrap_actions: Vec<BootstrapActionConfig>,
    applications: Vec<Value>,
    configurations: Option<Value>,
    service_role: Option<String>,
    job_flow_role: Option<String>,
    tags: Vec<KeyValue>,
    step_concurrency_level: Option<u32>,
    auto_termination_policy: Option<AutoTerminationPolicy>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct ListClustersInput {
    cluster_states: Vec<String>,
    created_after: Option<f64>,
    created_before: Option<f64>,
    marker: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct SetTerminationProtectionInput {
    job_flow_ids: Vec<String>,
    termination_protected: bool,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct JobFlowIdsInput {
    job_flow_ids: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct ModifyClusterInput {
    cluster_id: String,
    step_concurrency_level: Option<u32>,
}

fn validate_concurrency(level: u32) -> Result<(), EmrError> {
    if !STEP_CONCURRENCY_LEVELS.contains(&level) {
        return Err(EmrError::Validation(format!(
            "StepConcurrencyLevel {level} is not valid: it must be between {} and {}.",
            STEP_CONCURRENCY_LEVELS.start(),
            STEP_CONCURRENCY_LEVELS.end()
        )));
    }
    Ok(())
}

pub(super) fn run_job_flow(
    shared: &Arc<Shared>,
    input: RunJobFlowInput,
) -> Result<Value, EmrError> {
    required(&input.name, "Name")?;
    let mut cluster = new_cluster(shared, input)?;
    cluster.record_creation();
    let (id, arn, wake) = (
        cluster.id.clone(),
        cluster.arn.clone(),
        cluster.wake.clone(),
    );
    tracing::info!(cluster = %id, name = %cluster.name, steps = cluster.steps.len(), "RunJobFlow: cluster STARTING");
    shared.with_inner(|inner| inner.clusters.push(cluster));
    spawn_cluster_driver(shared.clone(), id.clone(), wake);
    Ok(json!({ "JobFlowId": id, "ClusterArn": arn }))
}

/// A STARTING cluster as RunJobFlow asked for it, or EMR's refusal.
fn new_cluster(shared: &Shared, input: RunJobFlowInput) -> Result<Cluster, EmrError> {
    let Some(instances) = input.instances else {
        return Err(EmrError::Validation("Instances is required.".into()));
    };
    let concurrency = input.step_concurrency_level.unwrap_or(1);
    validate_concurrency(concurrency)?;
    if input.steps.len() > MAX_ACTIVE_STEPS {
        return Err(EmrError::Validation(format!(
            "A maximum of {MAX_ACTIVE_STEPS} steps are allowed in each job flow."
        )));
    }
    let steps = new_steps(input.steps, concurrency)?;
    let mut configuration_values = Vec::new();
    if let Some(configurations) = &input.configurations {
        strings_in(configurations, &mut configuration_values);
    }
    in_sandbox(
        input
            .log_uri
            .iter()
            .map(String::as_str)
            .chain(input.bootstrap_actions.iter().flat_map(|action| {
                let script = &action.script_bootstrap_action;
                std::iter::once(script.path.as_str()).chain(script.args.iter().map(String::as_str))
            }))
            .chain(configuration_values),
    )?;
    let collections = instances.collections()?;
    let id = new_cluster_id();
    Ok(Cluster {
        arn: format!(
            "arn:aws:elasticmapreduce:{}:{}:cluster/{id}",
            shared.region, shared.account_id
        ),
        id,
        name: input.name,
        created: Utc::now(),
        ready: None,
        ended: None,
        state: ClusterState::Starting,
        state_change: None,
        final_state: None,
        log_uri: input.log_uri.filter(|uri| !uri.is_empty()),
        release_label: input.release_label,
        applications: input.applications,
        configurations: input.configurations.unwrap_or_else(|| json!([])),
        service_role: input.service_role,
        job_flow_role: input.job_flow_role,
        instance_collection_type: collections.kind,
        instance_groups: collections.groups,
        instance_fleets: collections.fleets,
        instances: collections.instances,
        tags: input.tags,
        termination_protected: instances.termination_protected.unwrap_or(false),
        // EMR's API default: a cluster without KeepJobFlowAliveWhenNoSteps ends after its steps.
        keep_alive: instances.keep_job_flow_alive_when_no_steps.unwrap_or(false),
        step_concurrency_level: concurrency,
        idle_timeout_seconds: input.auto_termination_policy.and_then(|p| p.idle_timeout),
        idle_since: None,
        managed_scaling_policy: None,
        bootstrap_actions: input
            .bootstrap_actions
            .into_iter()
            .map(|action| BootstrapAction {
                name: action.name,
                path: action.script_bootstrap_action.path,
                args: action.script_bootstrap_action.args,
            })
            .collect(),
        steps,
        wake: Arc::new(Notify::new()),
        metastore: Arc::new(tokio::sync::Mutex::new(())),
        outbox: Vec::new(),
    })
}

/// Every string inside `value` (Configurations' property values, at any depth).
fn strings_in<'a>(value: &'a Value, strings: &mut Vec<&'a str>) {
    match value {
        Value::String(text) => strings.push(text),
        Value::Array(items) => items.iter().for_each(|item| strings_in(item, strings)),
        Value::Object(fields) => fields.values().for_each(|field| strings_in(field, strings)),
        _ => {}
    }
}

pub(super) fn describe_cluster(shared: &Shared, input: ClusterIdInput) -> Result<Value, EmrError> {
    shared.with_inner(|inner| Ok(json!({ "Cluster": inner.cluster(&input.cluster_id)?.to_json() })))
}

/// The read-only listings `aws emr describe-cluster` calls besides DescribeCluster.
pub(super) fn list_cluster_part(
    shared: &Shared,
    input: ClusterIdInput,
    key: &str,
    render: fn(&Cluster) -> Value,
) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster(&input.cluster_id)?;
        let mut output = serde_json::Map::new();
        output.insert(key.to_string(), render(cluster));
        Ok(Value::Object(output))
    })
}

pub(super) fn list_clusters(shared: &Shared, input: ListClustersInput) -> Result<Value, EmrError> {
    let states = states(&input.cluster_states, "ClusterState", ClusterState::parse)?;
    let after = input.created_after.and_then(timestamp);
    let before = input.created_before.and_then(timestamp);
    let summaries: Vec<Value> = shared.with_inner(|inner| {
        inner
            .clusters
            .iter()
            .rev() // newest first, as EMR lists them
            .filter(|c| states.is_empty() || states.contains(&c.state))
            .filter(|c| after.is_none_or(|after| c.created >= after))
            .filter(|c| before.is_none_or(|before| c.created <= before))
            .map(Cluster::summary_json)
            .collect()
    });
    page("Clusters", summaries, input.marker.as_deref())
}

pub(super) fn set_termination_protection(
    shared: &Shared,
    input: SetTerminationProtectionInput,
) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        // Check all ids first: EMR applies all or nothing.
        for id in &input.job_flow_ids {
            if !inner.cluster(id)?.state.accepts_steps() {
                return Err(EmrError::cluster_finished());
            }
        }
        for id in &input.job_flow_ids {
            let cluster = inner.cluster_mut(id)?;
            cluster.termination_protected = input.termination_protected;
            cluster.wake.notify_one();
        }
        Ok(json!({}))
    })
}

pub(super) fn terminate_job_flows(
    shared: &Shared,
    input: JobFlowIdsInput,
) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        for id in &input.job_flow_ids {
            if inner.cluster(id)?.termination_protected {
                return Err(EmrError::Validation(
                    "Could not shut down one or more job flows since they are termination protected."
                        .into(),
                ));
            }
        }
        for id in &input.job_flow_ids {
            let cluster = inner.cluster_mut(id)?;
            begin_termination(cluster, ClusterState::Terminated, "USER_REQUEST", "Terminated by user request");
        }
        Ok(json!({}))
    })
}

pub(super) fn modify_cluster(
    shared: &Shared,
    input: ModifyClusterInput,
) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster_mut(&input.cluster_id)?;
        if let Some(level) = input.step_concurrency_level {
            validate_concurrency(level)?;
            if !cluster.state.accepts_steps() {
                return Err(EmrError::cluster_finished());
            }
            cluster.step_concurrency_level = level;
            cluster.wake.notify_one();
        }
        Ok(json!({ "StepConcurrencyLevel": cluster.step_concurrency_level }))
    })
}
