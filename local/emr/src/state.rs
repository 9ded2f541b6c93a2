//! Shared server state (in memory only) and the state transitions every path uses.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::Utc;

use crate::error::EmrError;
use crate::exec::Layout;
use crate::faults::{ClusterSnapshot, FaultState, StepSnapshot};
use crate::model::{Cluster, ClusterState, StateChange, StepState};
use crate::Timings;

#[derive(Debug, Default)]
pub(crate) struct Inner {
    /// Oldest first.
    pub clusters: Vec<Cluster>,
    pub operation_counts: BTreeMap<String, u64>,
    pub faults: FaultState,
}

impl Inner {
    pub fn cluster(&self, cluster_id: &str) -> Result<&Cluster, EmrError> {
        self.clusters
            .iter()
            .find(|cluster| cluster.id == cluster_id)
            .ok_or_else(|| EmrError::cluster_not_found(cluster_id))
    }

    pub fn cluster_mut(&mut self, cluster_id: &str) -> Result<&mut Cluster, EmrError> {
        self.clusters
            .iter_mut()
            .find(|cluster| cluster.id == cluster_id)
            .ok_or_else(|| EmrError::cluster_not_found(cluster_id))
    }
}

pub(crate) struct Shared {
    pub layout: Layout,
    pub timings: Timings,
    pub region: String,
    pub account_id: String,
    inner: Mutex<Inner>,
}

impl Shared {
    pub fn new(layout: Layout, timings: Timings, region: String, account_id: String) -> Self {
        Shared {
            layout,
            timings,
            region,
            account_id,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Runs `action` under the state lock (never held across an await).
    pub fn with_inner<R>(&self, action: impl FnOnce(&mut Inner) -> R) -> R {
        // A panic while holding the lock leaves plain data behind: keep serving.
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        action(&mut guard)
    }

    pub fn snapshots(&self) -> Vec<ClusterSnapshot> {
        self.with_inner(|inner| inner.clusters.iter().map(snapshot).collect())
    }

    pub fn kill_cluster(
        &self,
        cluster_id: &str,
        code: &str,
        message: &str,
    ) -> Result<(), EmrError> {
        self.with_inner(|inner| {
            let cluster = inner.cluster_mut(cluster_id)?;
            begin_termination(cluster, ClusterState::TerminatedWithErrors, code, message);
            Ok(())
        })
    }

    /// Terminates every live cluster (killing step processes): for a clean shutdown.
    pub fn terminate_all(&self, message: &str) {
        self.with_inner(|inner| {
            for cluster in &mut inner.clusters {
                begin_termination(cluster, ClusterState::Terminated, "USER_REQUEST", message);
            }
        });
    }
}

fn snapshot(cluster: &Cluster) -> ClusterSnapshot {
    ClusterSnapshot {
        id: cluster.id.clone(),
        name: cluster.name.clone(),
        state: cluster.state,
        state_change_code: cluster.state_change.as_ref().map(|c| c.code.clone()),
        state_change_message: cluster.state_change.as_ref().map(|c| c.message.clone()),
        termination_protected: cluster.termination_protected,
        step_concurrency_level: cluster.step_concurrency_level,
        tags: cluster.tags.iter().cloned().collect(),
        steps: cluster
            .steps
            .iter()
            .map(|step| StepSnapshot {
                id: step.id.clone(),
                name: step.name.clone(),
                state: step.state,
                action_on_failure: step.action_on_failure.clone(),
                jar: step.jar.clone(),
                args: step.args.clone(),
                failure: step.failure.clone(),
            })
            .collect(),
    }
}

/// Starts termination: TERMINATING now, pending steps CANCELLED, running ones
/// INTERRUPTED (their processes killed); the driver ends in `final_state` after the
/// TERMINATING delay. Does nothing for a cluster already terminating or terminated.
pub(crate) fn begin_termination(
    cluster: &mut Cluster,
    final_state: ClusterState,
    code: &str,
    message: &str,
) {
    if !cluster.state.is_alive() {
        return;
    }
    let now = Utc::now();
    tracing::info!(cluster = %cluster.id, %code, %message, "cluster TERMINATING");
    cluster.state = ClusterState::Terminating;
    cluster.final_state = Some(final_state);
    cluster.state_change = Some(StateChange {
        code: code.to_string(),
        message: message.to_string(),
    });
    for step in &mut cluster.steps {
        match step.state {
            StepState::Pending => step.finish(StepState::Cancelled, now),
            StepState::Running | StepState::CancelPending => {
                step.finish(StepState::Interrupted, now)
            }
            _ => {}
        }
    }
    cluster.wake.notify_one();
}

/// Cancels every PENDING step (CANCEL_AND_WAIT after a failure).
pub(crate) fn cancel_pending_steps(cluster: &mut Cluster) {
    let now = Utc::now();
    for step in &mut cluster.steps {
        if step.state == StepState::Pending {
            step.finish(StepState::Cancelled, now);
        }
    }
}

/// What a failed step's ActionOnFailure does to its cluster.
pub(crate) fn apply_action_on_failure(cluster: &mut Cluster, action_on_failure: &str) {
    match action_on_failure {
        "CONTINUE" => {}
        "TERMINATE_CLUSTER" | "TERMINATE_JOB_FLOW" if !cluster.termination_protected => {
            begin_termination(
                cluster,
                ClusterState::TerminatedWithErrors,
                "STEP_FAILURE",
                "Shut down as step failed",
            );
        }
        // CANCEL_AND_WAIT, and TERMINATE_CLUSTER on a protected cluster (EMR keeps it).
        _ => cancel_pending_steps(cluster),
    }
}
