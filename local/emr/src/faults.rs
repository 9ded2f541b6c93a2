//! Fault injection, for tests of the code that calls EMR: throttling, lost responses, failing
//! bootstraps and steps, dying clusters.

use std::sync::Arc;
use std::time::Instant;

use crate::error::EmrError;
use crate::fault_state::FaultState;
use crate::quotas::{EmrThrottling, OperationBuckets, Quota, TokenBucket};
use crate::state::Shared;

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

    /// A token bucket for `operation` alone: at most `burst` calls at once, refilled at
    /// `per_second`; a call without a token fails with ThrottlingException, as EMR's API
    /// rate limits do. It replaces the operation's bucket of the models below (EMR's account
    /// bucket still applies).
    pub fn rate_limit(&self, operation: &str, per_second: f64, burst: u32) {
        let bucket = TokenBucket::full(Quota { burst, per_second }, 1.0, Instant::now());
        self.shared
            .with_inner(|inner| inner.faults.rate_limits.insert(operation.into(), bucket));
    }

    /// A token bucket of its own for every operation, all of one size (one set with
    /// [`Faults::rate_limit`] keeps its own numbers).
    pub fn rate_limit_every_operation(&self, per_second: f64, burst: u32) {
        let buckets = OperationBuckets::uniform(Quota { burst, per_second });
        self.shared
            .with_inner(|inner| inner.faults.every_operation = Some(buckets));
    }

    /// Every operation throttled as EMR does by default: each operation its own bucket of
    /// EMR's default size, and all of them together the account's bucket
    /// ([`crate::quotas`]): to see a workflow live with EMR's quotas.
    pub fn rate_limit_like_emr(&self) {
        self.rate_limit_like_emr_with(EmrThrottling::PerOperation, 1.0);
    }

    /// Every operation a bucket of the same size, burst 5 refilled at 0.5 calls a second
    /// ([`crate::quotas::UNIFORM_QUOTA`]), and no account bucket: the simpler model.
    pub fn rate_limit_like_emr_uniformly(&self) {
        self.rate_limit_like_emr_with(EmrThrottling::Uniform, 1.0);
    }

    /// EMR's buckets in the model given, refilled as fast as a clock at `time_scale` needs
    /// (a second of workflow time lasting `time_scale` seconds, as `--time-scale`: 0.1
    /// refills ten times as fast).
    pub fn rate_limit_like_emr_with(&self, throttling: EmrThrottling, time_scale: f64) {
        let buckets = OperationBuckets::like_emr(throttling, time_scale, Instant::now());
        self.shared
            .with_inner(|inner| inner.faults.every_operation = Some(buckets));
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
