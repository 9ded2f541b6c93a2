//! add-steps: compiled steps in order, never twice, within EMR's limits and the cluster's concurrency.

use crate::common::*;
use crate::*;

#[tokio::test]
async fn add_steps_submits_compiled_steps_in_order() {
    // GIVEN a created cluster
    let fake = FakeEmr::new();
    let (handlers, cluster_id) = created_cluster(&fake).await;
    // WHEN the steps are added
    let out = add_steps(&handlers, &cluster_id).await.unwrap();
    // THEN EMR holds the three steps, named with the execution, in spec order
    let cluster = fake.cluster(&cluster_id);
    let names: Vec<&str> = cluster.submitted.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("ingest [{EXECUTION}]"),
            format!("transform [{EXECUTION}]"),
            format!("export [{EXECUTION}]"),
        ]
    );
    assert_eq!(out["Added"], 3);
    assert_eq!(out["AlreadySubmitted"], 0);
    assert_eq!(
        cluster.submitted[2].hadoop_jar_step.jar,
        "s3://us-east-1.elasticmapreduce/libs/script-runner/script-runner.jar"
    );
    assert_eq!(
        cluster.submitted[0]
            .hadoop_jar_step
            .args
            .last()
            .map(String::as_str),
        Some("2026-11-21")
    );
}

#[tokio::test]
async fn add_steps_retry_after_lost_response_adds_nothing_twice() {
    // GIVEN AddJobFlowSteps succeeded but its response was lost
    let fake = FakeEmr::new();
    let (handlers, cluster_id) = created_cluster(&fake).await;
    fake.lose_next_response_of("AddJobFlowSteps");
    assert_eq!(
        add_steps(&handlers, &cluster_id).await.unwrap_err().name(),
        ErrorName::AwsTransient
    );
    // WHEN add-steps is retried
    let out = add_steps(&handlers, &cluster_id).await.unwrap();
    // THEN the first submission is found and EMR holds one copy of each step
    let cluster = fake.cluster(&cluster_id);
    assert_eq!(cluster.steps.len(), 3);
    assert_eq!(out["Added"], 0);
    assert_eq!(out["AlreadySubmitted"], 3);
    assert_eq!(fake.mutating_calls(), ["RunJobFlow", "AddJobFlowSteps"]);
}

#[tokio::test]
async fn add_steps_refuses_a_cluster_with_too_many_active_steps() {
    // GIVEN a reused cluster with 254 pending steps of other executions
    let fake = FakeEmr::new();
    fake.add_cluster("j-BUSY1", "RUNNING");
    {
        let mut state = fake.state();
        let cluster = &mut state.clusters[0];
        for i in 0..254 {
            cluster.steps.push(emrflow_core::emr::StepSummary {
                id: format!("s-OLD{i}"),
                name: format!("other [{i}]"),
                state: StepState::Pending,
                action_on_failure: None,
                created_at: None,
                started_at: None,
                ended_at: None,
                failure_details: None,
            });
        }
    }
    let handlers = handlers(&fake);
    // WHEN our three steps are added
    let error = add_steps(&handlers, "j-BUSY1").await.unwrap_err();
    // THEN the 256 limit stops it before AddJobFlowSteps
    assert_eq!(error.name(), ErrorName::ClusterNotUsable);
    assert!(error.to_string().contains("254"), "{error}");
    assert!(fake.mutating_calls().is_empty());
}

#[tokio::test]
async fn add_steps_uses_the_reused_clusters_real_concurrency() {
    // GIVEN a reused cluster running 4 steps at a time and a pipeline using CANCEL_AND_WAIT
    let fake = FakeEmr::new();
    fake.add_cluster("j-PARA1", "WAITING");
    fake.update_cluster("j-PARA1", |c| c.step_concurrency_level = 4);
    let handlers = handlers(&fake);
    // WHEN steps are added
    let error = add_steps(&handlers, "j-PARA1").await.unwrap_err();
    // THEN it is refused before any submission, naming the level
    assert_eq!(error.name(), ErrorName::InvalidInput);
    assert!(
        error.to_string().contains("StepConcurrencyLevel is 4"),
        "{error}"
    );
    assert!(fake.mutating_calls().is_empty());
}

#[tokio::test]
async fn add_steps_to_a_terminated_cluster_is_not_usable() {
    // GIVEN a terminated cluster
    let fake = FakeEmr::new();
    fake.add_cluster("j-GONE1", "TERMINATED");
    let handlers = handlers(&fake);
    // WHEN steps are added THEN ClusterNotUsable and nothing is submitted
    let error = add_steps(&handlers, "j-GONE1").await.unwrap_err();
    assert_eq!(error.name(), ErrorName::ClusterNotUsable);
    assert!(fake.mutating_calls().is_empty());
}

#[tokio::test]
async fn a_rerun_submits_only_the_steps_it_does_not_skip() {
    // GIVEN a created cluster and an execution re-running one whose ingest completed
    let fake = FakeEmr::new();
    let (handlers, cluster_id) = created_cluster(&fake).await;
    let input = json!({"ProcessingDate": "2026-11-21", "RerunOf": {
        "Execution": "daily-etl-2026-11-21", "Skip": [{"Name": "ingest", "StepId": "s-1AAA"}]}});
    // WHEN its steps are added
    let out = handlers
        .invoke(
            Function::AddSteps,
            json!({"ClusterId": cluster_id, "Execution": {"Input": input, "Name": EXECUTION,
                "StartTime": START}}),
        )
        .await
        .unwrap();
    // THEN transform and export go to EMR, ingest never
    let cluster = fake.cluster(&cluster_id);
    let names: Vec<&str> = cluster.submitted.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("transform [{EXECUTION}]"),
            format!("export [{EXECUTION}]")
        ]
    );
    assert_eq!(out["Added"], 2);
}
