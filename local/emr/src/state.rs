//! Shared server state (in memory only) and the cluster transitions every path uses.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::Utc;
use emrflow_vocabulary::{ActionOnFailure, ClusterState, StepState};

use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use crate::error::EmrError;
use crate::events::EventBus;
use crate::exec::{Layout, ProcessGroups, Supervision};
use crate::fault_state::FaultState;
use crate::model::{Cluster, StateChange};
use crate::timings::Timings;

#[derive(Debug, Default)]
pub(crate) struct Inner {
    /// Oldest first.
    pub clusters: Vec<Cluster>,
    pub operation_counts: BTreeMap<String, u64>,
    /// Calls answered ThrottlingException (by a rate limit or a throttle fault).
    pub throttled_calls: u64,
    pub faults: FaultState,
    /// Who gets EMR's events ([`crate::LocalEmr::subscribe_events`]).
    pub subscribers: Vec<UnboundedSender<Value>>,
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
    /// The step processes' groups: outside `inner`, as processes start and end outside it.
    pub groups: ProcessGroups,
    /// True while the endpoint plays dead ([`crate::Faults::hang`]): EMR requests wait.
    pub hung: tokio::sync::watch::Sender<bool>,
    inner: Mutex<Inner>,
}

impl Shared {
    pub fn new(layout: Layout, timings: Timings, region: String, account_id: String) -> Self {
        Shared {
            layout,
            timings,
            region,
            account_id,
            groups: ProcessGroups::new(),
            hung: tokio::sync::watch::Sender::new(false),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Runs `action` under the state lock, then publishes the events its state changes made
    /// (still under the lock, so they leave in the order they happened). A std Mutex, never
    /// held across an await: every critical section is a few field updates, and the step
    /// processes run outside it.
    pub fn with_inner<R>(&self, action: impl FnOnce(&mut Inner) -> R) -> R {
        // A panic while holding the lock leaves plain data behind: keep serving.
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let result = action(&mut guard);
        let Inner {
            clusters,
            faults,
            subscribers,
            ..
        } = &mut *guard;
        let mut bus = EventBus {
            subscribers,
            faults,
            account_id: &self.account_id,
            region: &self.region,
        };
        for cluster in clusters.iter_mut() {
            for event in cluster.outbox.drain(..) {
                bus.publish(event);
            }
        }
        result
    }

    /// How a process working for `cluster_id` is supervised.
    pub fn supervision<'a>(&'a self, cluster_id: &'a str) -> Supervision<'a> {
        Supervision {
            groups: &self.groups,
            owner: cluster_id,
            grace: self.timings.stop_grace,
        }
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

    /// Terminates every live cluster and sends SIGTERM to every step process group at once
    /// (each step's task, or the watcher if this process exits first, follows up with
    /// SIGKILL); returns the ids of the clusters it terminated.
    pub fn terminate_all(&self, message: &str) -> Vec<String> {
        let terminated = self.with_inner(|inner| {
            inner
                .clusters
                .iter_mut()
                .filter(|cluster| cluster.state.accepts_steps())
                .map(|cluster| {
                    begin_termination(cluster, ClusterState::Terminated, "USER_REQUEST", message);
                    cluster.id.clone()
                })
                .collect()
        });
        self.groups.stop_all();
        terminated
    }
}

/// Starts termination: TERMINATING now, pending steps CANCELLED, running ones
/// INTERRUPTED (their processes stopped); the driver ends in `final_state` after the
/// TERMINATING delay. Does nothing for a cluster already terminating or terminated.
pub(crate) fn begin_termination(
    cluster: &mut Cluster,
    final_state: ClusterState,
    code: &str,
    message: &str,
) {
    if !cluster.state.accepts_steps() {
        return;
    }
    let now = Utc::now();
    tracing::info!(cluster = %cluster.id, %code, %message, "cluster TERMINATING");
    cluster.final_state = Some(final_state);
    cluster.state_change = Some(StateChange {
        code: code.to_string(),
        message: message.to_string(),
    });
    cluster.set_state(ClusterState::Terminating);
    for index in 0..cluster.steps.len() {
        match cluster.steps[index].state {
            StepState::Pending => cluster.set_step_state(index, StepState::Cancelled, now),
            StepState::Running | StepState::CancelPending => {
                cluster.set_step_state(index, StepState::Interrupted, now)
            }
            _ => {}
        }
    }
    cluster.wake.notify_one();
}

/// Cancels every PENDING step (CANCEL_AND_WAIT after a failure).
pub(crate) fn cancel_pending_steps(cluster: &mut Cluster) {
    let now = Utc::now();
    for index in 0..cluster.steps.len() {
        if cluster.steps[index].state == StepState::Pending {
            cluster.set_step_state(index, StepState::Cancelled, now);
        }
    }
}

/// What a failed step's ActionOnFailure does to its cluster.
pub(crate) fn apply_action_on_failure(cluster: &mut Cluster, action: ActionOnFailure) {
    if action == ActionOnFailure::Continue {
        return;
    }
    if action.terminates_cluster() && !cluster.termination_protected {
        begin_termination(
            cluster,
            ClusterState::TerminatedWithErrors,
            "STEP_FAILURE",
            "Shut down as step failed",
        );
    } else {
        // CANCEL_AND_WAIT, and TERMINATE_CLUSTER on a protected cluster (EMR keeps it).
        cancel_pending_steps(cluster);
    }
}
