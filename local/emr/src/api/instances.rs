//! Instance groups, fleets and instances: what RunJobFlow's `Instances` asked for, echoed by
//! ListInstanceGroups / ListInstanceFleets (the AWS CLI's describe-cluster calls them), and
//! the instances they make, listed by ListInstances with their types, markets and the
//! cluster's timeline (what a run's cost is computed from).

use serde::Deserialize;
use serde_json::{json, Value};

use super::wire::page;
use crate::error::EmrError;
use crate::model::{new_instance_collection_id, Instance, Membership, INSTANCE_STATES};
use crate::state::Shared;

/// RunJobFlow's `Instances`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct JobFlowInstancesConfig {
    pub keep_job_flow_alive_when_no_steps: Option<bool>,
    pub termination_protected: Option<bool>,
    instance_fleets: Option<Vec<Value>>,
    instance_groups: Option<Vec<Value>>,
    master_instance_type: Option<String>,
    slave_instance_type: Option<String>,
    instance_count: Option<u32>,
}

/// What ListInstanceGroups / ListInstanceFleets / ListInstances report for a cluster.
pub(super) struct InstanceCollections {
    pub kind: &'static str,
    pub groups: Vec<Value>,
    pub fleets: Vec<Value>,
    pub instances: Vec<Instance>,
}

/// The most instances a local cluster is given: its instances are records, but a request
/// asking for millions must not take the endpoint's memory.
const MAX_INSTANCES: u64 = 2_000;

/// The instance type when a group or fleet names none.
const DEFAULT_INSTANCE_TYPE: &str = "m5.xlarge";

/// InstanceGroupType / InstanceFleetType values.
const ROLES: [&str; 3] = ["MASTER", "CORE", "TASK"];

impl JobFlowInstancesConfig {
    pub fn collections(&self) -> Result<InstanceCollections, EmrError> {
        let (kind, groups, fleets) = match &self.instance_fleets {
            Some(fleets) => (
                "INSTANCE_FLEET",
                vec![],
                fleets.iter().map(fleet_json).collect(),
            ),
            None => ("INSTANCE_GROUP", self.groups(), vec![]),
        };
        let wanted: u64 = groups.iter().map(group_size).sum::<u64>()
            + fleets
                .iter()
                .map(|fleet| fleet_sizes(fleet).0 + fleet_sizes(fleet).1)
                .sum::<u64>();
        if wanted > MAX_INSTANCES {
            return Err(EmrError::Validation(format!(
                "The local EMR gives a cluster at most {MAX_INSTANCES} instances; this one asks for {wanted}."
            )));
        }
        let instances = groups
            .iter()
            .flat_map(group_instances)
            .chain(fleets.iter().flat_map(fleet_instances))
            .collect();
        Ok(InstanceCollections {
            kind,
            groups,
            fleets,
            instances,
        })
    }

    fn groups(&self) -> Vec<Value> {
        if let Some(groups) = &self.instance_groups {
            return groups
                .iter()
                .map(|g| {
                    let role = g
                        .get("InstanceRole")
                        .and_then(Value::as_str)
                        .unwrap_or("MASTER");
                    group_json(
                        role,
                        g.get("Market"),
                        g.get("InstanceType"),
                        g.get("InstanceCount"),
                        g.get("Name"),
                    )
                })
                .collect();
        }
        let master_type = self.master_instance_type.as_ref().map(|t| json!(t));
        let mut groups = vec![group_json(
            "MASTER",
            None,
            master_type.as_ref(),
            Some(&json!(1)),
            None,
        )];
        let count = self.instance_count.unwrap_or(1);
        if count > 1 {
            let core_type = self.slave_instance_type.as_ref().map(|t| json!(t));
            groups.push(group_json(
                "CORE",
                None,
                core_type.as_ref(),
                Some(&json!(count - 1)),
                None,
            ));
        }
        groups
    }
}

fn fleet_json(fleet: &Value) -> Value {
    let field = |key: &str, default: Value| fleet.get(key).cloned().unwrap_or(default);
    json!({
        "Id": new_instance_collection_id("if-"),
        "Name": field("Name", json!("")),
        "InstanceFleetType": fleet.get("InstanceFleetType"),
        "TargetOnDemandCapacity": field("TargetOnDemandCapacity", json!(0)),
        "TargetSpotCapacity": field("TargetSpotCapacity", json!(0)),
        "ProvisionedOnDemandCapacity": field("TargetOnDemandCapacity", json!(0)),
        "ProvisionedSpotCapacity": field("TargetSpotCapacity", json!(0)),
        "InstanceTypeSpecifications": field("InstanceTypeConfigs", json!([])),
    })
}

fn group_json(
    role: &str,
    market: Option<&Value>,
    instance_type: Option<&Value>,
    count: Option<&Value>,
    name: Option<&Value>,
) -> Value {
    json!({
        "Id": new_instance_collection_id("ig-"),
        "Name": name.cloned().unwrap_or_else(|| json!(format!("{} Instance Group", role.to_ascii_lowercase()))),
        "Market": market.cloned().unwrap_or_else(|| json!("ON_DEMAND")),
        "InstanceGroupType": role,
        "InstanceType": instance_type.cloned().unwrap_or_else(|| json!(DEFAULT_INSTANCE_TYPE)),
        "RequestedInstanceCount": count.cloned().unwrap_or(json!(1)),
    })
}

fn text<'a>(value: &'a Value, key: &str, default: &'a str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or(default)
}

fn group_size(group: &Value) -> u64 {
    group["RequestedInstanceCount"].as_u64().unwrap_or(0)
}

/// A group's instances: RequestedInstanceCount of its type, in its market.
fn group_instances(group: &Value) -> Vec<Instance> {
    let id = Membership::Group(text(group, "Id", "").to_string());
    let (role, market) = (
        text(group, "InstanceGroupType", "MASTER"),
        text(group, "Market", "ON_DEMAND"),
    );
    let instance_type = text(group, "InstanceType", DEFAULT_INSTANCE_TYPE);
    (0..group_size(group))
        .map(|_| Instance::new(id.clone(), role, market, instance_type))
        .collect()
}

/// A fleet's first InstanceTypeConfig: its instance type and WeightedCapacity (at least 1).
fn fleet_type(fleet: &Value) -> (&str, u64) {
    let first = &fleet["InstanceTypeSpecifications"][0];
    let weight = first["WeightedCapacity"].as_u64().unwrap_or(1).max(1);
    (text(first, "InstanceType", DEFAULT_INSTANCE_TYPE), weight)
}

/// How many on-demand and spot instances a fleet's target capacities make, each instance of
/// its first type counting its WeightedCapacity.
fn fleet_sizes(fleet: &Value) -> (u64, u64) {
    let (_, weight) = fleet_type(fleet);
    let instances = |key: &str| fleet[key].as_u64().unwrap_or(0).div_ceil(weight);
    (
        instances("TargetOnDemandCapacity"),
        instances("TargetSpotCapacity"),
    )
}

fn fleet_instances(fleet: &Value) -> Vec<Instance> {
    let id = Membership::Fleet(text(fleet, "Id", "").to_string());
    let role = text(fleet, "InstanceFleetType", "MASTER");
    let (instance_type, _) = fleet_type(fleet);
    let (on_demand, spot) = fleet_sizes(fleet);
    let make = |market: &str, count: u64| {
        (0..count)
            .map(|_| Instance::new(id.clone(), role, market, instance_type))
            .collect::<Vec<_>>()
    };
    [make("ON_DEMAND", on_demand), make("SPOT", spot)].concat()
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct ListInstancesInput {
    cluster_id: String,
    instance_group_id: Option<String>,
    instance_group_types: Vec<String>,
    instance_fleet_id: Option<String>,
    instance_fleet_type: Option<String>,
    instance_states: Vec<String>,
    marker: Option<String>,
}

/// EMR's refusal of a value outside an enum of the request.
fn check_enum<'a>(
    values: impl IntoIterator<Item = &'a String>,
    field: &str,
    allowed: &[&str],
) -> Result<(), EmrError> {
    match values.into_iter().find(|value| !allowed.contains(&value.as_str())) {
        None => Ok(()),
        Some(value) => Err(EmrError::Validation(format!(
            "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ))),
    }
}

/// ListInstances: the cluster's instances, filtered by group or fleet (id, type) and state,
/// in pages of EMR's size with a Marker.
pub(super) fn list_instances(
    shared: &Shared,
    input: ListInstancesInput,
) -> Result<Value, EmrError> {
    check_enum(&input.instance_group_types, "instanceGroupTypes", &ROLES)?;
    check_enum(&input.instance_fleet_type, "instanceFleetType", &ROLES)?;
    check_enum(&input.instance_states, "instanceStates", &INSTANCE_STATES)?;
    let instances = shared.with_inner(|inner| {
        let cluster = inner.cluster(&input.cluster_id)?;
        let life = cluster.instance_life();
        let state = Instance::state(&life);
        let listed = |instance: &&Instance| {
            let in_group = |id: &String| instance.member_of == Membership::Group(id.clone());
            let in_fleet = |id: &String| instance.member_of == Membership::Fleet(id.clone());
            let is_group = matches!(instance.member_of, Membership::Group(_));
            let is_fleet = !is_group;
            input.instance_group_id.as_ref().is_none_or(in_group)
                && input.instance_fleet_id.as_ref().is_none_or(in_fleet)
                && (input.instance_group_types.is_empty()
                    || (is_group && input.instance_group_types.contains(&instance.role)))
                && input
                    .instance_fleet_type
                    .as_ref()
                    .is_none_or(|role| is_fleet && *role == instance.role)
                && (input.instance_states.is_empty()
                    || input.instance_states.iter().any(|wanted| wanted == state))
        };
        Ok::<_, EmrError>(
            cluster
                .instances
                .iter()
                .filter(listed)
                .map(|instance| instance.to_json(&life))
                .collect::<Vec<_>>(),
        )
    })?;
    page("Instances", instances, input.marker.as_deref())
}
