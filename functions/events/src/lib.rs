//! Waking executions on EMR's events instead of polling (README, "Waking up on EMR's
//! events"), and on S3's when they wait for their input data (README, "When a run starts"). The state machine waits on a task token; await-steps records it and checks
//! once; emr-events, behind an EventBridge rule on EMR's step and cluster state changes,
//! finds it and answers with SendTaskSuccess. The Task's HeartbeatSeconds is the net under a
//! lost event. No Lambda runtime code here: the binaries and the local runner build the same
//! handlers, with in-memory adapters locally.
//!
//! - [`waiter`]: the [`Waiter`] record and its expiry (TTL);
//! - [`store`]: the [`TokenStore`] port, on DynamoDB ([`DynamoTokenStore`]) or in memory
//!   ([`MemoryTokenStore`]);
//! - [`callbacks`]: the [`TaskCallbacks`] port (SendTaskSuccess) and [`CallbackError`], which
//!   tells a task that already ended (harmless) from a real failure; [`SfnCallbacks`] on
//!   aws-sdk-sfn;
//! - [`await_steps`]: the await-steps handler; [`await_data`]: the await-data handler (the
//!   data wait of WaitFor, one waiter per object); [`emr_events`]: the emr-events handler, for
//!   EMR's events and S3's Object Created; all wake a waiter the same way (`wake.rs`);
//! - `moto` (feature `moto`, tests only): moto's server as a DynamoDB peer on loopback.

pub mod await_data;
pub mod await_steps;
pub mod callbacks;
pub mod emr_events;
#[cfg(feature = "moto")]
pub mod moto;
pub mod store;
pub mod waiter;
mod wake;

pub use await_data::{AwaitData, AwaitDataRequest, AwaitDataSummary};
pub use await_steps::{AwaitOutcome, AwaitSteps, AwaitStepsRequest, AwaitStepsSummary};
pub use callbacks::{CallbackError, SfnCallbacks, TaskCallbacks};
pub use emr_events::{EmrEvents, EmrEventsSummary};
pub use store::{DynamoTokenStore, MemoryTokenStore, TokenStore};
pub use waiter::Waiter;
