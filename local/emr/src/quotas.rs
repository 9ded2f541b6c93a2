//! EMR's API quotas as token buckets: each operation has a bucket of its own, and (EMR's
//! model) every call also takes a token from one bucket for the whole account. A call that
//! finds either bucket empty is throttled (ThrottlingException) and takes nothing.
//!
//! The sizes are EMR's Service Quotas defaults (`aws service-quotas
//! list-aws-default-service-quotas --service-code elasticmapreduce`, as published): see
//! [`operation_quota`] and [`ACCOUNT_QUOTA`]. An account's own quotas may be raised.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Instant;

/// A bucket's size: at most `burst` calls at once, refilled at `per_second` calls a second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    pub burst: u32,
    pub per_second: f64,
}

/// Every EMR operation together, per account and region: a burst of 25, refilled at 5/s.
pub const ACCOUNT_QUOTA: Quota = Quota {
    burst: 25,
    per_second: 5.0,
};

/// The uniform model's bucket, also the per-operation model's size for operations EMR's
/// quota list does not name: a burst of 5, refilled at 0.5/s — the example the EMR
/// Management Guide gives ("What are Amazon EMR Service Quotas", AddInstanceFleet).
pub const UNIFORM_QUOTA: Quota = Quota {
    burst: 5,
    per_second: 0.5,
};

/// EMR's default bucket for `operation`.
pub fn operation_quota(operation: &str) -> Quota {
    let (burst, per_second) = match operation {
        "AddJobFlowSteps" | "DescribeStep" | "ListSteps" | "RunJobFlow" | "TerminateJobFlows"
        | "CancelSteps" => (10, 0.5),
        "DescribeCluster" => (10, 1.0),
        "ListClusters" => (20, 0.5),
        "SetTerminationProtection" => (5, 0.2),
        "AddTags" => (5, 0.5),
        _ => return UNIFORM_QUOTA,
    };
    Quota { burst, per_second }
}

/// How `--throttle-like-emr` throttles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmrThrottling {
    /// EMR's model: each operation its own default bucket ([`operation_quota`]), and every
    /// call one token of the account's ([`ACCOUNT_QUOTA`]).
    #[default]
    PerOperation,
    /// Every operation a bucket of [`UNIFORM_QUOTA`], and no account bucket.
    Uniform,
}

impl EmrThrottling {
    pub const NAMES: [&'static str; 2] = ["per-operation", "uniform"];

    pub fn name(self) -> &'static str {
        match self {
            EmrThrottling::PerOperation => "per-operation",
            EmrThrottling::Uniform => "uniform",
        }
    }
}

impl FromStr for EmrThrottling {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "per-operation" => Ok(EmrThrottling::PerOperation),
            "uniform" => Ok(EmrThrottling::Uniform),
            other => Err(format!(
                "'{other}' is not a throttling model: use {}",
                EmrThrottling::NAMES.join(" or ")
            )),
        }
    }
}

/// A token bucket.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    /// A full bucket of `quota`, refilled `speed` times as fast.
    pub fn full(quota: Quota, speed: f64, now: Instant) -> Self {
        TokenBucket {
            per_second: quota.per_second * speed,
            burst: f64::from(quota.burst),
            tokens: f64::from(quota.burst),
            refilled_at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.refilled_at = now;
    }

    fn has_token(&self) -> bool {
        self.tokens >= 1.0
    }

    /// Takes a token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        self.refill(now);
        let taken = self.has_token();
        if taken {
            self.tokens -= 1.0;
        }
        taken
    }
}

/// A bucket for every operation (made at its first call), and the account's bucket in EMR's
/// per-operation model.
#[derive(Debug)]
pub(crate) struct OperationBuckets {
    throttling: Option<EmrThrottling>,
    /// The uniform bucket's size when `throttling` is None (a size of the caller's choice).
    uniform: Quota,
    speed: f64,
    operations: HashMap<String, TokenBucket>,
    account: Option<TokenBucket>,
}

impl OperationBuckets {
    /// EMR's buckets, refilled as fast as a clock running at `time_scale` needs (a second of
    /// workflow time lasting `time_scale` seconds: 0.1 refills ten times as fast).
    pub fn like_emr(throttling: EmrThrottling, time_scale: f64, now: Instant) -> Self {
        let speed = 1.0 / time_scale;
        OperationBuckets {
            throttling: Some(throttling),
            uniform: UNIFORM_QUOTA,
            speed,
            operations: HashMap::new(),
            account: (throttling == EmrThrottling::PerOperation)
                .then(|| TokenBucket::full(ACCOUNT_QUOTA, speed, now)),
        }
    }

    /// A bucket of `quota` for every operation, no account bucket.
    pub fn uniform(quota: Quota) -> Self {
        OperationBuckets {
            throttling: None,
            uniform: quota,
            speed: 1.0,
            operations: HashMap::new(),
            account: None,
        }
    }

    fn quota_of(&self, operation: &str) -> Quota {
        match self.throttling {
            Some(EmrThrottling::PerOperation) => operation_quota(operation),
            Some(EmrThrottling::Uniform) => UNIFORM_QUOTA,
            None => self.uniform,
        }
    }

    /// Whether a call of `operation` gets through; `own` is a bucket set for this operation
    /// alone, used instead of the model's. A throttled call takes no token.
    pub fn admit(&mut self, operation: &str, own: Option<&mut TokenBucket>, now: Instant) -> bool {
        let quota = self.quota_of(operation);
        let speed = self.speed;
        let bucket = match own {
            Some(own) => own,
            None => self
                .operations
                .entry(operation.to_string())
                .or_insert_with(|| TokenBucket::full(quota, speed, now)),
        };
        bucket.refill(now);
        if let Some(account) = &mut self.account {
            account.refill(now);
            if !account.has_token() {
                return false;
            }
        }
        if !bucket.take(now) {
            return false;
        }
        if let Some(account) = &mut self.account {
            account.take(now);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// How many of `calls` calls of `operation` at `now` get through.
    fn admitted(buckets: &mut OperationBuckets, operation: &str, calls: u32, now: Instant) -> u32 {
        (0..calls)
            .filter(|_| buckets.admit(operation, None, now))
            .count() as u32
    }

    #[test]
    fn each_operation_bursts_as_emrs_default_quota_says() {
        // GIVEN EMR's per-operation model, and each operation alone on a fresh account
        for (operation, burst) in [
            ("AddJobFlowSteps", 10),
            ("DescribeStep", 10),
            ("ListSteps", 10),
            ("RunJobFlow", 10),
            ("TerminateJobFlows", 10),
            ("CancelSteps", 10),
            ("DescribeCluster", 10),
            ("ListClusters", 20),
            ("SetTerminationProtection", 5),
            ("AddTags", 5),
            ("ListInstances", 5),
        ] {
            let now = Instant::now();
            let mut buckets = OperationBuckets::like_emr(EmrThrottling::PerOperation, 1.0, now);
            // WHEN it is called 30 times at once THEN exactly its burst gets through
            assert_eq!(
                admitted(&mut buckets, operation, 30, now),
                burst,
                "{operation}"
            );
        }
    }

    #[test]
    fn each_operation_refills_at_its_own_rate() {
        // GIVEN DescribeCluster (1/s), ListSteps (0.5/s) and SetTerminationProtection (0.2/s)
        // with their bursts used up
        let start = Instant::now();
        let mut buckets = OperationBuckets::like_emr(EmrThrottling::PerOperation, 1.0, start);
        for operation in ["DescribeCluster", "ListSteps", "SetTerminationProtection"] {
            admitted(&mut buckets, operation, 20, start);
        }
        // WHEN ten seconds pass THEN each got back rate × 10 calls
        let later = start + Duration::from_secs(10);
        assert_eq!(admitted(&mut buckets, "DescribeCluster", 20, later), 10);
        assert_eq!(admitted(&mut buckets, "ListSteps", 20, later), 5);
        assert_eq!(
            admitted(&mut buckets, "SetTerminationProtection", 20, later),
            2
        );
    }

    #[test]
    fn the_account_bucket_holds_every_operation_together() {
        // GIVEN EMR's per-operation model
        let now = Instant::now();
        let mut buckets = OperationBuckets::like_emr(EmrThrottling::PerOperation, 1.0, now);
        // WHEN 20 ListClusters and 10 DescribeCluster come at once
        let listed = admitted(&mut buckets, "ListClusters", 20, now);
        let described = admitted(&mut buckets, "DescribeCluster", 10, now);
        // THEN the account's 25 got through: DescribeCluster was throttled with tokens of its own
        assert_eq!((listed, described), (20, 5));
        // AND a throttled call took no token of its own bucket: once the account refilled
        // (5/s), DescribeCluster has its other 5 left
        let later = now + Duration::from_secs(1);
        assert_eq!(admitted(&mut buckets, "DescribeCluster", 10, later), 5);
    }

    #[test]
    fn the_uniform_model_gives_every_operation_burst_5_and_no_account_bucket() {
        // GIVEN the uniform model
        let now = Instant::now();
        let mut buckets = OperationBuckets::like_emr(EmrThrottling::Uniform, 1.0, now);
        // WHEN six operations burst THEN five calls each get through, 30 in all
        for operation in [
            "ListClusters",
            "DescribeCluster",
            "ListSteps",
            "A",
            "B",
            "C",
        ] {
            assert_eq!(admitted(&mut buckets, operation, 10, now), 5, "{operation}");
        }
        // AND it refills at 0.5/s
        let later = now + Duration::from_secs(4);
        assert_eq!(admitted(&mut buckets, "ListClusters", 10, later), 2);
    }

    #[test]
    fn a_time_scale_refills_as_fast_as_its_clock_runs() {
        // GIVEN EMR's buckets for a clock ten times as fast, ListSteps used up
        let now = Instant::now();
        let mut buckets = OperationBuckets::like_emr(EmrThrottling::PerOperation, 0.1, now);
        admitted(&mut buckets, "ListSteps", 10, now);
        // WHEN one real second passes THEN ten seconds' worth came back (0.5/s × 10)
        let later = now + Duration::from_secs(1);
        assert_eq!(admitted(&mut buckets, "ListSteps", 10, later), 5);
    }

    #[test]
    fn an_operations_own_bucket_is_used_instead_of_the_models() {
        // GIVEN the per-operation model and a bucket of 2 set for ListClusters alone
        let now = Instant::now();
        let mut buckets = OperationBuckets::like_emr(EmrThrottling::PerOperation, 1.0, now);
        let mut own = TokenBucket::full(
            Quota {
                burst: 2,
                per_second: 0.01,
            },
            1.0,
            now,
        );
        // WHEN it is called 5 times THEN 2 pass
        let passed = (0..5)
            .filter(|_| buckets.admit("ListClusters", Some(&mut own), now))
            .count();
        assert_eq!(passed, 2);
    }

    #[test]
    fn the_models_are_named_as_the_cli_takes_them() {
        // GIVEN each model WHEN named and read back THEN the same; an unknown name is refused
        for throttling in [EmrThrottling::PerOperation, EmrThrottling::Uniform] {
            assert_eq!(throttling.name().parse(), Ok(throttling));
        }
        let refused = "fast".parse::<EmrThrottling>().expect_err("unknown");
        assert!(refused.contains("per-operation or uniform"), "{refused}");
    }
}
