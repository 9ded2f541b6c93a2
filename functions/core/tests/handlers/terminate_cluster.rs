//! terminate-cluster: terminate once, refuse a protected cluster, find the execution's cluster.

use crate::common::*;
use crate::*;

fn terminate_payload(cluster_id: Value) -> Value {
    json!({"ClusterId": cluster_id, "ExecutionName": EXECUTION, "PipelineName": "daily-etl", "TerminateCluster": true})
}

#[tokio::test]
async fn terminate_cluster_terminates_then_is_idempotent() {
    // GIVEN a created, unprotected cluster
    let fake = FakeEmr::new();
    let handlers = handlers(&fake);
    let cluster_id = ensure_created(&handlers).await["ClusterId"].clone();
    // WHEN terminated twice
    let first = handlers
        .invoke(
            Function::TerminateCluster,
            terminate_payload(cluster_id.clone()),
        )
        .await
        .unwrap();
    let second = handlers
        .invoke(
            Function::TerminateCluster,
            terminate_payload(cluster_id.clone()),
        )
        .await
        .unwrap();
    // THEN one TerminateJobFlows; the second answer says it already was terminating
    assert_eq!(first["Terminated"], true);
    assert_eq!(first["State"], "TERMINATING");
    assert_eq!(second["Terminated"], true);
    assert!(
        second["Note"].as_str().unwrap().contains("already"),
        "{second}"
    );
    assert_eq!(fake.mutating_calls(), ["RunJobFlow", "TerminateJobFlows"]);
}

#[tokio::test]
async fn terminate_cluster_refuses_a_protected_cluster() {
    // GIVEN a protected cluster
    let fake = FakeEmr::new();
    fake.add_cluster("j-PROT1", "WAITING");
    fake.update_cluster("j-PROT1", |c| c.termination_protected = true);
    let handlers = handlers(&fake);
    // WHEN terminated THEN ClusterProtected, and TerminateJobFlows is never called
    let error = handlers
        .invoke(
            Function::TerminateCluster,
            terminate_payload(json!("j-PROT1")),
        )
        .await
        .unwrap_err();
    assert_eq!(error.name(), ErrorName::ClusterProtected);
    assert!(error.to_string().contains("j-PROT1"));
    assert!(fake.mutating_calls().is_empty());
}

#[tokio::test]
async fn terminate_cluster_with_null_id_finds_the_executions_cluster() {
    // GIVEN a cluster created by this execution whose id the state machine lost
    let fake = FakeEmr::new();
    let handlers = handlers(&fake);
    let cluster_id = ensure_created(&handlers).await["ClusterId"].clone();
    // WHEN terminate-cluster runs with ClusterId null
    let out = handlers
        .invoke(Function::TerminateCluster, terminate_payload(Value::Null))
        .await
        .unwrap();
    // THEN that cluster is terminated
    assert_eq!(out["ClusterId"], cluster_id);
    assert_eq!(out["Terminated"], true);
    assert_eq!(
        fake.cluster(cluster_id.as_str().unwrap()).description.state,
        "TERMINATING"
    );
}

#[tokio::test]
async fn terminate_cluster_with_null_id_and_no_cluster_reports_nothing_to_do() {
    // GIVEN no cluster for this execution
    let fake = FakeEmr::new();
    let handlers = handlers(&fake);
    // WHEN terminate-cluster runs with ClusterId null
    let out = handlers
        .invoke(Function::TerminateCluster, terminate_payload(Value::Null))
        .await
        .unwrap();
    // THEN nothing is terminated and the note says why
    assert_eq!(out["Terminated"], false);
    assert_eq!(out["ClusterId"], Value::Null);
    assert!(out["Note"]
        .as_str()
        .unwrap()
        .contains("nothing to terminate"));
    assert!(fake.mutating_calls().is_empty());
}

#[tokio::test]
async fn terminate_cluster_unknown_id_is_cluster_not_found() {
    // GIVEN no such cluster WHEN terminated THEN ClusterNotFound
    let fake = FakeEmr::new();
    let error = handlers(&fake)
        .invoke(
            Function::TerminateCluster,
            terminate_payload(json!("j-NOPE")),
        )
        .await
        .unwrap_err();
    assert_eq!(error.name(), ErrorName::ClusterNotFound);
}
