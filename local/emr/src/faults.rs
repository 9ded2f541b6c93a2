//! Fault injection, for tests of the code that calls EMR: throttling, lost responses, failing
//! bootstraps and steps, dying clusters.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use crate::error::EmrError;
use crate::state::Shared;

/// EMR's documented default API rate limit, per operation: a burst of 5 calls, refilled at 0.5
/// calls a second (the example the EMR Management Guide gives in "What are Amazon EMR Service
/// Quotas"). An account's own quotas, in Service Quotas, may differ by operation.
pub const EMR_DEFAULT_BURST: u32 = 5;
pub const EMR_DEFAULT_REFILL_PER_SECOND: f64 = 0.5;

/// Per-operation token bucket: `burst` tokens, refilled at `per_second`.
#[derive(Debug, Clone)]
struct TokenBucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    fn full(per_second: f64, burst: u32) -> Self {
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
    throttle_next: HashMap<String, u32>,
    rate_limits: HashMap<String, TokenBucket>,
    /// (per_second, burst) of the bucket every other operation gets on its first call.
    every_operation_limit: Option<(f64, u32)>,
    lose_next: HashMap<String, u32>,
    pub fail_next_bootstraps: Vec<String>,
    pub failing_step_names: Vec<String>,
    drop_events: u32,
    duplicate_events: u32,
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

/// Handle to inject faults; cheap to clone, shared with the running server.
#[derive(Clone)]
pub struct Faults {
    pub(crate) shared: Arc<Shared>,
}

impl Faults {
    /// The next `calls` calls of `operation` (e.g. "DescribeCluster") fail with
    /// ThrottlingException ("Rate exceeded") without being applied. Note that the AWS SDKs
    /// retry throttling errors (aws-sdk-emr: 3 attempts by default).
    pub fn throttle_next(&self, operation: &str, calls: u32) {
        self.shared.with_inner(|inner| {
            *inner
                .faults
                .throttle_next
                .entry(operation.into())
                .or_default() += calls
        });
    }

    /// A token bucket for `operation`: at most `burst` calls at once, refilled at
    /// `per_second`; a call without a token fails with ThrottlingException, as EMR's API
    /// rate limits do (the numbers are yours to choose: AWS's own quotas vary).
    pub fn rate_limit(&self, operation: &str, per_second: f64, burst: u32) {
        let bucket = TokenBucket::full(per_second, burst);
        self.shared
            .with_inner(|inner| inner.faults.rate_limits.insert(operation.into(), bucket));
    }

    /// A token bucket of its own for every operation (one set with [`Faults::rate_limit`]
    /// keeps its own numbers).
    pub fn rate_limit_every_operation(&self, per_second: f64, burst: u32) {
        self.shared.with_inner(|inner| {
            inner.faults.every_operation_limit = Some((per_second, burst));
        });
    }

    /// Every operation throttled as EMR does by default ([`EMR_DEFAULT_BURST`] calls at once,
    /// refilled at [`EMR_DEFAULT_REFILL_PER_SECOND`]): to see a workflow live with it.
    pub fn rate_limit_like_emr(&self) {
        self.rate_limit_every_operation(EMR_DEFAULT_REFILL_PER_SECOND, EMR_DEFAULT_BURST);
    }

    /// The next call of `operation` is applied (a cluster is created, steps are added…)
    /// but its response is lost: the client gets HTTP 500 InternalServerError, a transient
    /// failure it may retry. Proves the caller is idempotent.
    pub fn lose_next_response(&self, operation: &str) {
        self.lose_next_responses(operation, 1);
    }

    /// As [`Faults::lose_next_response`], for the next `calls` calls.
    pub fn lose_next_responses(&self, operation: &str, calls: u32) {
        self.shared.with_inner(|inner| {
            *inner.faults.lose_next.entry(operation.into()).or_default() += calls
        });
    }

    /// The next cluster to bootstrap fails: BOOTSTRAP_FAILURE, TERMINATED_WITH_ERRORS.
    pub fn fail_next_bootstrap(&self) {
        self.shared.with_inner(|inner| {
            inner
                .faults
                .fail_next_bootstraps
                .push("bootstrap action 1 returned a non-zero return code (injected fault)".into())
        });
    }

    /// Every step whose name contains `name_fragment` fails (exit code 1, FailureDetails
    /// filled, stderr saying the failure was injected) instead of running, until [`Faults::clear`].
    pub fn fail_steps_named(&self, name_fragment: &str) {
        self.shared
            .with_inner(|inner| inner.faults.failing_step_names.push(name_fragment.into()));
    }

    /// The cluster dies now, whatever its termination protection: its running steps are
    /// INTERRUPTED, pending ones CANCELLED, and it ends TERMINATED_WITH_ERRORS with the
    /// given reason code (e.g. "INSTANCE_FAILURE") and message.
    pub fn kill_cluster(
        &self,
        cluster_id: &str,
        code: &str,
        message: &str,
    ) -> Result<(), EmrError> {
        self.shared.kill_cluster(cluster_id, code, message)
    }

    /// The next `events` EMR events are lost: no subscriber gets them (EventBridge's
    /// delivery is best effort).
    pub fn drop_next_events(&self, events: u32) {
        self.shared
            .with_inner(|inner| inner.faults.drop_events += events);
    }

    /// The next EMR event is delivered twice, with the same id (EventBridge delivers at
    /// least once).
    pub fn duplicate_next_event(&self) {
        self.shared
            .with_inner(|inner| inner.faults.duplicate_events += 1);
    }

    /// The endpoint plays dead, as one stopped by SIGSTOP: every EMR request waits,
    /// unanswered, until [`Faults::release`] (the admin routes keep answering). Clusters and
    /// their steps go on meanwhile.
    pub fn hang(&self) {
        self.shared.hung.send_replace(true);
    }

    /// Ends [`Faults::hang`]: the waiting requests are answered, in no particular order.
    pub fn release(&self) {
        self.shared.hung.send_replace(false);
    }

    /// Removes every pending fault (throttles, rate limits, lost responses, failures) and
    /// releases a hang.
    pub fn clear(&self) {
        self.shared
            .with_inner(|inner| inner.faults = FaultState::default());
        self.release();
    }
}
