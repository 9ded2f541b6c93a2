//! Instance groups and fleets: no life of their own locally, only what RunJobFlow asked for,
//! echoed by ListInstanceGroups / ListInstanceFleets (the AWS CLI's describe-cluster calls them).

use serde::Deserialize;
use serde_json::{json, Value};

use crate::model::new_instance_collection_id;

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

/// What ListInstanceGroups / ListInstanceFleets report for a cluster.
pub(super) struct InstanceCollections {
    pub kind: &'static str,
    pub groups: Vec<Value>,
    pub fleets: Vec<Value>,
}

impl JobFlowInstancesConfig {
    pub fn collections(&self) -> InstanceCollections {
        match &self.instance_fleets {
            Some(fleets) => InstanceCollections {
                kind: "INSTANCE_FLEET",
                groups: vec![],
                fleets: fleets.iter().map(fleet_json).collect(),
            },
            None => InstanceCollections {
                kind: "INSTANCE_GROUP",
                groups: self.groups(),
                fleets: vec![],
            },
        }
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
        "InstanceType": instance_type.cloned().unwrap_or_else(|| json!("m5.xlarge")),
        "RequestedInstanceCount": count.cloned().unwrap_or(json!(1)),
    })
}
