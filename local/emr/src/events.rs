//! EMR's events, as EMR sends them to EventBridge when a cluster or a step changes state
//! (EMR Management Guide, "Monitor CloudWatch events": the states that send one, their
//! severity and message), in EventBridge's envelope.
//!
//! A state change records its event in its cluster's outbox ([`PendingEvent`], made from
//! the facts [`crate::model`] hands over: [`ClusterFacts`], [`StepFacts`]); every critical
//! section of the shared state ends by publishing the outboxes to the subscribers, so events
//! leave in the order the changes happened, under the lock that made them.
//!
//! - "EMR Cluster State Change": STARTING, RUNNING, WAITING, TERMINATED,
//!   TERMINATED_WITH_ERRORS (EMR sends none for BOOTSTRAPPING or TERMINATING);
//!   `stateChangeReason` is a JSON text, `{"code":"USER_REQUEST","message":"…"}`.
//! - "EMR Step Status Change": PENDING, CANCEL_PENDING, RUNNING, COMPLETED, CANCELLED,
//!   FAILED (none for INTERRUPTED).

use chrono::{DateTime, Utc};
use emrflow_vocabulary::{ActionOnFailure, ClusterState, StepState};
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedSender;

use crate::fault_state::FaultState;

pub(crate) const CLUSTER_STATE_CHANGE: &str = "EMR Cluster State Change";
pub(crate) const STEP_STATUS_CHANGE: &str = "EMR Step Status Change";

/// An event made by a state change, waiting for the end of the critical section.
#[derive(Debug, Clone)]
pub(crate) struct PendingEvent {
    detail_type: &'static str,
    time: DateTime<Utc>,
    detail: Value,
}

/// What EMR's events say of a cluster.
pub(crate) struct ClusterFacts<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub state: ClusterState,
    /// The code and message of the cluster's last state change, if any.
    pub reason: Option<(&'a str, &'a str)>,
}

/// What EMR's events say of a step.
pub(crate) struct StepFacts<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub state: StepState,
    pub action_on_failure: ActionOnFailure,
    pub started: Option<DateTime<Utc>>,
}

/// EMR's way of writing a time in an event message.
fn when(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The event EMR sends when `cluster` enters its current state, coming from `previous`.
pub(crate) fn cluster_event(
    cluster: &ClusterFacts,
    previous: ClusterState,
    now: DateTime<Utc>,
) -> Option<PendingEvent> {
    let who = format!("{} ({})", cluster.id, cluster.name);
    let code = cluster.reason.map_or("", |(code, _)| code);
    let (severity, message) = match cluster.state {
        ClusterState::Starting => ("INFO", format!("Amazon EMR cluster {who} was requested at {} and is being created.", when(now))),
        ClusterState::Running => ("INFO", format!("Amazon EMR cluster {who} began running steps at {}.", when(now))),
        ClusterState::Waiting if previous == ClusterState::Running => ("INFO", format!("Amazon EMR cluster {who} finished running all pending steps at {}.", when(now))),
        ClusterState::Waiting => ("INFO", format!("Amazon EMR cluster {who} was created at {} and is ready for use.", when(now))),
        ClusterState::Terminated => {
            let severity = if matches!(code, "USER_REQUEST" | "ALL_STEPS_COMPLETED") { "INFO" } else { "WARN" };
            (severity, format!("Amazon EMR Cluster {who} has terminated at {} with a reason of {code}.", when(now)))
        }
        ClusterState::TerminatedWithErrors => ("CRITICAL", format!("Amazon EMR Cluster {who} has terminated with errors at {} with a reason of {code}.", when(now))),
        ClusterState::Bootstrapping | ClusterState::Terminating => return None,
    };
    let reason = match cluster.reason {
        Some((code, message)) => json!({ "code": code, "message": message }),
        None => json!({ "code": "" }),
    };
    Some(PendingEvent {
        detail_type: CLUSTER_STATE_CHANGE,
        time: now,
        detail: json!({
            "severity": severity,
            "stateChangeReason": reason.to_string(),
            "name": cluster.name,
            "clusterId": cluster.id,
            "state": cluster.state,
            "message": message,
        }),
    })
}

/// The event EMR sends when `step` of `cluster` enters its current state.
pub(crate) fn step_event(
    cluster: &ClusterFacts,
    step: &StepFacts,
    now: DateTime<Utc>,
) -> Option<PendingEvent> {
    let (id, name) = (step.id, step.name);
    let on = format!("Amazon EMR cluster {} ({})", cluster.id, cluster.name);
    let (severity, message) = match step.state {
        StepState::Pending => ("INFO", format!("Step {id} ({name}) was added to {on} at {} and is pending execution.", when(now))),
        StepState::CancelPending => ("WARN", format!("Step {id} ({name}) in {on} was cancelled at {} and is pending cancellation.", when(now))),
        StepState::Running => ("INFO", format!("Step {id} ({name}) in {on} started running at {}.", when(now))),
        StepState::Completed => {
            let started = step.started.unwrap_or(now);
            let minutes = (now - started).num_minutes();
            ("INFO", format!("Step {id} ({name}) in {on} completed execution at {}. The step started running at {} and took {minutes} minutes to complete.", when(now), when(started)))
        }
        StepState::Cancelled => ("WARN", format!("Cancellation request has succeeded for cluster step {id} ({name}) in {on} at {}, and the step is now cancelled.", when(now))),
        StepState::Failed => ("ERROR", format!("Step {id} ({name}) in {on} failed at {}.", when(now))),
        StepState::Interrupted => return None,
    };
    Some(PendingEvent {
        detail_type: STEP_STATUS_CHANGE,
        time: now,
        detail: json!({
            "severity": severity,
            "actionOnFailure": step.action_on_failure,
            "stepId": id,
            "name": name,
            "clusterId": cluster.id,
            "state": step.state,
            "message": message,
        }),
    })
}

/// Where events go: the subscribers, and the account and region of the envelope.
pub(crate) struct EventBus<'a> {
    pub subscribers: &'a mut Vec<UnboundedSender<Value>>,
    pub faults: &'a mut FaultState,
    pub account_id: &'a str,
    pub region: &'a str,
}

impl EventBus<'_> {
    /// Sends `event`, in EventBridge's envelope, to every subscriber: once, twice or not at
    /// all as the event faults say. Subscribers that are gone are dropped.
    pub fn publish(&mut self, event: PendingEvent) {
        let deliveries = self.faults.event_deliveries();
        if deliveries == 0 || self.subscribers.is_empty() {
            return;
        }
        let envelope = json!({
            "version": "0",
            "id": uuid::Uuid::new_v4().to_string(),
            "detail-type": event.detail_type,
            "source": "aws.emr",
            "account": self.account_id,
            "time": event.time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "region": self.region,
            "resources": [],
            "detail": event.detail,
        });
        self.subscribers.retain(|subscriber| {
            (0..deliveries).all(|_| subscriber.send(envelope.clone()).is_ok())
        });
    }
}
