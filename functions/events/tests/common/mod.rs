//! What the tests share: fakes of EMR and of Step Functions' callbacks, EMR's events as
//! EventBridge delivers them, the contract every token store keeps, and a world of handlers
//! over the in-memory store.
// Each test file uses its own part of this module.
#![allow(dead_code, unused_imports)]

mod contract;
mod events;
mod fakes;
mod world;

pub use contract::check_token_store_contract;
pub use events::{cluster_event, step_event};
pub use fakes::{FakeCallbacks, FakeEmr};
pub use world::{payload, running_cluster, two_waiting_executions, World, CLUSTER, TOKEN};

use emrflow_events::waiter::now_epoch_seconds;
use emrflow_events::Waiter;

/// A waiter of `execution` on `cluster_id`, live for an hour.
pub fn waiter(cluster_id: &str, execution: &str, token: &str, step_ids: &[&str]) -> Waiter {
    Waiter {
        waits_on: cluster_id.into(),
        waiter: execution.into(),
        task_token: token.into(),
        step_ids: step_ids.iter().map(|id| id.to_string()).collect(),
        expires_at: now_epoch_seconds() + 3_600,
    }
}
