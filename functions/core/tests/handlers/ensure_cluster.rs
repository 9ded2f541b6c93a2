//! ensure-cluster: create once (tags, lost responses, a terminating first cluster), reuse a usable cluster.

use crate::common::*;
use crate::*;

#[tokio::test]
async fn ensure_cluster_creates_a_tagged_cluster() {
    // GIVEN no cluster
    let fake = FakeEmr::new();
    let handlers = handlers(&fake);
    // WHEN ensure-cluster creates one
    let out = ensure_created(&handlers).await;
    // THEN one RunJobFlow with the execution's name and tags, and the answer describes it
    let launches = fake.state().launches.clone();
    assert_eq!(launches.len(), 1);
    assert_eq!(launches[0].name, format!("emrflow-daily-etl-{EXECUTION}"));
    assert_eq!(
        launches[0]
            .tags
            .get("emrflow:execution")
            .map(String::as_str),
        Some(EXECUTION)
    );
    assert_eq!(
        launches[0].tags.get("emrflow:pipeline").map(String::as_str),
        Some("daily-etl")
    );
    assert_eq!(
        launches[0].tags.get("team").map(String::as_str),
        Some("data")
    );
    assert_eq!(out["Created"], true);
    assert_eq!(out["State"], "STARTING");
    assert_eq!(out["ClusterName"], format!("emrflow-daily-etl-{EXECUTION}"));
    assert_eq!(out["LogUri"], "s3://my-bucket/emr-logs/daily-etl/");
    assert_eq!(
        out["ClusterId"],
        json!(fake.state().clusters[0].description.id)
    );
}

#[tokio::test]
async fn ensure_cluster_after_lost_run_job_flow_response_returns_the_same_cluster() {
    // GIVEN RunJobFlow succeeds but its response is lost
    let fake = FakeEmr::new();
    let handlers = handlers(&fake);
    fake.lose_next_response_of("RunJobFlow");
    let attempt = |retry_count: u32| json!({"CreateCluster": true, "Execution": execution(), "RetryCount": retry_count, "RedriveCount": 0});
    let first = handlers.invoke(Function::EnsureCluster, attempt(0)).await;
    assert_eq!(first.unwrap_err().name(), ErrorName::AwsTransient);
    // (the first try looks for nothing: nothing of this execution can exist yet)
    assert_eq!(fake.calls(), ["RunJobFlow"]);
    // WHEN the state machine retries
    let second = handlers
        .invoke(Function::EnsureCluster, attempt(1))
        .await
        .unwrap();
    // THEN the cluster of the first attempt is returned and there is still only one
    assert_eq!(fake.state().clusters.len(), 1);
    assert_eq!(
        second["ClusterId"],
        json!(fake.state().clusters[0].description.id)
    );
    assert_eq!(second["Created"], true);
    assert_eq!(fake.mutating_calls(), ["RunJobFlow"]);
}

#[tokio::test]
async fn ensure_cluster_ignores_a_same_named_cluster_without_our_tag() {
    // GIVEN a cluster with our name but another execution's tag
    let fake = FakeEmr::new();
    fake.add_cluster("j-OTHER1", "WAITING");
    fake.update_cluster("j-OTHER1", |c| {
        c.name = format!("emrflow-daily-etl-{EXECUTION}");
        c.tags = tags_of(&[
            ("emrflow:execution", "someone-else"),
            ("emrflow:pipeline", "daily-etl"),
        ]);
    });
    let handlers = handlers(&fake);
    // WHEN ensure-cluster runs
    let out = ensure_created(&handlers).await;
    // THEN it creates its own
    assert_ne!(out["ClusterId"], "j-OTHER1");
    assert_eq!(fake.mutating_calls(), ["RunJobFlow"]);
}

#[tokio::test]
async fn ensure_cluster_reuses_a_waiting_cluster() {
    // GIVEN a WAITING cluster
    let fake = FakeEmr::new();
    fake.add_cluster("j-REUSE1", "WAITING");
    fake.update_cluster("j-REUSE1", |c| c.termination_protected = true);
    let handlers = handlers(&fake);
    // WHEN it is reused
    let out = reuse(&handlers, "j-REUSE1").await.unwrap();
    // THEN it is returned as is and nothing is created
    assert_eq!(out["ClusterId"], "j-REUSE1");
    assert_eq!(out["Created"], false);
    assert_eq!(out["State"], "WAITING");
    assert_eq!(out["LogUri"], "s3://logs/emr/");
    // AND its own protection setting is reported for cleanup to restore
    assert_eq!(out["TerminationProtected"], true);
    assert!(fake.mutating_calls().is_empty());
}

#[tokio::test]
async fn ensure_cluster_reuse_of_unknown_cluster_is_cluster_not_found() {
    // GIVEN no cluster j-NOPE
    let fake = FakeEmr::new();
    let handlers = handlers(&fake);
    // WHEN it is reused
    let error = reuse(&handlers, "j-NOPE").await.unwrap_err();
    // THEN ClusterNotFound naming it
    assert_eq!(error.name(), ErrorName::ClusterNotFound);
    assert!(error.to_string().contains("j-NOPE"), "{error}");
}

#[tokio::test]
async fn ensure_cluster_reuse_of_terminated_cluster_is_not_usable() {
    // GIVEN a cluster that terminated with errors
    let fake = FakeEmr::new();
    fake.add_cluster("j-DEAD1", "TERMINATED_WITH_ERRORS");
    fake.update_cluster("j-DEAD1", |c| {
        c.state_change_reason_code = Some("BOOTSTRAP_FAILURE".into());
        c.state_change_reason_message = Some("bootstrap action 1 failed".into());
    });
    let handlers = handlers(&fake);
    // WHEN it is reused
    let error = reuse(&handlers, "j-DEAD1").await.unwrap_err();
    // THEN ClusterNotUsable with its state and reason
    assert_eq!(error.name(), ErrorName::ClusterNotUsable);
    let message = error.to_string();
    assert!(
        message.contains("TERMINATED_WITH_ERRORS") && message.contains("BOOTSTRAP_FAILURE"),
        "{message}"
    );
    assert!(message.contains("bootstrap action 1 failed"), "{message}");
}

#[tokio::test]
async fn ensure_cluster_never_starts_a_second_cluster_while_its_first_is_terminating() {
    // GIVEN this execution's cluster exists but is TERMINATING
    let fake = FakeEmr::new();
    let (handlers, cluster_id) = created_cluster(&fake).await;
    fake.update_cluster(&cluster_id, |c| c.state = ClusterState::Terminating);
    // WHEN ensure-cluster runs again
    let error = handlers
        .invoke(
            Function::EnsureCluster,
            json!({"CreateCluster": true, "Execution": execution()}),
        )
        .await
        .unwrap_err();
    // THEN ClusterFailed and still one RunJobFlow
    assert_eq!(error.name(), ErrorName::ClusterFailed);
    assert!(error.to_string().contains(&cluster_id));
    assert_eq!(fake.mutating_calls(), ["RunJobFlow"]);
}

#[tokio::test]
async fn ensure_cluster_given_the_execution_start_also_finds_its_cluster_after_it_ended() {
    // GIVEN this execution's cluster was created, then failed its bootstrap during the back-off
    let fake = FakeEmr::new();
    let (handlers, cluster_id) = created_cluster(&fake).await;
    fake.update_cluster(&cluster_id, |c| {
        c.state = ClusterState::TerminatedWithErrors;
        c.state_change_reason_code = Some("BOOTSTRAP_FAILURE".into());
    });
    // WHEN the retried ensure-cluster runs with the execution's start time
    let error = handlers
        .invoke(
            Function::EnsureCluster,
            json!({"CreateCluster": true, "Execution": execution()}),
        )
        .await
        .unwrap_err();
    // THEN ClusterFailed with EMR's reason, and no second cluster
    assert_eq!(error.name(), ErrorName::ClusterFailed);
    assert!(error.to_string().contains("BOOTSTRAP_FAILURE"), "{error}");
    assert_eq!(fake.mutating_calls(), ["RunJobFlow"]);
}
