//! emr-events over the same world: every early, late, duplicate, foreign or lost event is
//! harmless, and an event wakes exactly the executions it concerns.

mod common;

use common::{
    cluster_event, running_cluster, step_event, two_waiting_executions, waiter, FakeEmr, World,
    CLUSTER,
};
use emrflow_core::emr::StepState;
use emrflow_core::Handler;
use emrflow_core::{EmrflowError, ErrorName};
use emrflow_events::waiter::now_epoch_seconds;
use emrflow_events::{AwaitOutcome, CallbackError, TokenStore, Waiter};
use serde_json::json;

#[tokio::test]
async fn a_step_event_wakes_only_the_execution_waiting_for_that_step() {
    // GIVEN run-a waiting for s-A and run-b for s-B on the same cluster
    let world = two_waiting_executions().await;
    // WHEN s-A's COMPLETED event comes
    let summary = world.event(step_event(CLUSTER, "s-A", "COMPLETED")).await;
    // THEN run-a alone is woken, with the event's structured fields, and forgotten
    assert_eq!(summary.woken, ["run-a"]);
    assert_eq!(
        world.callbacks.sent(),
        [(
            "t-a".to_string(),
            json!({"WokenBy": "event", "DetailType": "EMR Step Status Change",
                   "ClusterId": CLUSTER, "StepId": "s-A", "State": "COMPLETED"})
        )]
    );
    assert_eq!(world.stored(), [("run-b".to_string(), "t-b".to_string())]);
    assert!(world.callbacks.still_waiting("t-b"));
}

#[tokio::test]
async fn a_duplicated_event_changes_nothing() {
    // GIVEN run-a woken by s-A's FAILED event
    let world = two_waiting_executions().await;
    let event = step_event(CLUSTER, "s-A", "FAILED");
    world.event(event.clone()).await;
    // WHEN EventBridge delivers it again
    let again = world.event(event).await;
    // THEN nobody is woken a second time and run-b still waits
    assert!(again.woken.is_empty() && again.already_ended.is_empty());
    assert_eq!(world.callbacks.sent().len(), 1);
    assert_eq!(world.stored(), [("run-b".to_string(), "t-b".to_string())]);
}

#[tokio::test]
async fn an_event_for_a_task_that_already_ended_is_harmless_and_forgets_it() {
    // GIVEN a stored waiter whose task has already ended (its heartbeat fell back to a check)
    let world = World::new(FakeEmr::default(), &[]);
    world
        .store
        .put(&waiter(CLUSTER, "run-a", "t-gone", &["s-A"]))
        .await
        .unwrap();
    // WHEN s-A's event comes THEN Step Functions' TaskDoesNotExist is no error, and the
    // record is deleted
    let summary = world.event(step_event(CLUSTER, "s-A", "CANCELLED")).await;
    assert_eq!(summary.already_ended, ["run-a"]);
    assert!(summary.woken.is_empty());
    assert!(world.stored().is_empty());
}

#[tokio::test]
async fn an_event_before_the_token_is_stored_is_harmless_and_the_check_catches_the_step() {
    // GIVEN s-A completes before run-a has stored its token
    let world = World::new(running_cluster(&[("s-A", StepState::Running)]), &["t-a"]);
    world.emr.set_step(CLUSTER, "s-A", StepState::Completed);
    // WHEN the event comes first
    let summary = world.event(step_event(CLUSTER, "s-A", "COMPLETED")).await;
    // THEN nothing happens (no waiter) ...
    assert_eq!(summary, Default::default());
    assert!(world.callbacks.sent().is_empty());
    // ... AND WHEN await-steps then stores the token THEN its check answers at once
    let summary = world.wait("run-a", "t-a", &["s-A"]).await;
    assert_eq!(summary.outcome, AwaitOutcome::Answered);
    assert!(!world.callbacks.still_waiting("t-a"));
}

#[tokio::test]
async fn a_cluster_event_wakes_every_execution_of_that_cluster_only() {
    // GIVEN run-a and run-b on the cluster, run-c on another cluster
    let world = two_waiting_executions().await;
    world
        .store
        .put(&waiter("j-OTHER", "run-c", "t-c", &["s-C"]))
        .await
        .unwrap();
    // WHEN the cluster's TERMINATED_WITH_ERRORS event comes
    let summary = world
        .event(cluster_event(CLUSTER, "TERMINATED_WITH_ERRORS"))
        .await;
    // THEN both of its executions are woken (StepId null), the other cluster's is not
    assert_eq!(summary.woken, ["run-a", "run-b"]);
    let (_, output) = &world.callbacks.sent()[0];
    assert_eq!(
        output,
        &json!({"WokenBy": "event", "DetailType": "EMR Cluster State Change",
                "ClusterId": CLUSTER, "StepId": null, "State": "TERMINATED_WITH_ERRORS"})
    );
    assert_eq!(world.stored(), [("run-c".to_string(), "t-c".to_string())]);
}

#[tokio::test]
async fn an_expired_waiter_is_ignored() {
    // GIVEN a record past its expiry that DynamoDB's TTL has not removed yet
    let world = World::new(FakeEmr::default(), &["t-old"]);
    let expired = Waiter {
        expires_at: now_epoch_seconds() - 1,
        ..waiter(CLUSTER, "run-old", "t-old", &["s-A"])
    };
    world.store.put(&expired).await.unwrap();
    // WHEN its step's event comes THEN it is not woken
    let summary = world.event(step_event(CLUSTER, "s-A", "COMPLETED")).await;
    assert!(summary.woken.is_empty() && world.callbacks.sent().is_empty());
}

#[tokio::test]
async fn events_of_states_that_end_nothing_are_ignored() {
    // GIVEN run-a and run-b waiting
    let world = two_waiting_executions().await;
    let mut other_type = step_event(CLUSTER, "s-A", "COMPLETED");
    other_type["detail-type"] = json!("EMR Instance Group State Change");
    let mut other_source = step_event(CLUSTER, "s-A", "COMPLETED");
    other_source["source"] = json!("aws.ec2");
    for event in [
        step_event(CLUSTER, "s-A", "RUNNING"),
        step_event(CLUSTER, "s-A", "PENDING"),
        step_event(CLUSTER, "s-A", "HIBERNATING"),
        cluster_event(CLUSTER, "WAITING"),
        cluster_event(CLUSTER, "RUNNING"),
        other_type,
        other_source,
    ] {
        // WHEN such an event comes THEN it is ignored, saying why, and wakes nobody
        let summary = world.event(event.clone()).await;
        assert!(summary.ignored.is_some(), "{event}");
        assert!(summary.woken.is_empty());
    }
    assert!(world.callbacks.sent().is_empty());
    assert_eq!(world.stored().len(), 2);
}

#[tokio::test]
async fn a_failed_wake_is_an_error_after_the_others_are_woken() {
    // GIVEN run-a's callback throttled, run-b's fine
    let world = two_waiting_executions().await;
    let throttled = EmrflowError::new(ErrorName::EmrThrottled, "SendTaskSuccess: Rate exceeded");
    world
        .callbacks
        .fail_for("t-a", CallbackError::Failed(throttled));
    // WHEN the cluster's TERMINATED event comes
    let error = world
        .emr_events()
        .handle(cluster_event(CLUSTER, "TERMINATED"))
        .await
        .unwrap_err();
    // THEN run-b is woken, the error is retryable, and run-a's record stays for the retry
    assert_eq!(error.name(), ErrorName::EmrThrottled);
    assert!(error.message().contains("run-a"), "{error}");
    assert!(!world.callbacks.still_waiting("t-b"));
    assert_eq!(world.stored(), [("run-a".to_string(), "t-a".to_string())]);
}

#[tokio::test]
async fn a_malformed_emr_event_is_invalid_input_naming_the_key() {
    let world = World::new(FakeEmr::default(), &[]);
    let mut no_cluster = step_event(CLUSTER, "s-A", "COMPLETED");
    no_cluster["detail"]
        .as_object_mut()
        .unwrap()
        .remove("clusterId");
    let mut no_step = step_event(CLUSTER, "s-A", "COMPLETED");
    no_step["detail"].as_object_mut().unwrap().remove("stepId");
    let mut no_type = step_event(CLUSTER, "s-A", "COMPLETED");
    no_type.as_object_mut().unwrap().remove("detail-type");
    for (event, key) in [
        (no_cluster, "clusterId"),
        (no_step, "detail.stepId"),
        (no_type, "detail-type"),
        (
            step_event("cluster-1", "s-A", "COMPLETED"),
            "detail.clusterId",
        ),
    ] {
        // GIVEN an event missing or mangling `key` WHEN handled THEN InvalidInput naming it
        let error = world.emr_events().handle(event).await.unwrap_err();
        assert_eq!(error.name(), ErrorName::InvalidInput, "{error}");
        assert!(error.message().contains(key), "{key}: {error}");
    }
}
