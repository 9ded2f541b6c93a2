//! In-memory cluster and step records, and their rendering in EMR's JSON shapes.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};
use tokio::sync::Notify;

/// EMR cluster states (`ClusterState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClusterState {
    Starting,
    Bootstrapping,
    Running,
    Waiting,
    Terminating,
    Terminated,
    TerminatedWithErrors,
}

impl ClusterState {
    pub const ALL: [ClusterState; 7] = [
        ClusterState::Starting,
        ClusterState::Bootstrapping,
        ClusterState::Running,
        ClusterState::Waiting,
        ClusterState::Terminating,
        ClusterState::Terminated,
        ClusterState::TerminatedWithErrors,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClusterState::Starting => "STARTING",
            ClusterState::Bootstrapping => "BOOTSTRAPPING",
            ClusterState::Running => "RUNNING",
            ClusterState::Waiting => "WAITING",
            ClusterState::Terminating => "TERMINATING",
            ClusterState::Terminated => "TERMINATED",
            ClusterState::TerminatedWithErrors => "TERMINATED_WITH_ERRORS",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    /// States in which EMR accepts new steps and modifications.
    pub fn is_alive(self) -> bool {
        matches!(
            self,
            ClusterState::Starting
                | ClusterState::Bootstrapping
                | ClusterState::Running
                | ClusterState::Waiting
        )
    }

    pub fn is_terminated(self) -> bool {
        matches!(
            self,
            ClusterState::Terminated | ClusterState::TerminatedWithErrors
        )
    }
}

impl std::fmt::Display for ClusterState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// EMR step states (`StepState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StepState {
    Pending,
    CancelPending,
    Running,
    Completed,
    Cancelled,
    Failed,
    Interrupted,
}

impl StepState {
    pub const ALL: [StepState; 7] = [
        StepState::Pending,
        StepState::CancelPending,
        StepState::Running,
        StepState::Completed,
        StepState::Cancelled,
        StepState::Failed,
        StepState::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Pending => "PENDING",
            StepState::CancelPending => "CANCEL_PENDING",
            StepState::Running => "RUNNING",
            StepState::Completed => "COMPLETED",
            StepState::Cancelled => "CANCELLED",
            StepState::Failed => "FAILED",
            StepState::Interrupted => "INTERRUPTED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    /// Active steps count against EMR's limit of 256 per cluster.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            StepState::Pending | StepState::Running | StepState::CancelPending
        )
    }

    pub fn is_final(self) -> bool {
        !self.is_active()
    }
}

impl std::fmt::Display for StepState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `FailureDetails` of a failed step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FailureDetails {
    pub reason: String,
    pub message: String,
    pub log_file: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct StateChange {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub(crate) struct BootstrapAction {
    pub name: String,
    pub path: String,
    pub args: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Step {
    pub id: String,
    pub name: String,
    pub jar: String,
    pub main_class: Option<String>,
    pub args: Vec<String>,
    pub properties: Vec<(String, String)>,
    pub action_on_failure: String,
    pub state: StepState,
    pub state_change: Option<StateChange>,
    pub failure: Option<FailureDetails>,
    pub created: DateTime<Utc>,
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    /// Set while the step's process runs: notified to kill it.
    pub kill: Option<Arc<Notify>>,
}

impl Step {
    pub fn finish(&mut self, state: StepState, now: DateTime<Utc>) {
        self.state = state;
        self.ended = Some(now);
        if let Some(kill) = self.kill.take() {
            kill.notify_one();
        }
    }

    fn config_json(&self) -> Value {
        let properties: Map<String, Value> = self
            .properties
            .iter()
            .map(|(key, value)| (key.clone(), Value::String(value.clone())))
            .collect();
        let mut config = json!({
            "Jar": self.jar,
            "Args": self.args,
            "Properties": properties,
        });
        if let Some(main_class) = &self.main_class {
            config["MainClass"] = json!(main_class);
        }
        config
    }

    fn status_json(&self) -> Value {
        let mut timeline = json!({ "CreationDateTime": epoch(self.created) });
        if let Some(started) = self.started {
            timeline["StartDateTime"] = json!(epoch(started));
        }
        if let Some(ended) = self.ended {
            timeline["EndDateTime"] = json!(epoch(ended));
        }
        let mut status = json!({
            "State": self.state.as_str(),
            "StateChangeReason": state_change_json(self.state_change.as_ref()),
            "Timeline": timeline,
        });
        if let Some(failure) = &self.failure {
            let mut details = json!({ "Reason": failure.reason, "Message": failure.message });
            if let Some(log_file) = &failure.log_file {
                details["LogFile"] = json!(log_file);
            }
            status["FailureDetails"] = details;
        }
        status
    }

    /// `Step` (DescribeStep) and `StepSummary` (ListSteps) share these fields.
    pub fn to_json(&self) -> Value {
        json!({
            "Id": self.id,
            "Name": self.name,
            "Config": self.config_json(),
            "ActionOnFailure": self.action_on_failure,
            "Status": self.status_json(),
        })
    }
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
    pub tags: Vec<(String, String)>,
    pub termination_protected: bool,
    pub keep_alive: bool,
    pub step_concurrency_level: u32,
    pub idle_timeout_seconds: Option<u64>,
    pub idle_since: Option<Instant>,
    pub bootstrap_actions: Vec<BootstrapAction>,
    pub steps: Vec<Step>,
    /// Wakes the cluster's driver task after a change (new steps, termination, step end).
    pub wake: Arc<Notify>,
}

impl Cluster {
    pub fn status_json(&self) -> Value {
        let mut timeline = json!({ "CreationDateTime": epoch(self.created) });
        if let Some(ready) = self.ready {
            timeline["ReadyDateTime"] = json!(epoch(ready));
        }
        if let Some(ended) = self.ended {
            timeline["EndDateTime"] = json!(epoch(ended));
        }
        json!({
            "State": self.state.as_str(),
            "StateChangeReason": state_change_json(self.state_change.as_ref()),
            "Timeline": timeline,
        })
    }

    pub fn tags_json(&self) -> Value {
        Value::Array(
            self.tags
                .iter()
                .map(|(key, value)| json!({ "Key": key, "Value": value }))
                .collect(),
        )
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

    /// Instance groups/fleets have no life of their own here: they follow the cluster.
    fn instance_status_json(&self) -> Value {
        let state = match self.state {
            ClusterState::Starting => "PROVISIONING",
            ClusterState::Bootstrapping => "BOOTSTRAPPING",
            ClusterState::Running | ClusterState::Waiting => "RUNNING",
            ClusterState::Terminating => "TERMINATING",
            ClusterState::Terminated | ClusterState::TerminatedWithErrors => "TERMINATED",
        };
        let mut timeline = json!({ "CreationDateTime": epoch(self.created) });
        if let Some(ready) = self.ready {
            timeline["ReadyDateTime"] = json!(epoch(ready));
        }
        if let Some(ended) = self.ended {
            timeline["EndDateTime"] = json!(epoch(ended));
        }
        json!({ "State": state, "StateChangeReason": {}, "Timeline": timeline })
    }

    pub fn instance_groups_json(&self) -> Value {
        let status = self.instance_status_json();
        let running = self.state.is_alive() && self.ready.is_some();
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

    pub fn step(&self, step_id: &str) -> Option<&Step> {
        self.steps.iter().find(|step| step.id == step_id)
    }

    pub fn step_mut(&mut self, step_id: &str) -> Option<&mut Step> {
        self.steps.iter_mut().find(|step| step.id == step_id)
    }

    pub fn active_step_count(&self) -> usize {
        self.steps
            .iter()
            .filter(|step| step.state.is_active())
            .count()
    }
}

fn state_change_json(change: Option<&StateChange>) -> Value {
    match change {
        Some(change) => json!({ "Code": change.code, "Message": change.message }),
        None => json!({}),
    }
}

/// EMR's JSON protocol sends timestamps as epoch seconds (a JSON number).
pub(crate) fn epoch(time: DateTime<Utc>) -> f64 {
    time.timestamp_millis() as f64 / 1000.0
}

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn random_id(prefix: &str, length: usize) -> String {
    let suffix: String = (0..length)
        .map(|_| char::from(ID_ALPHABET[fastrand::usize(..ID_ALPHABET.len())]))
        .collect();
    format!("{prefix}{suffix}")
}

/// `j-` + 13 characters, like EMR's cluster ids.
pub(crate) fn new_cluster_id() -> String {
    random_id("j-", 13)
}

/// `ig-`/`if-` + 13 characters, like EMR's instance group and fleet ids.
pub(crate) fn new_instance_collection_id(prefix: &str) -> String {
    random_id(prefix, 13)
}

/// `s-` + 13 characters, like EMR's step ids.
pub(crate) fn new_step_id() -> String {
    random_id("s-", 13)
}
