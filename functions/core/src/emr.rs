//! The EMR operations the handlers need, as a small trait over domain types, so the handler
//! logic can run against the real SDK ([`crate::SdkEmr`]) or an in-memory fake in tests.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::pipeline::ClusterConfig;
use crate::EmrflowError;

/// Cluster states in which EMR accepts new steps (AddJobFlowSteps documentation).
pub const STEP_ACCEPTING_STATES: [&str; 4] = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"];
/// Cluster states of a cluster that is going away or gone.
pub const TERMINAL_OR_ENDING_CLUSTER_STATES: [&str; 3] =
    ["TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"];
/// States a cluster created by this execution can be in while it still exists.
pub const NOT_TERMINATED_CLUSTER_STATES: [&str; 5] = [
    "STARTING",
    "BOOTSTRAPPING",
    "RUNNING",
    "WAITING",
    "TERMINATING",
];
/// Every cluster state, for lookups that must also see a cluster that has already ended.
pub const ALL_CLUSTER_STATES: [&str; 7] = [
    "STARTING",
    "BOOTSTRAPPING",
    "RUNNING",
    "WAITING",
    "TERMINATING",
    "TERMINATED",
    "TERMINATED_WITH_ERRORS",
];
/// Step states that count against EMR's limit of 256 active steps.
pub const ACTIVE_STEP_STATES: [&str; 3] = ["PENDING", "CANCEL_PENDING", "RUNNING"];
/// Step states after which a step never changes again.
pub const TERMINAL_STEP_STATES: [&str; 4] = ["COMPLETED", "CANCELLED", "FAILED", "INTERRUPTED"];

/// EMR's `FailureDetails` of a step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FailureDetails {
    pub reason: Option<String>,
    pub message: Option<String>,
    pub log_file: Option<String>,
}

/// One entry of ListClusters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSummary {
    pub id: String,
    pub name: String,
    pub state: String,
}

/// What DescribeCluster tells about a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterDescription {
    pub id: String,
    pub name: String,
    pub state: String,
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
            (None, None) => self.state.clone(),
        }
    }

    pub fn is_ending_or_ended(&self) -> bool {
        TERMINAL_OR_ENDING_CLUSTER_STATES.contains(&self.state.as_str())
    }

    pub fn accepts_steps(&self) -> bool {
        STEP_ACCEPTING_STATES.contains(&self.state.as_str())
    }
}

/// One entry of ListSteps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StepSummary {
    pub id: String,
    pub name: String,
    pub state: String,
    pub action_on_failure: Option<String>,
    /// RFC 3339 timestamps as EMR reports them.
    pub created_at: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub failure_details: Option<FailureDetails>,
}

/// A compiled `StepConfig` (EMR's AddJobFlowSteps shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StepConfig {
    pub name: String,
    pub action_on_failure: String,
    pub hadoop_jar_step: HadoopJarStep,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HadoopJarStep {
    pub jar: String,
    pub main_class: Option<String>,
    pub args: Vec<String>,
    /// Java properties, in the order given (EMR's `[{Key, Value}]`).
    pub properties: Vec<(String, String)>,
}

impl HadoopJarStep {
    /// Total characters of every string in the HadoopJarStep (EMR allows at most 10,240).
    pub fn total_chars(&self) -> usize {
        let chars = |text: &str| text.chars().count();
        chars(&self.jar)
            + self.main_class.as_deref().map_or(0, chars)
            + self.args.iter().map(|arg| chars(arg)).sum::<usize>()
            + self
                .properties
                .iter()
                .map(|(key, value)| chars(key) + chars(value))
                .sum::<usize>()
    }
}

/// Everything RunJobFlow needs: the cluster's name, its configuration (placeholders rendered)
/// and the tags (the configured ones plus emrflow:pipeline / emrflow:execution).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterLaunch {
    pub name: String,
    pub config: ClusterConfig,
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
        states: &[&str],
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
}
