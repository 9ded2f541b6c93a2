//! await-steps and emr-events over the in-memory store, a fake EMR and Step Functions
//! callbacks that remember which tasks still wait: every early, late, duplicate, foreign and
//! lost event is harmless, and an ended step is never missed.

mod common;

use std::sync::Arc;

use common::{cluster_event, step_event, waiter, FakeCallbacks, FakeEmr};
use emrflow_core::emr::{ClusterState, StepState};
use emrflow_core::{EmrflowError, ErrorName};
use emrflow_events::waiter::{now_epoch_seconds, TOKEN_TTL_MARGIN_SECONDS};
use emrflow_events::{
    AwaitOutcome, AwaitSteps, CallbackError, EmrEvents, MemoryTokenStore, TokenStore, Waiter,
};
use serde_json::{json, Value};

const CLUSTER: &str = "j-2AXXXXXXGAPLF";
const TOKEN: &str = "AQCEAAAAKgAAAAMAAAAAAAAAA-token-a";

struct World {
    emr: Arc<FakeEmr>,
    store: Arc<MemoryTokenStore>,
    callbacks: Arc<FakeCallbacks>,
}

impl World {
    fn new(emr: FakeEmr, waiting_tokens: &[&str]) -> World {
        World {
            emr: Arc::new(emr),
            store: Arc::new(MemoryTokenStore::new()),
            callbacks: Arc::new(FakeCallbacks::new(waiting_tokens)),
        }
    }

    fn await_steps(&self) -> AwaitSteps {
        AwaitSteps::new(self.emr.clone(), self.store.clone(), self.callbacks.clone())
    }

    fn emr_events(&self) -> EmrEvents {
        EmrEvents::new(self.store.clone(), self.callbacks.clone())
    }

    fn stored(&self) -> Vec<(String, String)> {
        self.store
            .all()
            .into_iter()
            .map(|w| (w.waiter, w.task_token))
            .collect()
    }
}

fn payload(execution: &str, token: &str, outstanding: &[&str]) -> Value {
    json!({"TaskToken": token, "ClusterId": CLUSTER, "ExecutionName": execution,
           "Outstanding": outstanding})
}

fn running_cluster(steps: &[(&str, StepState)]) -> FakeEmr {
    FakeEmr::with_cluster(CLUSTER, ClusterState::Running, steps)
}

#[tokio::test]
async fn a_step_that_already_ended_is_answered_at_once() {
    // GIVEN step s-1 already COMPLETED (its event went to nobody), s-2 still running
    let world = World::new(
        running_cluster(&[("s-1", StepState::Completed), ("s-2", StepState::Running)]),
        &[TOKEN],
    );
    // WHEN await-steps runs for both
    let summary = world
        .await_steps()
        .handle(payload("run-a", TOKEN, &["s-1", "s-2"]))
        .await
        .unwrap();
    // THEN its own task is answered with what the check saw, the waiter is gone, and
    // DescribeCluster was not needed
    assert_eq!(summary.outcome, AwaitOutcome::Answered);
    assert_eq!(
        world.callbacks.sent(),
        [(
            TOKEN.to_string(),
            json!({"WokenBy": "check", "Reason": "step s-1 (step s-1) is COMPLETED"})
        )]
    );
    assert!(world.stored().is_empty());
    assert_eq!(world.emr.calls(), ["ListSteps"]);
}

#[tokio::test]
async fn while_nothing_ended_the_waiter_is_stored_and_nothing_is_sent() {
    // GIVEN a pending and a running step on a running cluster
    let world = World::new(
        running_cluster(&[("s-1", StepState::Pending), ("s-2", StepState::Running)]),
        &[TOKEN],
    );
    let mut request = payload("run-a", TOKEN, &["s-1", "s-2"]);
    request["HeartbeatSeconds"] = json!(600);
    // WHEN await-steps runs
    let summary = world.await_steps().handle(request).await.unwrap();
    // THEN no callback; the waiter holds the token and the steps, and expires after the
    // heartbeat plus the margin
    assert_eq!(summary.outcome, AwaitOutcome::Waiting);
    assert_eq!(summary.reason, None);
    assert!(world.callbacks.sent().is_empty());
    let stored = world.store.all();
    assert_eq!(stored.len(), 1);
    let expected_expiry = now_epoch_seconds() + 600 + TOKEN_TTL_MARGIN_SECONDS;
    assert!((expected_expiry - 2..=expected_expiry).contains(&stored[0].expires_at));
    assert_eq!(
        stored[0],
        Waiter {
            expires_at: stored[0].expires_at,
            ..waiter(CLUSTER, "run-a", TOKEN, &["s-1", "s-2"])
        }
    );
    assert_eq!(world.emr.calls(), ["ListSteps", "DescribeCluster"]);
}

#[tokio::test]
async fn a_cluster_going_away_or_a_missing_step_answers_at_once() {
    for (cluster_state, outstanding, reason) in [
        (
            ClusterState::Terminating,
            &["s-1"][..],
            "cluster j-2AXXXXXXGAPLF is TERMINATING (USER_REQUEST)",
        ),
        (
            ClusterState::Running,
            &["s-1", "s-GONE"][..],
            "step s-GONE is not on cluster j-2AXXXXXXGAPLF",
        ),
        (
            ClusterState::TerminatedWithErrors,
            &[][..],
            "cluster j-2AXXXXXXGAPLF is TERMINATED_WITH_ERRORS (USER_REQUEST)",
        ),
    ] {
        // GIVEN a running step on a cluster in that state
        let world = World::new(
            FakeEmr::with_cluster(CLUSTER, cluster_state, &[("s-1", StepState::Running)]),
            &[TOKEN],
        );
        // WHEN await-steps runs
        let summary = world
            .await_steps()
            .handle(payload("run-a", TOKEN, outstanding))
            .await
            .unwrap();
        // THEN the task is answered at once, saying why
        assert_eq!(summary.reason.as_deref(), Some(reason));
        assert_eq!(
            world.callbacks.sent(),
            [(TOKEN.into(), json!({"WokenBy": "check", "Reason": reason}))]
        );
        assert!(world.stored().is_empty());
    }
}

#[tokio::test]
async fn with_no_outstanding_step_only_the_cluster_is_watched() {
    // GIVEN an execution with no active step (a retry falls due after the heartbeat) on a
    // running cluster
    let world = World::new(running_cluster(&[("s-1", StepState::Completed)]), &[TOKEN]);
    // WHEN await-steps runs
    let summary = world
        .await_steps()
        .handle(payload("run-a", TOKEN, &[]))
        .await
        .unwrap();
    // THEN it waits (no tight loop of looks): no steps listed, the cluster described, the
    // waiter stored for the cluster's events
    assert_eq!(summary.outcome, AwaitOutcome::Waiting);
    assert_eq!(world.emr.calls(), ["DescribeCluster"]);
    assert!(world.callbacks.sent().is_empty());
    assert_eq!(world.stored(), [("run-a".to_string(), TOKEN.to_string())]);
}

#[tokio::test]
async fn an_unknown_cluster_is_answered_at_once_so_that_the_check_names_the_error() {
    // GIVEN an EMR that does not know the cluster
    let world = World::new(FakeEmr::default(), &[TOKEN]);
    // WHEN await-steps runs THEN the task is answered, the reason quoting EMR
    let summary = world
        .await_steps()
        .handle(payload("run-a", TOKEN, &["s-1"]))
        .await
        .unwrap();
    assert_eq!(summary.outcome, AwaitOutcome::Answered);
    let reason = summary.reason.unwrap();
    assert!(
        reason.contains("Cluster id 'j-2AXXXXXXGAPLF' is not valid"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_throttled_check_is_a_retryable_error() {
    // GIVEN EMR throttling ListSteps
    let world = World::new(running_cluster(&[("s-1", StepState::Running)]), &[TOKEN]);
    world.emr.throttle("ListSteps");
    // WHEN await-steps runs THEN EmrThrottled (the Task's Retry runs it again with a new token)
    let error = world
        .await_steps()
        .handle(payload("run-a", TOKEN, &["s-1"]))
        .await
        .unwrap_err();
    assert_eq!(error.name(), ErrorName::EmrThrottled, "{error}");
    assert!(world.callbacks.sent().is_empty());
}

#[tokio::test]
async fn a_bad_payload_is_invalid_input_naming_the_key_and_changes_nothing() {
    let good = payload("run-a", TOKEN, &["s-1"]);
    let with = |key: &str, value: Value| {
        let mut bad = good.clone();
        bad[key] = value;
        bad
    };
    let mut without_token = good.clone();
    without_token.as_object_mut().unwrap().remove("TaskToken");
    for (bad, key) in [
        (without_token, "TaskToken"),
        (with("TaskToken", json!("")), "TaskToken"),
        (with("ClusterId", json!("cluster-1")), "ClusterId"),
        (with("ExecutionName", json!("a b")), "ExecutionName"),
        (
            with("Outstanding", json!(["s-1", "step-2"])),
            "Outstanding[1]",
        ),
        (with("Outstanding", json!("s-1")), "Outstanding"),
        (with("HeartbeatSeconds", json!(0)), "HeartbeatSeconds"),
        (with("Extra", json!(1)), "Extra"),
        (json!(["s-1"]), "must be a JSON object"),
    ] {
        // GIVEN a payload wrong at `key`
        let world = World::new(running_cluster(&[("s-1", StepState::Running)]), &[TOKEN]);
        // WHEN await-steps runs
        let error = world.await_steps().handle(bad).await.unwrap_err();
        // THEN InvalidInput naming it; nothing stored, EMR not called, nothing sent
        assert_eq!(error.name(), ErrorName::InvalidInput, "{error}");
        assert!(error.message().contains(key), "{key}: {error}");
        assert!(world.stored().is_empty() && world.emr.calls().is_empty());
        assert!(world.callbacks.sent().is_empty());
    }
}

/// Two executions waiting on one cluster, each for its own step.
async fn two_waiting_executions() -> World {
    let world = World::new(
        running_cluster(&[("s-A", StepState::Running), ("s-B", StepState::Running)]),
        &["t-a", "t-b"],
    );
    for (execution, token, step) in [("run-a", "t-a", "s-A"), ("run-b", "t-b", "s-B")] {
        let summary = world
            .await_steps()
            .handle(payload(execution, token, &[step]))
            .await
            .unwrap();
        assert_eq!(summary.outcome, AwaitOutcome::Waiting);
    }
    world
}

#[tokio::test]
async fn a_step_event_wakes_only_the_execution_waiting_for_that_step() {
    // GIVEN run-a waiting for s-A and run-b for s-B on the same cluster
    let world = two_waiting_executions().await;
    // WHEN s-A's COMPLETED event comes
    let summary = world
        .emr_events()
        .handle(step_event(CLUSTER, "s-A", "COMPLETED"))
        .await
        .unwrap();
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
    world.emr_events().handle(event.clone()).await.unwrap();
    // WHEN EventBridge delivers it again
    let again = world.emr_events().handle(event).await.unwrap();
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
    let summary = world
        .emr_events()
        .handle(step_event(CLUSTER, "s-A", "CANCELLED"))
        .await
        .unwrap();
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
    let summary = world
        .emr_events()
        .handle(step_event(CLUSTER, "s-A", "COMPLETED"))
        .await
        .unwrap();
    // THEN nothing happens (no waiter) ...
    assert_eq!(summary, Default::default());
    assert!(world.callbacks.sent().is_empty());
    // ... AND WHEN await-steps then stores the token THEN its check answers at once
    let summary = world
        .await_steps()
        .handle(payload("run-a", "t-a", &["s-A"]))
        .await
        .unwrap();
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
        .emr_events()
        .handle(cluster_event(CLUSTER, "TERMINATED_WITH_ERRORS"))
        .await
        .unwrap();
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
    let summary = world
        .emr_events()
        .handle(step_event(CLUSTER, "s-A", "COMPLETED"))
        .await
        .unwrap();
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
        let summary = world.emr_events().handle(event.clone()).await.unwrap();
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

#[tokio::test]
async fn the_in_memory_store_keeps_the_token_store_contract() {
    // GIVEN / WHEN / THEN: see check_token_store_contract
    common::check_token_store_contract(&MemoryTokenStore::new()).await;
}
