//! Where task tokens wait for EMR's events: the [`TokenStore`] port, with a DynamoDB adapter
//! (deployed) and an in-memory one (local mode and tests).

mod dynamodb;
mod item;
mod memory;

use async_trait::async_trait;
use emrflow_core::EmrflowError;

use crate::Waiter;

pub use dynamodb::DynamoTokenStore;
pub use item::{BadItem, CLUSTER_ID, EXPIRES_AT, STEP_IDS, TASK_TOKEN, WAITER};
pub use memory::MemoryTokenStore;

/// The waiters, by what they wait on (a cluster id or an `s3://` object). Events are unordered and delivered at least once, so every
/// operation is safe to repeat and none assumes another came first.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Records `waiter`, replacing the same execution's earlier wait on the same thing.
    async fn put(&self, waiter: &Waiter) -> Result<(), EmrflowError>;

    /// The waiters on `waits_on` that have not expired (an expired record may still be stored:
    /// DynamoDB's TTL deletes lazily).
    async fn waiters_of(&self, waits_on: &str) -> Result<Vec<Waiter>, EmrflowError>;

    /// Deletes the execution's waiter only while it still holds `task_token`, so an old event
    /// never deletes a newer wait. False when nothing was deleted (gone, or replaced).
    async fn delete(
        &self,
        waits_on: &str,
        waiter: &str,
        task_token: &str,
    ) -> Result<bool, EmrflowError>;
}
