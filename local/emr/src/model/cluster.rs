//! A cluster's record: what RunJobFlow asked for, its state and times, its steps and
//! instances, the state changes every path makes through it (each recording its event), and
//! its JSON as DescribeCluster, ListClusters and the listings of its parts show it.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use emrflow_vocabulary::{ClusterState, KeyValue, StepState};
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::instance::{Instance, InstanceLife};
use super::shapes::{state_change_json, timeline_json, StateChange};
use super::step::Step;
use crate::events::{cluster_event, step_event, ClusterFacts, PendingEvent};

#[derive(Debug, Clone)]
pub(crate) struct BootstrapAction {
    pub name: String,
    pub path: String,
    pub args: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Cluster {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub created: DateTime<Utc>,
    pub ready: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub state: ClusterState,
    pub state_change: Option<StateChange>,
    /// Final state chosen when termination began (TERMINATED or TERMINATED_WITH_ERRORS).
    pub final_state: Option<ClusterState>,
    pub log_uri: Option<String>,
    pub release_label: Option<String>,
    pub applications: Vec<Value>,
    pub configurations: Value,
    pub service_role: Option<String>,
    pub job_flow_role: Option<String>,
    pub instance_collection_type: &'static str,
    /// `ListInstanceGroups` / `ListInstanceFleets` answers, built at RunJobFlow.
    pub instance_groups: Vec<Value>,
    pub instance_fleets: Vec<Value>,
    /// The instances those groups or fleets asked for (ListInstances).
    pub instances: Vec<Instance>,
    pub tags: Vec<KeyValue>,
    pub termination_protected: bool,
    pub keep_alive: bool,
    pub step_concurrency_level: u32,
    pub idle_timeout_seconds: Option<u64>,
    /// PutManagedScalingPolicy's policy, kept and shown as given: nothing scales locally.
    pub managed_scaling_policy: Option<Value>,
    pub idle_since: Option<Instant>,
    pub bootstrap_actions: Vec<BootstrapAction>,
    pub steps: Vec<Step>,
    /// Wakes the cluster's driver task after a change (new steps, termination, step end).
    pub wake: Arc<Notify>,
    /// Held by the Hive step using the cluster's Derby metastore (one process at a time).
    pub metastore: Arc<tokio::sync::Mutex<()>>,
    /// Events of state changes not yet published ([`crate::events`]).
    pub outbox: Vec<PendingEvent>,
}

impl Cluster {
    /// What EMR's events say of it.
    fn facts(&self) -> ClusterFacts<'_> {
        ClusterFacts {
            id: &self.id,
            name: &self.name,
            state: self.state,
            reason: self
                .state_change
                .as_ref()
                .map(|change| (change.code.as_str(), change.message.as_str())),
        }
    }

    /// The events of a cluster just created: STARTING, and PENDING for each of its steps.
    pub fn record_creation(&mut self) {
        let now = Utc::now();
        let mut events: Vec<PendingEvent> = Vec::new();
        events.extend(cluster_event(&self.facts(), ClusterState::Starting, now));
        for step in &self.steps {
            events.extend(step_event(&self.facts(), &step.facts(), now));
        }
        self.outbox.extend(events);
    }

    /// New PENDING steps, after those the cluster has.
    pub fn add_steps(&mut self, steps: Vec<Step>) {
        let now = Utc::now();
        for step in steps {
            let event = step_event(&self.facts(), &step.facts(), now);
            self.outbox.extend(event);
            self.steps.push(step);
        }
    }

    /// Moves the cluster to `state`; false when it already was there.
    pub fn set_state(&mut self, state: ClusterState) -> bool {
        if self.state == state {
            return false;
        }
        let previous = self.state;
        self.state = state;
        let event = cluster_event(&self.facts(), previous, Utc::now());
        self.outbox.extend(event);
        true
    }

    /// Moves step `index` to `state`: RUNNING records its start; CANCEL_PENDING asks its
    /// process to stop; a terminal state records its end and stops its process for good.
    pub fn set_step_state(&mut self, index: usize, state: StepState, now: DateTime<Utc>) {
        let Some(step) = self.steps.get_mut(index) else {
            return;
        };
        if step.state == state {
            return;
        }
        step.state = state;
        match state {
            StepState::Running => step.started = Some(now),
            StepState::CancelPending => {
                if let Some(kill) = &step.kill {
                    kill.notify_one();
                }
            }
            _ if state.is_terminal() => {
                step.ended = Some(now);
                if let Some(kill) = step.kill.take() {
                    kill.notify_one();
                }
            }
            _ => {}
        }
        let event = step_event(&self.facts(), &self.steps[index].facts(), now);
        self.outbox.extend(event);
    }

    pub fn step_index(&self, step_id: &str) -> Option<usize> {
        self.steps.iter().position(|step| step.id == step_id)
    }

    pub fn step(&self, step_id: &str) -> Option<&Step> {
        self.steps.iter().find(|step| step.id == step_id)
    }

    pub fn active_step_count(&self) -> usize {
        self.steps
            .iter()
            .filter(|step| step.state.is_active())
            .count()
    }

    pub fn status_json(&self) -> Value {
        json!({
            "State": self.state.as_str(),
            "StateChangeReason": state_change_json(self.state_change.as_ref()),
            "Timeline": self.timeline_json(),
        })
    }

    fn timeline_json(&self) -> Value {
        timeline_json(
            self.created,
            &[("ReadyDateTime", self.ready), ("EndDateTime", self.ended)],
        )
    }

    pub fn tags_json(&self) -> Value {
        json!(self.tags)
    }

    /// `Cluster` as DescribeCluster returns it.
    pub fn to_json(&self) -> Value {
        let mut cluster = json!({
            "Id": self.id,
            "Name": self.name,
            "ClusterArn": self.arn,
            "Status": self.status_json(),
            "InstanceCollectionType": self.instance_collection_type,
            "AutoTerminate": !self.keep_alive,
            "TerminationProtected": self.termination_protected,
            "VisibleToAllUsers": true,
            "Applications": self.applications,
            "Tags": self.tags_json(),
            "NormalizedInstanceHours": 0,
            "StepConcurrencyLevel": self.step_concurrency_level,
            "MasterPublicDnsName": "localhost",
            "Configurations": self.configurations,
            "ScaleDownBehavior": "TERMINATE_AT_TASK_COMPLETION",
        });
        for (key, value) in [
            ("LogUri", &self.log_uri),
            ("ReleaseLabel", &self.release_label),
            ("ServiceRole", &self.service_role),
        ] {
            if let Some(value) = value {
                cluster[key] = json!(value);
            }
        }
        if let Some(role) = &self.job_flow_role {
            cluster["Ec2InstanceAttributes"] = json!({ "IamInstanceProfile": role });
        }
        if let Some(idle_timeout) = self.idle_timeout_seconds {
            // Not part of EMR's Cluster shape (GetAutoTerminationPolicy returns it);
            // harmless for SDKs, handy for humans reading the JSON.
            cluster["AutoTerminationPolicy"] = json!({ "IdleTimeout": idle_timeout });
        }
        cluster
    }

    /// `ClusterSummary` as ListClusters returns it.
    pub fn summary_json(&self) -> Value {
        json!({
            "Id": self.id,
            "Name": self.name,
            "Status": self.status_json(),
            "NormalizedInstanceHours": 0,
            "ClusterArn": self.arn,
        })
    }

    /// The life its instances follow.
    pub fn instance_life(&self) -> InstanceLife<'_> {
        InstanceLife {
            cluster_state: self.state,
            created: self.created,
            ready: self.ready,
            ended: self.ended,
            reason: self.state_change.as_ref(),
        }
    }

    /// Instance groups/fleets have no life of their own here: they follow the cluster.
    fn instance_status_json(&self) -> Value {
        let state = match self.state {
            ClusterState::Starting => "PROVISIONING",
            ClusterState::Bootstrapping => "BOOTSTRAPPING",
            ClusterState::Running | ClusterState::Waiting => "RUNNING",
            ClusterState::Terminating => "TERMINATING",
            ClusterState::Terminated | ClusterState::TerminatedWithErrors => "TERMINATED",
        };
        json!({ "State": state, "StateChangeReason": {}, "Timeline": self.timeline_json() })
    }

    pub fn instance_groups_json(&self) -> Value {
        let status = self.instance_status_json();
        let running = self.state.accepts_steps() && self.ready.is_some();
        Value::Array(
            self.instance_groups
                .iter()
                .map(|group| {
                    let mut group = group.clone();
                    let requested = group["RequestedInstanceCount"].clone();
                    group["RunningInstanceCount"] = if running { requested } else { json!(0) };
                    group["Status"] = status.clone();
                    group
                })
                .collect(),
        )
    }

    pub fn instance_fleets_json(&self) -> Value {
        let status = self.instance_status_json();
        Value::Array(
            self.instance_fleets
                .iter()
                .map(|fleet| {
                    let mut fleet = fleet.clone();
                    fleet["Status"] = status.clone();
                    fleet
                })
                .collect(),
        )
    }

    pub fn bootstrap_actions_json(&self) -> Value {
        Value::Array(
            self.bootstrap_actions
                .iter()
                .map(|action| json!({ "Name": action.name, "ScriptPath": action.path, "Args": action.args }))
                .collect(),
        )
    }
}
