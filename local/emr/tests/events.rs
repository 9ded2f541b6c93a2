//! The local EMR publishes EMR's EventBridge events when clusters and steps change state:
//! the states EMR documents, its severities and messages, EventBridge's envelope, in order,
//! to every subscriber; faults drop or repeat them.

mod common;

use std::time::Duration;

use aws_sdk_emr::types::{ActionOnFailure, JobFlowInstancesConfig};
use common::{http, shell_step, Harness, WAIT};
use emrflow_local_emr::LOCAL_ACCOUNT_ID;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;

/// Events until one matches `last` (included).
async fn events_until(
    events: &mut UnboundedReceiver<Value>,
    last: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout(WAIT, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no more events after {seen:#?}"))
            .expect("the local EMR is alive");
        let done = last(&event);
        seen.push(event);
        if done {
            return seen;
        }
    }
}

fn is_cluster(state: &'static str) -> impl Fn(&Value) -> bool {
    move |event| {
        event["detail-type"] == "EMR Cluster State Change" && event["detail"]["state"] == state
    }
}

/// (kind, state) of each event: `cluster WAITING`, `step RUNNING`.
fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|event| {
            let kind = match event["detail-type"].as_str() {
                Some("EMR Cluster State Change") => "cluster",
                Some("EMR Step Status Change") => "step",
                other => panic!("unexpected detail-type {other:?}"),
            };
            format!(
                "{kind} {}",
                event["detail"]["state"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn transient(
    request: aws_sdk_emr::operation::run_job_flow::builders::RunJobFlowFluentBuilder,
) -> aws_sdk_emr::operation::run_job_flow::builders::RunJobFlowFluentBuilder {
    request.instances(
        JobFlowInstancesConfig::builder()
            .keep_job_flow_alive_when_no_steps(false)
            .build(),
    )
}

#[tokio::test]
async fn given_subscribers_when_a_transient_cluster_runs_a_step_then_each_gets_emrs_events_in_order(
) {
    let harness = Harness::start().await;
    // GIVEN two subscribers
    let mut first = harness.emr().subscribe_events();
    let mut second = harness.emr().subscribe_events();
    // WHEN a cluster that ends after its steps runs one step
    let cluster_id = harness
        .run_cluster_with(
            "events",
            vec![shell_step("one", ActionOnFailure::Continue, "true")],
            transient,
        )
        .await;
    let events = events_until(&mut first, is_cluster("TERMINATED")).await;
    // THEN the documented states, in order, and the second subscriber saw the same
    assert_eq!(
        kinds(&events),
        [
            "cluster STARTING",
            "step PENDING",
            "step RUNNING",
            "cluster RUNNING",
            "step COMPLETED",
            "cluster TERMINATED"
        ]
    );
    assert_eq!(
        events_until(&mut second, is_cluster("TERMINATED")).await,
        events
    );
    // AND each is in EventBridge's envelope, ids all different
    for event in &events {
        assert_eq!(event["version"], "0");
        assert_eq!(event["source"], "aws.emr");
        assert_eq!(event["account"], LOCAL_ACCOUNT_ID);
        assert_eq!(event["region"], "us-east-1");
        assert_eq!(event["resources"], serde_json::json!([]));
        let time = event["time"].as_str().expect("time");
        assert!(
            chrono::DateTime::parse_from_rfc3339(time).is_ok() && time.ends_with('Z'),
            "{time}"
        );
    }
    let ids: std::collections::HashSet<&str> =
        events.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids.len(), events.len());
    // AND the details are EMR's: a step's, then the cluster's end with its reason as JSON text
    let completed = &events[4]["detail"];
    let step_id = completed["stepId"].as_str().expect("step id");
    assert_eq!(completed["severity"], "INFO");
    assert_eq!(completed["actionOnFailure"], "CONTINUE");
    assert_eq!(completed["name"], "one");
    assert_eq!(completed["clusterId"], cluster_id.as_str());
    let message = completed["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!(
            "Step {step_id} (one) in Amazon EMR cluster {cluster_id} (events) completed execution at "
        )) && message.ends_with("minutes to complete."),
        "{message}"
    );
    let terminated = &events[5]["detail"];
    assert_eq!(terminated["severity"], "INFO");
    assert_eq!(terminated["name"], "events");
    let reason: Value = serde_json::from_str(
        terminated["stateChangeReason"]
            .as_str()
            .expect("a JSON text"),
    )
    .expect("JSON");
    assert_eq!(
        reason,
        serde_json::json!({"code": "ALL_STEPS_COMPLETED", "message": "Steps completed"})
    );
    let message = terminated["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!(
            "Amazon EMR Cluster {cluster_id} (events) has terminated at "
        )) && message.ends_with(" with a reason of ALL_STEPS_COMPLETED."),
        "{message}"
    );
}

#[tokio::test]
async fn given_failing_cancelled_and_interrupted_steps_when_the_cluster_dies_then_only_emrs_states_are_sent(
) {
    let harness = Harness::start().await;
    let mut events = harness.emr().subscribe_events();
    let cluster_id = harness.run_cluster("dies", vec![]).await;
    let waiting = events_until(&mut events, is_cluster("WAITING")).await;
    assert_eq!(kinds(&waiting), ["cluster STARTING", "cluster WAITING"]);
    assert!(waiting[1]["detail"]["message"]
        .as_str()
        .unwrap_or_default()
        .ends_with("and is ready for use."));
    // WHEN a step fails, one runs, one waits, one is cancelled while running, and the
    // cluster is killed
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![
                shell_step("fails", ActionOnFailure::Continue, "exit 1"),
                shell_step("cancelled", ActionOnFailure::Continue, "sleep 30"),
                shell_step("interrupted", ActionOnFailure::Continue, "sleep 30"),
                shell_step("never", ActionOnFailure::Continue, "true"),
            ],
        )
        .await;
    let is_step = |state: &'static str, id: String| {
        move |event: &Value| {
            event["detail"]["state"] == state && event["detail"]["stepId"] == id.as_str()
        }
    };
    let mut seen = events_until(&mut events, is_step("RUNNING", ids[1].clone())).await;
    harness
        .client
        .cancel_steps()
        .cluster_id(&cluster_id)
        .step_ids(&ids[1])
        .send()
        .await
        .expect("CancelSteps");
    seen.extend(events_until(&mut events, is_step("RUNNING", ids[2].clone())).await);
    harness
        .emr()
        .faults()
        .kill_cluster(&cluster_id, "INSTANCE_FAILURE", "Master instance failed")
        .expect("kill");
    seen.extend(events_until(&mut events, is_cluster("TERMINATED_WITH_ERRORS")).await);
    // THEN FAILED (ERROR), CANCEL_PENDING and CANCELLED (WARN), the pending one CANCELLED,
    // nothing for INTERRUPTED, and the cluster's end CRITICAL
    let of = |id: &str| -> Vec<String> {
        seen.iter()
            .filter(|e| e["detail"]["stepId"] == id)
            .map(|e| {
                format!(
                    "{} {}",
                    e["detail"]["state"].as_str().unwrap_or_default(),
                    e["detail"]["severity"].as_str().unwrap_or_default()
                )
            })
            .collect()
    };
    assert_eq!(
        of(&ids[0]),
        ["PENDING INFO", "RUNNING INFO", "FAILED ERROR"]
    );
    assert_eq!(
        of(&ids[1]),
        [
            "PENDING INFO",
            "RUNNING INFO",
            "CANCEL_PENDING WARN",
            "CANCELLED WARN"
        ]
    );
    assert_eq!(of(&ids[2]), ["PENDING INFO", "RUNNING INFO"]);
    assert_eq!(of(&ids[3]), ["PENDING INFO", "CANCELLED WARN"]);
    let end = &seen[seen.len() - 1]["detail"];
    assert_eq!(end["severity"], "CRITICAL");
    assert!(end["message"]
        .as_str()
        .unwrap_or_default()
        .ends_with("with a reason of INSTANCE_FAILURE."));
}

#[tokio::test]
async fn given_event_faults_when_events_are_sent_then_the_next_are_dropped_or_repeated() {
    let harness = Harness::start().await;
    let mut events = harness.emr().subscribe_events();
    // GIVEN the next two events dropped (through the Rust API)
    harness.emr().faults().drop_next_events(2);
    // WHEN a cluster with a step is created THEN STARTING and PENDING never arrive
    let first = harness
        .run_cluster_with(
            "dropped",
            vec![shell_step("one", ActionOnFailure::Continue, "true")],
            transient,
        )
        .await;
    let seen = events_until(&mut events, is_cluster("TERMINATED")).await;
    assert_eq!(
        kinds(&seen),
        [
            "step RUNNING",
            "cluster RUNNING",
            "step COMPLETED",
            "cluster TERMINATED"
        ]
    );
    assert!(seen
        .iter()
        .all(|e| e["detail"]["clusterId"] == first.as_str()));
    // GIVEN the next event delivered twice (through the admin route)
    let posted = http(
        harness.server.addr,
        "POST",
        "/_emrflow/faults",
        r#"{"Fault":"DuplicateNextEvent"}"#,
    )
    .await;
    assert!(posted.starts_with("HTTP/1.1 200"), "{posted}");
    // WHEN the next cluster starts THEN its STARTING comes twice, the same event, then the rest once
    harness
        .run_cluster_with("repeated", vec![], transient)
        .await;
    let seen = events_until(&mut events, is_cluster("TERMINATED")).await;
    assert_eq!(
        kinds(&seen),
        ["cluster STARTING", "cluster STARTING", "cluster TERMINATED"]
    );
    assert_eq!(seen[0], seen[1]);
    // AND a drop posted on the admin route counts too
    let posted = http(
        harness.server.addr,
        "POST",
        "/_emrflow/faults",
        r#"{"Fault":"DropNextEvents","Count":1}"#,
    )
    .await;
    assert!(posted.starts_with("HTTP/1.1 200"), "{posted}");
    harness
        .run_cluster_with("dropped again", vec![], transient)
        .await;
    let seen = events_until(&mut events, is_cluster("TERMINATED")).await;
    assert_eq!(kinds(&seen), ["cluster TERMINATED"]);
    tokio::time::sleep(Duration::from_millis(1)).await;
}
