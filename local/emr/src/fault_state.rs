//! What is injected, as the shared state holds it: the faults each call, bootstrap, step and
//! event checks on its way ([`FaultState`]). Set through [`crate::Faults`].

use std::collections::HashMap;
use std::time::Instant;

use crate::error::EmrError;

/// Per-operation token bucket: `burst` tokens, refilled at `per_second`.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    pub fn full(per_second: f64, burst: u32) -> Self {
        TokenBucket {
            per_second,
            burst: f64::from(burst),
            tokens: f64::from(burst),
            refilled_at: Instant::now(),
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.duration_since(self.refilled_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct FaultState {
    pub throttle_next: HashMap<String, u32>,
    pub rate_limits: HashMap<String, TokenBucket>,
    /// (per_second, burst) of the bucket every other operation gets on its first call.
    pub every_operation_limit: Option<(f64, u32)>,
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
        if let Some((per_second, burst)) = self.every_operation_limit {
            self.rate_limits
                .entry(operation.to_string())
                .or_insert_with(|| TokenBucket::full(per_second, burst));
        }
        if let Some(bucket) = self.rate_limits.get_mut(operation) {
            if !bucket.take(Instant::now()) {
                return Err(EmrError::Throttling);
            }
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
