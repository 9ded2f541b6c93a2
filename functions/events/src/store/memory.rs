//! The token store in memory: local mode (the runner wires the local EMR's events to the
//! same handlers) and tests.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use emrflow_core::EmrflowError;

use super::TokenStore;
use crate::waiter::now_epoch_seconds;
use crate::Waiter;

/// Waiters keyed like the table: (what they wait on, execution name). The std Mutex is never held
/// across an `.await` (no operation awaits), so it cannot block the runtime.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    waiters: Mutex<BTreeMap<(String, String), Waiter>>,
}

impl MemoryTokenStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every stored waiter, expired ones too (what a table scan would show), by cluster and
    /// execution name.
    pub fn all(&self) -> Vec<Waiter> {
        self.lock().values().cloned().collect()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<(String, String), Waiter>> {
        // A panic elsewhere cannot leave a half-written map: every change is one insert or
        // remove, so the data behind a poisoned lock is still whole.
        self.waiters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn put(&self, waiter: &Waiter) -> Result<(), EmrflowError> {
        let key = (waiter.waits_on.clone(), waiter.waiter.clone());
        self.lock().insert(key, waiter.clone());
        Ok(())
    }

    async fn waiters_of(&self, waits_on: &str) -> Result<Vec<Waiter>, EmrflowError> {
        let now = now_epoch_seconds();
        Ok(self
            .lock()
            .values()
            .filter(|waiter| waiter.waits_on == waits_on && !waiter.is_expired(now))
            .cloned()
            .collect())
    }

    async fn delete(
        &self,
        waits_on: &str,
        waiter: &str,
        task_token: &str,
    ) -> Result<bool, EmrflowError> {
        let mut waiters = self.lock();
        let key = (waits_on.to_string(), waiter.to_string());
        let holds_token = waiters
            .get(&key)
            .is_some_and(|stored| stored.task_token == task_token);
        if holds_token {
            waiters.remove(&key);
        }
        Ok(holds_token)
    }
}
