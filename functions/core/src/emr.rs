//! The EMR operations the handlers need, as a small trait over domain types, so the handler
//! logic can run against the real SDK ([`crate::SdkEmr`]) or an in-memory fake in tests.
//! EMR's own vocabulary (states, StepConfig, FailureDetails) comes from `emrflow-vocabulary`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use emrflow_vocabulary::cluster::{
    BootstrapAction, EmrConfiguration, InstanceFleet, InstanceGroup, Market,
};
pub use emrflow_vocabulary::{
    ActionOnFailure, ClusterState, FailureDetails, HadoopJarStep, KeyValue, PipelineStepState,
    StepConfig, StepState,
};

use crate::EmrflowError;

/// One entry of ListClusters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSummary {
    pub id: String,
    pub name: String,
    pub state: ClusterState,
}

/// What DescribeCluster tells about a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDescription {
    pub id: String,
    pub name: String,
    pub state: ClusterState,
    pub state_change_reason_code: Option<String>,
    pub state_change_reason_message: Option<String>,
    pub termination_protected: bool,
    pub step_concurrency_level: u32,
    pub log_uri: Option<String>,
    pub tags: BTreeMap<String, String>,
}

impl ClusterDescription {
    /// "TERMINATED (ALL_STEPS_COMPLETED: Steps completed)" — the state with EMR's reason.
    pub fn state_with_reason(&self) -> String {
        match (
            &self.state_change_reason_code,
            &self.state_change_reason_message,
        ) {
            (Some(code), Some(message)) => format!("{} ({code}: {message})", self.state),
            (Some(code), None) => format!("{} ({code})", self.state),
            (None, Some(message)) => format!("{} ({message})", self.state),
            (None, None) => self.state.to_string(),
        }
    }
}

/// One entry of ListSteps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepSummary {
    pub id: String,
    pub name: String,
    pub state: StepState,
    pub action_on_failure: Option<ActionOnFailure>,
    /// RFC 3339 timestamps as EMR reports them.
    pub created_at: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub failure_details: Option<FailureDetails>,
}

/// What CancelSteps answered for one step: SUBMITTED, or FAILED with EMR's reason (e.g. the
/// step had already ended — harmless when cancelling again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelOutcome {
    pub step_id: String,
    pub submitted: bool,
    pub reason: Option<String>,
}

/// Which instance group or fleet an instance belongs to (ListInstances).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstanceCollection {
    Group(String),
    Fleet(String),
}

/// One entry of ListInstances: what a run's cost is computed from. The timeline's times are
/// EMR's; an instance still running has no end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSummary {
    pub id: String,
    pub instance_type: String,
    pub market: Market,
    pub collection: Option<InstanceCollection>,
    pub created_at: Option<DateTime<Utc>>,
    pub ready_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A cluster's instances: fleets or groups, never both.
#[derive(Debug, Clone, PartialEq)]
pub enum Instances {
    Fleets(Vec<InstanceFleet>),
    Groups(Vec<InstanceGroup>),
}

/// Everything RunJobFlow gets: the cluster's name and shape (placeholders rendered) and the
/// tags (the configured ones plus emrflow:pipeline / emrflow:execution). The cluster keeps
/// running when it has no step queued; IdleTimeoutSeconds becomes its AutoTerminationPolicy.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterLaunch {
    pub name: String,
    pub release_label: String,
    pub applications: Vec<String>,
    pub configurations: Vec<EmrConfiguration>,
    pub service_role: String,
    pub job_flow_role: String,
    pub log_uri: Option<String>,
    pub instances: Instances,
    pub ec2_subnet_ids: Vec<String>,
    pub step_concurrency_level: u32,
    pub idle_timeout_seconds: Option<u64>,
    pub bootstrap_actions: Vec<BootstrapAction>,
    pub tags: BTreeMap<String, String>,
}

/// The EMR operations emrflow uses. Errors are already classified into the contract's names.
#[async_trait]
pub trait EmrApi: Send + Sync {
    /// RunJobFlow; returns the new cluster id.
    async fn run_job_flow(&self, launch: &ClusterLaunch) -> Result<String, EmrflowError>;
    /// ListClusters filtered by `states` (and created after `created_after`), all pages.
    async fn list_clusters(
        &self,
        states: &[ClusterState],
        created_after: Option<DateTime<Utc>>,
    ) -> Result<Vec<ClusterSummary>, EmrflowError>;
    async fn describe_cluster(&self, cluster_id: &str) -> Result<ClusterDescription, EmrflowError>;
    async fn set_termination_protection(
        &self,
        cluster_id: &str,
        protected: bool,
    ) -> Result<(), EmrflowError>;
    /// ListSteps, all pages; `step_ids` empty means every step of the cluster.
    async fn list_steps(
        &self,
        cluster_id: &str,
        step_ids: &[String],
    ) -> Result<Vec<StepSummary>, EmrflowError>;
    /// AddJobFlowSteps; returns the new step ids in the order of `steps`.
    async fn add_job_flow_steps(
        &self,
        cluster_id: &str,
        steps: &[StepConfig],
    ) -> Result<Vec<String>, EmrflowError>;
    async fn terminate_job_flows(&self, cluster_id: &str) -> Result<(), EmrflowError>;
    /// ListInstances, all pages, every state: each instance's type, market, group or fleet
    /// and timeline (a run's cost).
    async fn list_instances(&self, cluster_id: &str) -> Result<Vec<InstanceSummary>, EmrflowError>;
    /// CancelSteps of PENDING and RUNNING steps; a running step's process is killed
    /// (EMR's TERMINATE_PROCESS: a hung step may ignore an interrupt).
    async fn cancel_steps(
        &self,
        cluster_id: &str,
        step_ids: &[String],
    ) -> Result<Vec<CancelOutcome>, EmrflowError>;
    /// The cluster's steps created since `since`, newest first. ListSteps lists newest first,
    /// so an adapter can stop paging at the first older step: one look costs pages of this
    /// execution's steps only, however long the cluster has lived.
    async fn list_steps_since(
        &self,
        cluster_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<StepSummary>, EmrflowError> {
        let mut steps = self.list_steps(cluster_id, &[]).await?;
        steps.retain(|step| created_since(step, since));
        Ok(steps)
    }
}

/// Whether a step was created at or after `since` (a step without a time counts as new).
pub fn created_since(step: &StepSummary, since: DateTime<Utc>) -> bool {
    step.created_at
        .as_deref()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .is_none_or(|created| created >= since)
}
