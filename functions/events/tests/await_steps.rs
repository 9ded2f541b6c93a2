//! await-steps over the in-memory store, a fake EMR and Step Functions callbacks that
//! remember which tasks still wait: the token is stored first, then one look answers at once
//! whatever ended before it, and nothing else.

mod common;

use common::{payload, running_cluster, waiter, FakeEmr, World, CLUSTER, TOKEN};
use emrflow_core::emr::{ClusterState, StepState};
use emrflow_core::ErrorName;
use emrflow_core::Handler;
use emrflow_events::waiter::{now_epoch_seconds, TOKEN_TTL_MARGIN_SECONDS};
use emrflow_events::{AwaitOutcome, Waiter};
use serde_json::{json, Value};

#[tokio::test]
async fn a_step_that_already_ended_is_answered_at_once() {
    // GIVEN step s-1 already COMPLETED (its event went to nobody), s-2 still running
    let world = World::new(
        running_cluster(&[("s-1", StepState::Completed), ("s-2", StepState::Running)]),
        &[TOKEN],
    );
    // WHEN await-steps runs for both
    let summary = world.wait("run-a", TOKEN, &["s-1", "s-2"]).await;
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
        let summary = world.wait("run-a", TOKEN, outstanding).await;
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
    let summary = world.wait("run-a", TOKEN, &[]).await;
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
    let summary = world.wait("run-a", TOKEN, &["s-1"]).await;
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
        (
            with("ExecutionName", json!("a b")),
            "the execution's name 'a b'",
        ),
        (
            with("Outstanding", json!(["s-1", "step-2"])),
            "Outstanding[1]",
        ),
        (with("Outstanding", json!("s-1")), "Outstanding"),
        (with("HeartbeatSeconds", json!(0)), "HeartbeatSeconds"),
        (with("Extra", json!(1)), "Extra"),
        (json!(["s-1"]), "expected an object"),
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
