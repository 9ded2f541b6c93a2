//! What the records' JSON shares (state change reasons, timelines, EMR's epoch-second
//! timestamps) and their ids, made as EMR makes them.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// A state change's reason: EMR's `StateChangeReason` of a cluster or step.
#[derive(Debug, Clone)]
pub(crate) struct StateChange {
    pub code: String,
    pub message: String,
}

pub(crate) fn state_change_json(change: Option<&StateChange>) -> Value {
    match change {
        Some(change) => json!({ "Code": change.code, "Message": change.message }),
        None => json!({}),
    }
}

/// `{"CreationDateTime": …}` plus each of `later` that happened.
pub(crate) fn timeline_json(
    created: DateTime<Utc>,
    later: &[(&str, Option<DateTime<Utc>>)],
) -> Value {
    let mut timeline = json!({ "CreationDateTime": epoch(created) });
    for (key, time) in later {
        if let Some(time) = time {
            timeline[*key] = json!(epoch(*time));
        }
    }
    timeline
}

/// EMR's JSON protocol sends timestamps as epoch seconds (a JSON number).
pub(crate) fn epoch(time: DateTime<Utc>) -> f64 {
    time.timestamp_millis() as f64 / 1000.0
}

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn random_id(prefix: &str, length: usize) -> String {
    let suffix: String = (0..length)
        .map(|_| char::from(ID_ALPHABET[fastrand::usize(..ID_ALPHABET.len())]))
        .collect();
    format!("{prefix}{suffix}")
}

/// `j-` + 13 characters, like EMR's cluster ids.
pub(crate) fn new_cluster_id() -> String {
    random_id("j-", 13)
}

/// `ig-`/`if-` + 13 characters, like EMR's instance group and fleet ids.
pub(crate) fn new_instance_collection_id(prefix: &str) -> String {
    random_id(prefix, 13)
}

/// `s-` + 13 characters, like EMR's step ids.
pub(crate) fn new_step_id() -> String {
    random_id("s-", 13)
}

/// `ci-` + 13 characters, like EMR's instance ids.
pub(crate) fn new_instance_id() -> String {
    random_id("ci-", 13)
}

/// `i-` + 17 hexadecimal digits, like EC2's instance ids.
pub(crate) fn new_ec2_instance_id() -> String {
    const HEX: &[u8] = b"0123456789abcdef";
    let digits: String = (0..17)
        .map(|_| char::from(HEX[fastrand::usize(..HEX.len())]))
        .collect();
    format!("i-{digits}")
}
