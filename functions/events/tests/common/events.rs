//! EMR's events as EventBridge delivers them.

use serde_json::{json, Value};

/// An EMR event as EventBridge delivers it (with the `message` text emrflow never reads).
pub fn step_event(cluster_id: &str, step_id: &str, state: &str) -> Value {
    json!({
        "version": "0",
        "id": "999cccaa-eaaa-0000-1111-123456789012",
        "detail-type": "EMR Step Status Change",
        "source": "aws.emr",
        "account": "123456789012",
        "time": "2026-11-22T06:40:12Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "severity": "INFO",
            "actionOnFailure": "CONTINUE",
            "stepId": step_id,
            "name": "curate",
            "clusterId": cluster_id,
            "state": state,
            "message": format!("Step {step_id} (curate) in Amazon EMR cluster {cluster_id} (emrflow) {state}.")
        }
    })
}

pub fn cluster_event(cluster_id: &str, state: &str) -> Value {
    json!({
        "version": "0",
        "id": "1234abb0-f87e-1234-b7b6-000000000000",
        "detail-type": "EMR Cluster State Change",
        "source": "aws.emr",
        "account": "123456789012",
        "time": "2026-11-22T06:41:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "severity": "INFO",
            "stateChangeReason": "{\"code\":\"USER_REQUEST\"}",
            "name": "emrflow",
            "clusterId": cluster_id,
            "state": state,
            "message": format!("Amazon EMR Cluster {cluster_id} (emrflow) is {state}.")
        }
    })
}
