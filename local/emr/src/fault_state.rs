//! What is injected, as the shared state holds it: the faults each call, bootstrap, step and
//! event checks on its way ([`FaultState`]). Set through [`crate::Faults`].

use std::collections::HashMap;
use std::time::Instant;

use crate::error::EmrError;
use crate::quotas::{OperationBuckets, TokenBucket};

#[derive(Debug, Default)]
pub(crate) struct FaultState {
    pub throttle_next: HashMap<String, u32>,
    /// Buckets set for one operation each ([`crate::Faults::rate_limit`]).
    pub rate_limits: HashMap<String, TokenBucket>,
    /// Buckets for every operation: EMR's quotas, or a uniform size.
    pub every_operation: Option<OperationBuckets>,
    pub lose_next: HashMap<String, u32>,
    pub fail_next_bootstraps: Vec<String>,
    pub failing_step_names: Vec<String>,
    pub drop_events: u32,
    pub duplicate_events: u32,
}

impl FaultState {
    /// Called before an operation runs: a throttled call never reaches the handler.
    pub fn check_throttle(&mut self, operation: &str) -> Result<(), EmrError> {
        if let Some(remaining) = self.throttle_next.get_mut(operation) {
            if *remaining > 0 {
                *remaining -= 1;
                return Err(EmrError::Throttling);
            }
        }
        let now = Instant::now();
        let own = self.rate_limits.get_mut(operation);
        let admitted = match &mut self.every_operation {
            Some(buckets) => buckets.admit(operation, own, now),
            None => own.is_none_or(|bucket| bucket.take(now)),
        };
        if !admitted {
            return Err(EmrError::Throttling);
        }
        Ok(())
    }

    /// Called after an operation ran: whether its response is to be lost.
    pub fn take_lost_response(&mut self, operation: &str) -> bool {
        match self.lose_next.get_mut(operation) {
            Some(remaining) if *remaining > 0 => {
                *remaining -= 1;
                true
            }
            _ => false,
        }
    }

    /// How many times the next event is delivered: 0 (dropped), 2 (duplicated) or 1.
    pub fn event_deliveries(&mut self) -> usize {
        if self.drop_events > 0 {
            self.drop_events -= 1;
            0
        } else if self.duplicate_events > 0 {
            self.duplicate_events -= 1;
            2
        } else {
            1
        }
    }

    pub fn step_should_fail(&self, step_name: &str) -> bool {
        self.failing_step_names
            .iter()
            .any(|fragment| step_name.contains(fragment.as_str()))
    }
}
