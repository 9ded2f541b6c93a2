//! An instance's record, as ListInstances shows it. Locally no EC2 instance exists: a
//! cluster's instances are those its instance groups or fleets asked for, made at RunJobFlow,
//! and they live the cluster's life — created with it, ready when it has bootstrapped, ended
//! when it terminated.

use chrono::{DateTime, Utc};
use emrflow_vocabulary::ClusterState;
use serde_json::{json, Value};

use super::shapes::{new_ec2_instance_id, new_instance_id, timeline_json, StateChange};

/// The instance group or fleet an instance belongs to, by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Membership {
    Group(String),
    Fleet(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub id: String,
    pub ec2_instance_id: String,
    pub member_of: Membership,
    /// MASTER, CORE or TASK: its group's InstanceGroupType, or its fleet's InstanceFleetType.
    pub role: String,
    /// ON_DEMAND or SPOT.
    pub market: String,
    pub instance_type: String,
}

/// The cluster's life, which its instances follow.
pub(crate) struct InstanceLife<'a> {
    pub cluster_state: ClusterState,
    pub created: DateTime<Utc>,
    pub ready: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub reason: Option<&'a StateChange>,
}

/// EMR's instance states (`InstanceState`).
pub(crate) const INSTANCE_STATES: [&str; 5] = [
    "AWAITING_FULFILLMENT",
    "PROVISIONING",
    "BOOTSTRAPPING",
    "RUNNING",
    "TERMINATED",
];

impl Instance {
    pub fn new(member_of: Membership, role: &str, market: &str, instance_type: &str) -> Self {
        Instance {
            id: new_instance_id(),
            ec2_instance_id: new_ec2_instance_id(),
            member_of,
            role: role.to_string(),
            market: market.to_string(),
            instance_type: instance_type.to_string(),
        }
    }

    /// Its state, one of [`INSTANCE_STATES`]: PROVISIONING while the cluster starts,
    /// BOOTSTRAPPING while it bootstraps, RUNNING once it was ready (while it terminates too),
    /// TERMINATED with it.
    pub fn state(life: &InstanceLife) -> &'static str {
        match life.cluster_state {
            ClusterState::Starting => "PROVISIONING",
            ClusterState::Bootstrapping => "BOOTSTRAPPING",
            ClusterState::Running | ClusterState::Waiting => "RUNNING",
            ClusterState::Terminating if life.ready.is_some() => "RUNNING",
            ClusterState::Terminating => "PROVISIONING",
            ClusterState::Terminated | ClusterState::TerminatedWithErrors => "TERMINATED",
        }
    }

    /// `Instance` as ListInstances returns it.
    pub fn to_json(&self, life: &InstanceLife) -> Value {
        let state = Instance::state(life);
        let reason = match (state, life.reason) {
            ("TERMINATED", Some(cluster)) => json!({
                "Code": reason_code(&cluster.code),
                "Message": format!("Terminated with its cluster: {}", cluster.message),
            }),
            _ => json!({}),
        };
        let mut instance = json!({
            "Id": self.id,
            "Ec2InstanceId": self.ec2_instance_id,
            "InstanceType": self.instance_type,
            "Market": self.market,
            "Status": {
                "State": state,
                "StateChangeReason": reason,
                "Timeline": timeline_json(
                    life.created,
                    &[("ReadyDateTime", life.ready), ("EndDateTime", life.ended)],
                ),
            },
            "EbsVolumes": [],
        });
        match &self.member_of {
            Membership::Group(id) => instance["InstanceGroupId"] = json!(id),
            Membership::Fleet(id) => instance["InstanceFleetId"] = json!(id),
        }
        instance
    }
}

/// EMR's `InstanceStateChangeReasonCode` for an instance ended with its cluster.
fn reason_code(cluster_code: &str) -> &'static str {
    match cluster_code {
        "BOOTSTRAP_FAILURE" => "BOOTSTRAP_FAILURE",
        "INSTANCE_FAILURE" => "INSTANCE_FAILURE",
        "INTERNAL_ERROR" => "INTERNAL_ERROR",
        "VALIDATION_ERROR" => "VALIDATION_ERROR",
        _ => "CLUSTER_TERMINATED",
    }
}
