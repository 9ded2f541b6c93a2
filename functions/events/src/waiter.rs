//! A waiter: one execution waiting on its task token until one of its outstanding EMR steps,
//! or its cluster, ends — or until an object it waits for is created — and how long its
//! record is kept.

use std::time::{SystemTime, UNIX_EPOCH};

use emrflow_core::handlers::EVENT_HEARTBEAT_SECONDS;

/// The margin added to the Task's heartbeat interval before a waiter's record expires. It
/// covers the time between the Task's start (when its heartbeat clock starts) and the record
/// being written (Lambda's queueing, the SDK's own retries) and the difference between the
/// function's clock and DynamoDB's. A record that outlives its token costs nothing: a wake on
/// it answers TaskTimedOut, which is harmless.
pub const TOKEN_TTL_MARGIN_SECONDS: i64 = 15 * 60;

/// The heartbeat assumed when the state machine does not pass its HeartbeatSeconds: the
/// definition's (check-steps chooses the event wait only when nothing falls due sooner). A
/// record that expired too early would only delay its run until the heartbeat.
pub const DEFAULT_HEARTBEAT_SECONDS: u32 = EVENT_HEARTBEAT_SECONDS;

/// One execution waiting on one cluster (or one object). At most one per execution and
/// cluster (or object): a newer wait of the same execution replaces the older one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiter {
    /// What it waits on, the table's partition key: the cluster id (`j-…`) of a step wait,
    /// or the object (`s3://bucket/key`) of a data wait.
    pub waits_on: String,
    /// The execution name.
    pub waiter: String,
    pub task_token: String,
    /// The execution's PENDING / RUNNING steps: only their events wake it.
    pub step_ids: Vec<String>,
    /// Epoch seconds; from then on the record is ignored (and DynamoDB's TTL deletes it,
    /// lazily, which is why readers must check).
    pub expires_at: i64,
}

impl Waiter {
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at <= now
    }

    /// Whether an event about `step_id` concerns this execution.
    pub fn waits_for_step(&self, step_id: &str) -> bool {
        self.step_ids.iter().any(|id| id == step_id)
    }
}

/// When a record written `now` for a Task with this heartbeat interval (if the state machine
/// passes it) may be forgotten.
pub fn expires_at(now: i64, heartbeat_seconds: Option<u32>) -> i64 {
    let heartbeat = heartbeat_seconds.unwrap_or(DEFAULT_HEARTBEAT_SECONDS);
    now + i64::from(heartbeat) + TOKEN_TTL_MARGIN_SECONDS
}

/// The wall clock in epoch seconds, the unit of DynamoDB's TTL attribute.
pub fn now_epoch_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_outlives_the_heartbeat_by_the_margin() {
        // GIVEN a Task with a 600 s heartbeat, and one that does not say WHEN the expiry is
        // computed THEN heartbeat plus margin, the definition's hour when not said
        assert_eq!(expires_at(1_000, Some(600)), 1_000 + 600 + 900);
        assert_eq!(expires_at(1_000, None), 1_000 + 3_600 + 900);
    }

    #[test]
    fn a_record_is_expired_from_its_expiry_on() {
        // GIVEN a waiter expiring at 100 WHEN asked at 99, 100, 101 THEN live, expired, expired
        let waiter = Waiter {
            waits_on: "j-1".into(),
            waiter: "run-1".into(),
            task_token: "t".into(),
            step_ids: vec!["s-A".into()],
            expires_at: 100,
        };
        assert!(!waiter.is_expired(99));
        assert!(waiter.is_expired(100) && waiter.is_expired(101));
        assert!(waiter.waits_for_step("s-A") && !waiter.waits_for_step("s-B"));
    }
}
