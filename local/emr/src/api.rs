//! EMR operations: request shapes in, EMR's response JSON out.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::error::EmrError;
use crate::lifecycle::spawn_cluster_driver;
use crate::model::{
    new_cluster_id, new_instance_collection_id, new_step_id, BootstrapAction, Cluster,
    ClusterState, StateChange, Step, StepState,
};
use crate::state::{begin_termination, Shared};

/// ListClusters / ListSteps page size, as EMR's.
const PAGE_SIZE: usize = 50;
/// EMR's limit of active (PENDING, RUNNING, CANCEL_PENDING) steps per cluster.
const MAX_ACTIVE_STEPS: usize = 256;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct KeyValue {
    key: String,
    value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct HadoopJarStepConfig {
    jar: String,
    main_class: Option<String>,
    args: Vec<String>,
    properties: Vec<KeyValue>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct StepConfig {
    name: String,
    action_on_failure: Option<String>,
    hadoop_jar_step: HadoopJarStepConfig,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct JobFlowInstancesConfig {
    keep_job_flow_alive_when_no_steps: Option<bool>,
    termination_protected: Option<bool>,
    instance_fleets: Option<Vec<Value>>,
    instance_groups: Option<Vec<Value>>,
    master_instance_type: Option<String>,
    slave_instance_type: Option<String>,
    instance_count: Option<u32>,
}

/// What ListInstanceGroups / ListInstanceFleets report, from the RunJobFlow request.
fn instance_collections(instances: &JobFlowInstancesConfig) -> (Vec<Value>, Vec<Value>) {
    if let Some(fleets) = &instances.instance_fleets {
        let fleets = fleets
            .iter()
            .map(|fleet| {
                json!({
                    "Id": new_instance_collection_id("if-"),
                    "Name": fleet.get("Name").cloned().unwrap_or_else(|| json!("")),
                    "InstanceFleetType": fleet.get("InstanceFleetType"),
                    "TargetOnDemandCapacity": fleet.get("TargetOnDemandCapacity").cloned().unwrap_or(json!(0)),
                    "TargetSpotCapacity": fleet.get("TargetSpotCapacity").cloned().unwrap_or(json!(0)),
                    "ProvisionedOnDemandCapacity": fleet.get("TargetOnDemandCapacity").cloned().unwrap_or(json!(0)),
                    "ProvisionedSpotCapacity": fleet.get("TargetSpotCapacity").cloned().unwrap_or(json!(0)),
                    "InstanceTypeSpecifications": fleet.get("InstanceTypeConfigs").cloned().unwrap_or(json!([])),
                })
            })
            .collect();
        return (vec![], fleets);
    }
    let group = |role: &str,
                 market: Option<&Value>,
                 instance_type: Option<&Value>,
                 count: Option<&Value>,
                 name: Option<&Value>| {
        json!({
            "Id": new_instance_collection_id("ig-"),
            "Name": name.cloned().unwrap_or_else(|| json!(format!("{} Instance Group", role.to_ascii_lowercase()))),
            "Market": market.cloned().unwrap_or_else(|| json!("ON_DEMAND")),
            "InstanceGroupType": role,
            "InstanceType": instance_type.cloned().unwrap_or_else(|| json!("m5.xlarge")),
            "RequestedInstanceCount": count.cloned().unwrap_or(json!(1)),
        })
    };
    if let Some(groups) = &instances.instance_groups {
        let groups = groups
            .iter()
            .map(|g| {
                let role = g
                    .get("InstanceRole")
                    .and_then(Value::as_str)
                    .unwrap_or("MASTER");
                group(
                    role,
                    g.get("Market"),
                    g.get("InstanceType"),
                    g.get("InstanceCount"),
                    g.get("Name"),
                )
            })
            .collect();
        return (groups, vec![]);
    }
    let master_type = instances.master_instance_type.as_ref().map(|t| json!(t));
    let mut groups = vec![group(
        "MASTER",
        None,
        master_type.as_ref(),
        Some(&json!(1)),
        None,
    )];
    let count = instances.instance_count.unwrap_or(1);
    if count > 1 {
        let core_type = instances.slave_instance_type.as_ref().map(|t| json!(t));
        groups.push(group(
            "CORE",
            None,
            core_type.as_ref(),
            Some(&json!(count - 1)),
            None,
        ));
    }
    (groups, vec![])
}

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
struct RunJobFlowInput {
    name: String,
    log_uri: Option<String>,
    release_label: Option<String>,
    instances: Option<JobFlowInstancesConfig>,
    steps: Vec<StepConfig>,
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
struct ClusterIdInput {
    cluster_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ListClustersInput {
    cluster_states: Vec<String>,
    created_after: Option<f64>,
    created_before: Option<f64>,
    marker: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct AddJobFlowStepsInput {
    job_flow_id: String,
    steps: Vec<StepConfig>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ListStepsInput {
    cluster_id: String,
    step_states: Vec<String>,
    step_ids: Vec<String>,
    marker: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct DescribeStepInput {
    cluster_id: String,
    step_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct CancelStepsInput {
    cluster_id: String,
    step_ids: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct SetTerminationProtectionInput {
    job_flow_ids: Vec<String>,
    termination_protected: bool,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct JobFlowIdsInput {
    job_flow_ids: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct AddTagsInput {
    resource_id: String,
    tags: Vec<KeyValue>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RemoveTagsInput {
    resource_id: String,
    tag_keys: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ModifyClusterInput {
    cluster_id: String,
    step_concurrency_level: Option<u32>,
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, EmrError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|err| EmrError::Serialization(format!("Invalid request body: {err}")))
}

fn required(value: &str, name: &str) -> Result<(), EmrError> {
    if value.is_empty() {
        return Err(EmrError::Validation(format!("{name} is required.")));
    }
    Ok(())
}

/// Dispatches one operation. The names are EMR's (`X-Amz-Target: ElasticMapReduce.<Name>`).
pub(crate) fn handle(
    shared: &Arc<Shared>,
    operation: &str,
    body: &[u8],
) -> Result<Value, EmrError> {
    match operation {
        "RunJobFlow" => run_job_flow(shared, parse(body)?),
        "DescribeCluster" => describe_cluster(shared, parse(body)?),
        "ListClusters" => list_clusters(shared, parse(body)?),
        "AddJobFlowSteps" => add_job_flow_steps(shared, parse(body)?),
        "ListSteps" => list_steps(shared, parse(body)?),
        "DescribeStep" => describe_step(shared, parse(body)?),
        "CancelSteps" => cancel_steps(shared, parse(body)?),
        "SetTerminationProtection" => set_termination_protection(shared, parse(body)?),
        "TerminateJobFlows" => terminate_job_flows(shared, parse(body)?),
        "AddTags" => add_tags(shared, parse(body)?),
        "RemoveTags" => remove_tags(shared, parse(body)?),
        "ModifyCluster" => modify_cluster(shared, parse(body)?),
        "ListInstanceGroups" => list_cluster_part(
            shared,
            parse(body)?,
            "InstanceGroups",
            Cluster::instance_groups_json,
        ),
        "ListInstanceFleets" => list_cluster_part(
            shared,
            parse(body)?,
            "InstanceFleets",
            Cluster::instance_fleets_json,
        ),
        "ListBootstrapActions" => list_cluster_part(
            shared,
            parse(body)?,
            "BootstrapActions",
            Cluster::bootstrap_actions_json,
        ),
        "GetAutoTerminationPolicy" => get_auto_termination_policy(shared, parse(body)?),
        other => Err(EmrError::UnknownOperation(format!(
            "The local EMR does not implement the operation {other}."
        ))),
    }
}

fn validate_action_on_failure(action: &str, concurrency: u32) -> Result<(), EmrError> {
    if !matches!(
        action,
        "CONTINUE" | "CANCEL_AND_WAIT" | "TERMINATE_CLUSTER" | "TERMINATE_JOB_FLOW"
    ) {
        return Err(EmrError::Validation(format!(
            "1 validation error detected: Value '{action}' at 'actionOnFailure' failed to satisfy constraint: Member must satisfy enum value set: [TERMINATE_JOB_FLOW, TERMINATE_CLUSTER, CANCEL_AND_WAIT, CONTINUE]"
        )));
    }
    if concurrency > 1 && action != "CONTINUE" {
        return Err(EmrError::Validation(format!(
            "The ActionOnFailure setting {action} is not valid when StepConcurrencyLevel is {concurrency}: only CONTINUE is allowed when steps run concurrently."
        )));
    }
    Ok(())
}

fn new_steps(configs: Vec<StepConfig>, concurrency: u32) -> Result<Vec<Step>, EmrError> {
    let now = Utc::now();
    configs
        .into_iter()
        .map(|config| {
            required(&config.name, "Step Name")?;
            required(&config.hadoop_jar_step.jar, "HadoopJarStep Jar")?;
            if config.name.chars().count() > 256 {
                return Err(EmrError::Validation(
                    "Step name must be at most 256 characters long.".into(),
                ));
            }
            // EMR's API default is TERMINATE_CLUSTER.
            let action = config
                .action_on_failure
                .unwrap_or_else(|| "TERMINATE_CLUSTER".to_string());
            validate_action_on_failure(&action, concurrency)?;
            let jar_step = config.hadoop_jar_step;
            Ok(Step {
                id: new_step_id(),
                name: config.name,
                jar: jar_step.jar,
                main_class: jar_step.main_class.filter(|c| !c.is_empty()),
                args: jar_step.args,
                properties: jar_step
                    .properties
                    .into_iter()
                    .map(|kv| (kv.key, kv.value.unwrap_or_default()))
                    .collect(),
                action_on_failure: action,
                state: StepState::Pending,
                state_change: None,
                failure: None,
                created: now,
                started: None,
                ended: None,
                kill: None,
            })
        })
        .collect()
}

fn validate_concurrency(level: u32) -> Result<(), EmrError> {
    if !(1..=256).contains(&level) {
        return Err(EmrError::Validation(format!(
            "StepConcurrencyLevel {level} is not valid: it must be between 1 and 256."
        )));
    }
    Ok(())
}

fn run_job_flow(shared: &Arc<Shared>, input: RunJobFlowInput) -> Result<Value, EmrError> {
    required(&input.name, "Name")?;
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
    let id = new_cluster_id();
    let arn = format!(
        "arn:aws:elasticmapreduce:{}:{}:cluster/{id}",
        shared.region, shared.account_id
    );
    let wake = Arc::new(Notify::new());
    let (instance_groups, instance_fleets) = instance_collections(&instances);
    let cluster = Cluster {
        id: id.clone(),
        arn: arn.clone(),
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
        instance_collection_type: if instances.instance_fleets.is_some() {
            "INSTANCE_FLEET"
        } else {
            "INSTANCE_GROUP"
        },
        instance_groups,
        instance_fleets,
        tags: input
            .tags
            .into_iter()
            .map(|kv| (kv.key, kv.value.unwrap_or_default()))
            .collect(),
        termination_protected: instances.termination_protected.unwrap_or(false),
        // EMR's API default: a cluster without KeepJobFlowAliveWhenNoSteps ends after its steps.
        keep_alive: instances.keep_job_flow_alive_when_no_steps.unwrap_or(false),
        step_concurrency_level: concurrency,
        idle_timeout_seconds: input.auto_termination_policy.and_then(|p| p.idle_timeout),
        idle_since: None,
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
        wake: wake.clone(),
    };
    tracing::info!(cluster = %id, name = %cluster.name, steps = cluster.steps.len(), "RunJobFlow: cluster STARTING");
    shared.with_inner(|inner| inner.clusters.push(cluster));
    spawn_cluster_driver(shared.clone(), id.clone(), wake);
    Ok(json!({ "JobFlowId": id, "ClusterArn": arn }))
}

fn describe_cluster(shared: &Shared, input: ClusterIdInput) -> Result<Value, EmrError> {
    shared.with_inner(|inner| Ok(json!({ "Cluster": inner.cluster(&input.cluster_id)?.to_json() })))
}

/// The read-only listings `aws emr describe-cluster` calls besides DescribeCluster.
fn list_cluster_part(
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

fn get_auto_termination_policy(shared: &Shared, input: ClusterIdInput) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster(&input.cluster_id)?;
        Ok(match cluster.idle_timeout_seconds {
            Some(idle) => json!({ "AutoTerminationPolicy": { "IdleTimeout": idle } }),
            None => json!({}),
        })
    })
}

fn page_start(marker: Option<&str>) -> Result<usize, EmrError> {
    match marker {
        None | Some("") => Ok(0),
        Some(marker) => marker
            .parse()
            .map_err(|_| EmrError::InvalidRequest(format!("Marker '{marker}' is not valid."))),
    }
}

/// One page of `items` from `start`, with the Marker of the next page if any.
fn page(items: Vec<Value>, start: usize) -> (Vec<Value>, Option<String>) {
    let end = (start + PAGE_SIZE).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    (
        items.into_iter().skip(start).take(PAGE_SIZE).collect(),
        next,
    )
}

fn timestamp(seconds: f64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt((seconds * 1000.0) as i64).single()
}

fn list_clusters(shared: &Shared, input: ListClustersInput) -> Result<Value, EmrError> {
    let mut states = Vec::new();
    for state in &input.cluster_states {
        states.push(ClusterState::parse(state).ok_or_else(|| {
            EmrError::Validation(format!("ClusterState '{state}' is not valid."))
        })?);
    }
    let after = input.created_after.and_then(timestamp);
    let before = input.created_before.and_then(timestamp);
    let start = page_start(input.marker.as_deref())?;
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
    let (clusters, marker) = page(summaries, start);
    let mut output = json!({ "Clusters": clusters });
    if let Some(marker) = marker {
        output["Marker"] = json!(marker);
    }
    Ok(output)
}

fn add_job_flow_steps(shared: &Shared, input: AddJobFlowStepsInput) -> Result<Value, EmrError> {
    required(&input.job_flow_id, "JobFlowId")?;
    shared.with_inner(|inner| {
        let cluster = inner.cluster_mut(&input.job_flow_id)?;
        if !cluster.state.is_alive() {
            return Err(EmrError::cluster_finished());
        }
        let steps = new_steps(input.steps, cluster.step_concurrency_level)?;
        if cluster.active_step_count() + steps.len() > MAX_ACTIVE_STEPS {
            return Err(EmrError::Validation(
                "Maximum number of active steps(State = 'Running', 'Pending' or 'Cancel_Pending') for cluster exceeded.".into(),
            ));
        }
        let ids: Vec<String> = steps.iter().map(|s| s.id.clone()).collect();
        cluster.steps.extend(steps);
        cluster.wake.notify_one();
        Ok(json!({ "StepIds": ids }))
    })
}

fn list_steps(shared: &Shared, input: ListStepsInput) -> Result<Value, EmrError> {
    let mut states = Vec::new();
    for state in &input.step_states {
        states.push(
            StepState::parse(state).ok_or_else(|| {
                EmrError::Validation(format!("StepState '{state}' is not valid."))
            })?,
        );
    }
    let start = page_start(input.marker.as_deref())?;
    let summaries = shared.with_inner(|inner| {
        let cluster = inner.cluster(&input.cluster_id)?;
        Ok::<_, EmrError>(
            cluster
                .steps
                .iter()
                .rev() // newest first, as EMR lists them
                .filter(|s| states.is_empty() || states.contains(&s.state))
                .filter(|s| input.step_ids.is_empty() || input.step_ids.contains(&s.id))
                .map(Step::to_json)
                .collect::<Vec<_>>(),
        )
    })?;
    let (steps, marker) = page(summaries, start);
    let mut output = json!({ "Steps": steps });
    if let Some(marker) = marker {
        output["Marker"] = json!(marker);
    }
    Ok(output)
}

fn describe_step(shared: &Shared, input: DescribeStepInput) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster(&input.cluster_id)?;
        let step = cluster
            .step(&input.step_id)
            .ok_or_else(|| EmrError::step_not_found(&input.step_id))?;
        Ok(json!({ "Step": step.to_json() }))
    })
}

fn cancel_steps(shared: &Shared, input: CancelStepsInput) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster_mut(&input.cluster_id)?;
        let now = Utc::now();
        let mut infos = Vec::new();
        for step_id in &input.step_ids {
            let info = match cluster.step_mut(step_id) {
                None => json!({ "StepId": step_id, "Status": "FAILED", "Reason": format!("Step id '{step_id}' is not valid.") }),
                Some(step) => match step.state {
                    StepState::Pending => {
                        step.finish(StepState::Cancelled, now);
                        step.state_change = Some(StateChange { code: "NONE".into(), message: "Cancelled by user request".into() });
                        json!({ "StepId": step_id, "Status": "SUBMITTED" })
                    }
                    StepState::Running => {
                        // The step task sees CANCEL_PENDING once its process is killed.
                        step.state = StepState::CancelPending;
                        if let Some(kill) = &step.kill {
                            kill.notify_one();
                        }
                        json!({ "StepId": step_id, "Status": "SUBMITTED" })
                    }
                    state => json!({
                        "StepId": step_id,
                        "Status": "FAILED",
                        "Reason": format!("Step {step_id} is {state} and cannot be cancelled."),
                    }),
                },
            };
            infos.push(info);
        }
        cluster.wake.notify_one();
        Ok(json!({ "CancelStepsInfoList": infos }))
    })
}

fn set_termination_protection(
    shared: &Shared,
    input: SetTerminationProtectionInput,
) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        // Check all ids first: EMR applies all or nothing.
        for id in &input.job_flow_ids {
            if !inner.cluster(id)?.state.is_alive() {
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

fn terminate_job_flows(shared: &Shared, input: JobFlowIdsInput) -> Result<Value, EmrError> {
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

fn add_tags(shared: &Shared, input: AddTagsInput) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster_mut(&input.resource_id)?;
        for tag in input.tags {
            let value = tag.value.unwrap_or_default();
            match cluster.tags.iter_mut().find(|(key, _)| *key == tag.key) {
                Some(existing) => existing.1 = value,
                None => cluster.tags.push((tag.key, value)),
            }
        }
        Ok(json!({}))
    })
}

fn remove_tags(shared: &Shared, input: RemoveTagsInput) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster_mut(&input.resource_id)?;
        cluster
            .tags
            .retain(|(key, _)| !input.tag_keys.contains(key));
        Ok(json!({}))
    })
}

fn modify_cluster(shared: &Shared, input: ModifyClusterInput) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster_mut(&input.cluster_id)?;
        if let Some(level) = input.step_concurrency_level {
            validate_concurrency(level)?;
            if !cluster.state.is_alive() {
                return Err(EmrError::cluster_finished());
            }
            cluster.step_concurrency_level = level;
            cluster.wake.notify_one();
        }
        Ok(json!({ "StepConcurrencyLevel": cluster.step_concurrency_level }))
    })
}
