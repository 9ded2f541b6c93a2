//! Read-only inspection of the local EMR's clusters and steps, and of the calls it received.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use emrflow_vocabulary::{ActionOnFailure, ClusterState, FailureDetails, StepState};
use serde::Serialize;

use crate::model::Cluster;
use crate::state::Shared;

/// A step as [`Inspector`] shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StepSnapshot {
    pub id: String,
    pub name: String,
    pub state: StepState,
    pub action_on_failure: ActionOnFailure,
    pub jar: String,
    pub args: Vec<String>,
    pub failure: Option<FailureDetails>,
}

/// A cluster with its steps (in submission order) as [`Inspector`] shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterSnapshot {
    pub id: String,
    pub name: String,
    pub state: ClusterState,
    pub state_change_code: Option<String>,
    pub state_change_message: Option<String>,
    pub termination_protected: bool,
    pub step_concurrency_level: u32,
    pub tags: BTreeMap<String, String>,
    pub steps: Vec<StepSnapshot>,
}

impl ClusterSnapshot {
    fn of(cluster: &Cluster) -> Self {
        ClusterSnapshot {
            id: cluster.id.clone(),
            name: cluster.name.clone(),
            state: cluster.state,
            state_change_code: cluster.state_change.as_ref().map(|c| c.code.clone()),
            state_change_message: cluster.state_change.as_ref().map(|c| c.message.clone()),
            termination_protected: cluster.termination_protected,
            step_concurrency_level: cluster.step_concurrency_level,
            tags: cluster
                .tags
                .iter()
                .map(|tag| (tag.key.clone(), tag.value.clone()))
                .collect(),
            steps: cluster
                .steps
                .iter()
                .map(|step| StepSnapshot {
                    id: step.id.clone(),
                    name: step.name.clone(),
                    state: step.state,
                    action_on_failure: step.action_on_failure,
                    jar: step.config.jar.clone(),
                    args: step.config.args.clone(),
                    failure: step.failure.clone(),
                })
                .collect(),
        }
    }

    pub fn step_named(&self, name: &str) -> Option<&StepSnapshot> {
        self.steps.iter().find(|step| step.name == name)
    }
}

/// Read-only view of the server's state.
#[derive(Clone)]
pub struct Inspector {
    pub(crate) shared: Arc<Shared>,
}

impl Inspector {
    /// Every cluster ever created, oldest first.
    pub fn clusters(&self) -> Vec<ClusterSnapshot> {
        self.shared
            .with_inner(|inner| inner.clusters.iter().map(ClusterSnapshot::of).collect())
    }

    pub fn cluster(&self, cluster_id: &str) -> Option<ClusterSnapshot> {
        self.clusters()
            .into_iter()
            .find(|cluster| cluster.id == cluster_id)
    }

    /// How many calls of `operation` reached the server (throttled ones included).
    pub fn operation_count(&self, operation: &str) -> u64 {
        self.shared
            .with_inner(|inner| inner.operation_counts.get(operation).copied().unwrap_or(0))
    }

    /// How many calls were answered ThrottlingException.
    pub fn throttled_calls(&self) -> u64 {
        self.shared.with_inner(|inner| inner.throttled_calls)
    }

    pub fn operation_counts(&self) -> BTreeMap<String, u64> {
        self.shared
            .with_inner(|inner| inner.operation_counts.clone())
    }

    /// Polls until `condition` holds for the clusters, or gives up after `timeout`
    /// returning the last clusters seen as the error.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        condition: impl Fn(&[ClusterSnapshot]) -> bool,
    ) -> Result<Vec<ClusterSnapshot>, Vec<ClusterSnapshot>> {
        let deadline = Instant::now() + timeout;
        loop {
            let clusters = self.clusters();
            if condition(&clusters) {
                return Ok(clusters);
            }
            if Instant::now() >= deadline {
                return Err(clusters);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits until the cluster is in one of `states`; returns its snapshot.
    pub async fn wait_for_cluster_state(
        &self,
        cluster_id: &str,
        states: &[ClusterState],
        timeout: Duration,
    ) -> Result<ClusterSnapshot, Option<ClusterSnapshot>> {
        let result = self
            .wait_until(timeout, |clusters| {
                clusters
                    .iter()
                    .any(|cluster| cluster.id == cluster_id && states.contains(&cluster.state))
            })
            .await;
        let find = |clusters: Vec<ClusterSnapshot>| {
            clusters
                .into_iter()
                .find(|cluster| cluster.id == cluster_id)
        };
        match result {
            Ok(clusters) => find(clusters).ok_or(None),
            Err(clusters) => Err(find(clusters)),
        }
    }
}
