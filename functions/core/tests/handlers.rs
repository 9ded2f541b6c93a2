//! Handler logic over the in-memory EMR (GIVEN / WHEN / THEN).

mod common;

use common::*;
use emrflow_core::emr::{ClusterState, FailureDetails, StepState};
use emrflow_core::{ErrorName, Function};
use serde_json::{json, Value};

const EXECUTION: &str = "run-2026-11-21";
/// When the test execution started (the fake's steps were created after it).
const START: &str = "2026-11-22T00:30:00Z";

/// The execution a handler works for, as the state machine passes it.
fn execution_with(input: Value) -> Value {
    json!({"Input": input, "Name": EXECUTION, "StartTime": START})
}

fn execution() -> Value {
    execution_with(json!({"ProcessingDate": "2026-11-21"}))
}

/// The sample pipeline changed by `change`, given in the execution input.
fn execution_with_pipeline(change: impl FnOnce(&mut Value)) -> Value {
    let mut pipeline = sample_pipeline();
    change(&mut pipeline);
    execution_with(json!({"ProcessingDate": "2026-11-21", "Pipeline": pipeline}))
}

async fn ensure_created(handlers: &emrflow_core::Handlers) -> Value {
    handlers
        .invoke(
            Function::EnsureCluster,
            json!({"CreateCluster": true, "ClusterId": null, "Execution": execution()}),
        )
        .await
        .unwrap()
}

/// ensure-cluster asked to reuse `cluster_id`.
async fn reuse(
    handlers: &emrflow_core::Handlers,
    cluster_id: &str,
) -> Result<Value, emrflow_core::EmrflowError> {
    handlers
        .invoke(
            Function::EnsureCluster,
            json!({"CreateCluster": false, "ClusterId": cluster_id,
                   "Execution": execution_with(json!({"CreateCluster": false, "ClusterId": cluster_id}))}),
        )
        .await
}

async fn add_steps(
    handlers: &emrflow_core::Handlers,
    cluster_id: &str,
) -> Result<Value, emrflow_core::EmrflowError> {
    handlers
        .invoke(
            Function::AddSteps,
            json!({"ClusterId": cluster_id, "Execution": execution()}),
        )
        .await
}

async fn check(
    handlers: &emrflow_core::Handlers,
    cluster_id: &str,
) -> Result<Value, emrflow_core::EmrflowError> {
    check_with(handlers, cluster_id, execution()).await
}

async fn check_with(
    handlers: &emrflow_core::Handlers,
    cluster_id: &str,
    execution: Value,
) -> Result<Value, emrflow_core::EmrflowError> {
    handlers
        .invoke(
            Function::CheckSteps,
            json!({"ClusterId": cluster_id, "Execution": execution}),
        )
        .await
}

#[tokio::test]
async fn validate_input_applies_defaults_and_renders_placeholders() {
    // GIVEN an empty execution input and the default pipeline
    let fake = FakeEmr::new();
    let handlers = handlers(&fake);
    // WHEN validate-input runs
    let out = handlers
        .invoke(
            Function::ValidateInput,
            json!({"Input": {}, "ExecutionName": EXECUTION, "StartTime": "2026-11-22T23:30:00-02:00"}),
        )
        .await
        .unwrap();
    // THEN it creates and terminates, the date is the UTC day of StartTime, placeholders are rendered
    assert_eq!(out["CreateCluster"], true);
    assert_eq!(out["TerminateCluster"], true);
    assert_eq!(out["ClusterId"], Value::Null);
    assert_eq!(out["ProcessingDate"], "2026-11-23");
    assert_eq!(out["ExecutionName"], EXECUTION);
    assert_eq!(out["PipelineName"], "daily-etl");
    assert_eq!(out["Mode"], "LIST");
    assert_eq!(out["Steps"], 3);
    // AND the state keeps a summary and the pipeline's fingerprint, never the spec itself
    assert_eq!(out.get("Pipeline"), None);
    assert_eq!(out["PipelineDigest"].as_str().unwrap().len(), 64);
    let normalized = handlers
        .normalize(json!({}), EXECUTION, "2026-11-22T23:30:00-02:00")
        .unwrap();
    let pipeline = serde_json::to_value(&normalized.pipeline).unwrap();
    assert_eq!(
        pipeline["Steps"][0]["Args"],
        json!(["--date", "2026-11-23"])
    );
    assert_eq!(pipeline["Steps"][1]["Variables"]["day"], "20261123");
    assert_eq!(pipeline["Steps"][2]["Args"], json!([EXECUTION]));
    assert_eq!(
        pipeline["Cluster"]["LogUri"],
        "s3://my-bucket/emr-logs/daily-etl/"
    );
    // AND no EMR call was made
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn validate_input_reuse_defaults_to_not_terminating() {
    // GIVEN a reuse input without TerminateCluster
    let handlers = handlers(&FakeEmr::new());
    // WHEN validated
    let out = handlers
        .invoke(
            Function::ValidateInput,
            json!({"Input": {"CreateCluster": false, "ClusterId": "j-ABC123"}, "ExecutionName": EXECUTION, "StartTime": "2026-11-22T00:00:00Z"}),
        )
        .await
        .unwrap();
    // THEN the reused cluster is not terminated by default
    assert_eq!(out["TerminateCluster"], false);
    assert_eq!(out["ClusterId"], "j-ABC123");
}

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
async fn termination_protection_returns_the_previous_setting() {
    // GIVEN a reused cluster that is already protected by its owner
    let fake = FakeEmr::new();
    fake.add_cluster("j-OWNED1", "WAITING");
    fake.update_cluster("j-OWNED1", |c| c.termination_protected = true);
    let handlers = handlers(&fake);
    // WHEN protection is turned on
    let on = handlers
        .invoke(
            Function::TerminationProtection,
            json!({"ClusterId": "j-OWNED1", "Protected": true}),
        )
        .await
        .unwrap();
    // THEN the previous value (true) is reported, so cleanup can restore it
    assert_eq!(
        on,
        json!({"ClusterId": "j-OWNED1", "Protected": true, "Previous": true})
    );
    // AND WHEN it is turned off THEN the previous value is true and EMR holds false
    let off = handlers
        .invoke(
            Function::TerminationProtection,
            json!({"ClusterId": "j-OWNED1", "Protected": false}),
        )
        .await
        .unwrap();
    assert_eq!(off["Previous"], true);
    assert!(!fake.cluster("j-OWNED1").description.termination_protected);
    // AND turning it on again reports false as previous
    let again = handlers
        .invoke(
            Function::TerminationProtection,
            json!({"ClusterId": "j-OWNED1", "Protected": true}),
        )
        .await
        .unwrap();
    assert_eq!(again["Previous"], false);
    assert!(fake.cluster("j-OWNED1").description.termination_protected);
}

#[tokio::test]
async fn add_steps_submits_compiled_steps_in_order() {
    // GIVEN a created cluster
    let fake = FakeEmr::new();
    let handlers = handlers(&fake);
    let cluster_id = ensure_created(&handlers).await["ClusterId"]
        .as_str()
        .unwrap()
        .to_string();
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
    let handlers = handlers(&fake);
    let cluster_id = ensure_created(&handlers).await["ClusterId"]
        .as_str()
        .unwrap()
        .to_string();
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

async fn cluster_with_steps(
    fake: &std::sync::Arc<FakeEmr>,
) -> (emrflow_core::Handlers, String, Vec<String>) {
    let handlers = handlers(fake);
    let cluster_id = ensure_created(&handlers).await["ClusterId"]
        .as_str()
        .unwrap()
        .to_string();
    add_steps(&handlers, &cluster_id).await.unwrap();
    let ids: Vec<String> = fake
        .cluster(&cluster_id)
        .steps
        .iter()
        .map(|s| s.id.clone())
        .collect();
    (handlers, cluster_id, ids)
}

fn id(ids: &[String], index: usize) -> String {
    ids[index].clone()
}

#[tokio::test]
async fn check_steps_running_while_steps_pend_with_slower_polling_during_startup() {
    // GIVEN a STARTING cluster with pending steps
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    // WHEN checked
    let out = check(&handlers, &cluster_id).await.unwrap();
    // THEN RUNNING with every step outstanding, no report yet, and a longer wait while starting
    assert_eq!(out["Verdict"], "RUNNING");
    assert_eq!(out["ClusterState"], "STARTING");
    assert_eq!(out["NextCheckSeconds"], 120);
    assert_eq!(out["Outstanding"], json!(ids));
    assert_eq!(out["Running"], json!(["ingest", "transform", "export"]));
    assert_eq!(out["Progress"]["Running"], 3);
    assert_eq!(out.get("Steps"), None);
    // AND WHEN the cluster runs and the pipeline polls every 45 s THEN that is used as is
    fake.update_cluster(&cluster_id, |c| c.state = ClusterState::Running);
    let out = check_with(
        &handlers,
        &cluster_id,
        execution_with_pipeline(|p| p["PollIntervalSeconds"] = json!(45)),
    )
    .await
    .unwrap();
    assert_eq!(out["NextCheckSeconds"], 45);
}

#[tokio::test]
async fn check_steps_completed_when_every_step_completed() {
    // GIVEN all steps completed
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| c.state = ClusterState::Waiting);
    for i in 0..3 {
        fake.set_step(&cluster_id, &id(&ids, i), "COMPLETED", None);
    }
    // WHEN checked THEN COMPLETED, every step reported with its attempt, timeline and logs
    let out = check(&handlers, &cluster_id).await.unwrap();
    assert_eq!(out["Verdict"], "COMPLETED");
    let steps = out["Steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[2]["Name"], "export");
    assert_eq!(steps[2]["State"], "COMPLETED");
    assert_eq!(steps[2]["ActionOnFailure"], "TERMINATE_CLUSTER");
    let attempt = &steps[2]["Attempts"][0];
    assert_eq!(attempt["StepId"], id(&ids, 2));
    assert_eq!(attempt["EndedAt"], "2026-11-22T01:05:00Z");
    assert_eq!(attempt["FailureDetails"], Value::Null);
    assert_eq!(
        steps[1]["Attempts"][0]["LogLocation"],
        format!(
            "s3://my-bucket/emr-logs/daily-etl/{cluster_id}/steps/{}/",
            id(&ids, 1)
        )
    );
}

#[tokio::test]
async fn check_steps_failed_step_is_step_failed_with_failure_details() {
    // GIVEN step 2 failed (others cancelled by CANCEL_AND_WAIT)
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| c.state = ClusterState::Waiting);
    fake.set_step(&cluster_id, &id(&ids, 0), "COMPLETED", None);
    fake.set_step(
        &cluster_id,
        &id(&ids, 1),
        "FAILED",
        Some(FailureDetails {
            reason: Some("Unknown Error".into()),
            message: Some("hive exited with 1".into()),
            log_file: Some("s3://my-bucket/emr-logs/x/stderr.gz".into()),
        }),
    );
    fake.set_step(&cluster_id, &id(&ids, 2), "CANCELLED", None);
    // WHEN checked
    let error = check(&handlers, &cluster_id).await.unwrap_err();
    // THEN StepFailed naming cluster, step, details and what happened to the others
    assert_eq!(error.name(), ErrorName::StepFailed);
    let message = error.to_string();
    for expected in [
        cluster_id.as_str(),
        "transform [",
        &id(&ids, 1),
        "Unknown Error",
        "hive exited with 1",
        "s3://my-bucket/emr-logs/x/stderr.gz",
        "CANCELLED",
    ] {
        assert!(
            message.contains(expected),
            "{expected} missing in {message}"
        );
    }
}

#[tokio::test]
async fn check_steps_cancelled_step_is_step_cancelled() {
    // GIVEN a step cancelled by a person, the others completed
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| c.state = ClusterState::Waiting);
    fake.set_step(&cluster_id, &id(&ids, 0), "COMPLETED", None);
    fake.set_step(&cluster_id, &id(&ids, 1), "CANCELLED", None);
    fake.set_step(&cluster_id, &id(&ids, 2), "CANCELLED", None);
    // WHEN checked THEN StepCancelled naming the first cancelled step
    let error = check(&handlers, &cluster_id).await.unwrap_err();
    assert_eq!(error.name(), ErrorName::StepCancelled);
    assert!(error.to_string().contains(&id(&ids, 1)), "{error}");
}

#[tokio::test]
async fn check_steps_interrupted_step_is_step_interrupted() {
    // GIVEN a step interrupted (e.g. its node was lost), the others completed
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| c.state = ClusterState::Waiting);
    fake.set_step(&cluster_id, &id(&ids, 0), "COMPLETED", None);
    fake.set_step(&cluster_id, &id(&ids, 1), "INTERRUPTED", None);
    fake.set_step(&cluster_id, &id(&ids, 2), "COMPLETED", None);
    // WHEN checked THEN StepInterrupted
    let error = check(&handlers, &cluster_id).await.unwrap_err();
    assert_eq!(error.name(), ErrorName::StepInterrupted);
    assert!(error.to_string().contains("transform ["), "{error}");
}

#[tokio::test]
async fn check_steps_cluster_dying_before_completion_is_cluster_failed() {
    // GIVEN the cluster terminated with errors while steps were still pending
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| {
        c.state = ClusterState::TerminatedWithErrors;
        c.state_change_reason_code = Some("INSTANCE_FAILURE".into());
        c.state_change_reason_message = Some("Master instance failed".into());
    });
    fake.set_step(&cluster_id, &id(&ids, 0), "COMPLETED", None);
    // WHEN checked THEN ClusterFailed with EMR's reason code and message
    let error = check(&handlers, &cluster_id).await.unwrap_err();
    assert_eq!(error.name(), ErrorName::ClusterFailed);
    let message = error.to_string();
    assert!(
        message.contains("INSTANCE_FAILURE") && message.contains("Master instance failed"),
        "{message}"
    );
    assert!(message.contains(&id(&ids, 1)), "{message}");
}

#[tokio::test]
async fn check_steps_steps_interrupted_by_a_dead_cluster_report_the_cluster() {
    // GIVEN the cluster died: EMR interrupted the running step and cancelled the pending one
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| {
        c.state = ClusterState::TerminatedWithErrors;
        c.state_change_reason_code = Some("INSTANCE_FAILURE".into());
        c.state_change_reason_message = Some("Master instance failed".into());
    });
    fake.set_step(&cluster_id, &id(&ids, 0), "COMPLETED", None);
    fake.set_step(&cluster_id, &id(&ids, 1), "INTERRUPTED", None);
    fake.set_step(&cluster_id, &id(&ids, 2), "CANCELLED", None);
    // WHEN checked
    let error = check(&handlers, &cluster_id).await.unwrap_err();
    // THEN the cause reported is the cluster, not its interrupted step
    assert_eq!(error.name(), ErrorName::ClusterFailed);
    let message = error.to_string();
    assert!(message.contains("INSTANCE_FAILURE"), "{message}");
    assert!(
        message.contains("INTERRUPTED") && message.contains("CANCELLED"),
        "{message}"
    );
}

/// check-steps at `check_time` of an execution started at 00:30 and allowed 60 minutes.
async fn check_at(
    handlers: &emrflow_core::Handlers,
    cluster_id: &str,
    check_time: &str,
) -> Result<Value, emrflow_core::EmrflowError> {
    handlers
        .invoke(
            Function::CheckSteps,
            json!({"ClusterId": cluster_id, "CheckTime": check_time,
                   "Execution": execution_with_pipeline(|p| p["MaxRunMinutes"] = json!(60))}),
        )
        .await
}

#[tokio::test]
async fn check_steps_past_max_run_minutes_is_pipeline_timed_out() {
    // GIVEN a step still running 61 minutes into a run allowed 60
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.set_step(&cluster_id, &id(&ids, 0), "COMPLETED", None);
    fake.set_step(&cluster_id, &id(&ids, 1), "RUNNING", None);
    // WHEN checked
    let error = check_at(&handlers, &cluster_id, "2026-11-22T01:31:00Z")
        .await
        .unwrap_err();
    // THEN PipelineTimedOut names the limit and the step still running
    assert_eq!(error.name(), ErrorName::PipelineTimedOut);
    let message = error.to_string();
    assert!(
        message.contains("61 minutes") && message.contains("MaxRunMinutes of 60"),
        "{message}"
    );
    assert!(
        message.contains(&id(&ids, 1)) && message.contains("RUNNING"),
        "{message}"
    );
}

#[tokio::test]
async fn check_steps_within_max_run_minutes_keeps_waiting() {
    // GIVEN the same running step 59 minutes in WHEN checked THEN still RUNNING
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.set_step(&cluster_id, &id(&ids, 0), "RUNNING", None);
    let report = check_at(&handlers, &cluster_id, "2026-11-22T01:29:00Z")
        .await
        .unwrap();
    assert_eq!(report["Verdict"], "RUNNING");
}

#[tokio::test]
async fn check_steps_all_completed_after_the_limit_still_completes() {
    // GIVEN every step completed, checked after the limit WHEN checked THEN COMPLETED
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    for index in 0..3 {
        fake.set_step(&cluster_id, &id(&ids, index), "COMPLETED", None);
    }
    let report = check_at(&handlers, &cluster_id, "2026-11-23T06:00:00Z")
        .await
        .unwrap();
    assert_eq!(report["Verdict"], "COMPLETED");
}

#[tokio::test]
async fn check_steps_with_an_unreadable_check_time_is_invalid_input_before_any_call() {
    let fake = FakeEmr::new();
    let (handlers, cluster_id, _) = cluster_with_steps(&fake).await;
    let calls_before = fake.calls().len();
    let error = check_at(&handlers, &cluster_id, "yesterday")
        .await
        .unwrap_err();
    assert_eq!(error.name(), ErrorName::InvalidInput);
    assert!(error.to_string().contains("CheckTime"), "{error}");
    assert_eq!(fake.calls().len(), calls_before);
}

#[tokio::test]
async fn check_steps_ignores_another_executions_steps_on_the_same_cluster() {
    // GIVEN our steps completed and another execution's copy of a step failed on the cluster
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    for index in 0..3 {
        fake.set_step(&cluster_id, &id(&ids, index), "COMPLETED", None);
    }
    fake.state().clusters[0]
        .steps
        .push(emrflow_core::emr::StepSummary {
            id: "s-THEIRS".into(),
            name: "ingest [someone-else]".into(),
            state: StepState::Failed,
            action_on_failure: None,
            created_at: Some("2026-11-22T01:00:00Z".into()),
            started_at: None,
            ended_at: None,
            failure_details: None,
        });
    // WHEN checked THEN only ours count: COMPLETED, three steps reported
    let out = check(&handlers, &cluster_id).await.unwrap();
    assert_eq!(out["Verdict"], "COMPLETED");
    assert_eq!(out["Steps"].as_array().unwrap().len(), 3);
}

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

#[tokio::test]
async fn ensure_cluster_never_starts_a_second_cluster_while_its_first_is_terminating() {
    // GIVEN this execution's cluster exists but is TERMINATING
    let fake = FakeEmr::new();
    let handlers = handlers(&fake);
    let cluster_id = ensure_created(&handlers).await["ClusterId"]
        .as_str()
        .unwrap()
        .to_string();
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
    let handlers = handlers(&fake);
    let cluster_id = ensure_created(&handlers).await["ClusterId"]
        .as_str()
        .unwrap()
        .to_string();
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

#[tokio::test]
async fn unprotecting_a_terminated_cluster_is_a_no_op() {
    // GIVEN a cluster that already terminated (cleanup after it died)
    let fake = FakeEmr::new();
    fake.add_cluster("j-DEAD2", "TERMINATED");
    // WHEN protection is turned off
    let out = handlers(&fake)
        .invoke(
            Function::TerminationProtection,
            json!({"ClusterId": "j-DEAD2", "Protected": false}),
        )
        .await
        .unwrap();
    // THEN it succeeds without calling SetTerminationProtection
    assert_eq!(out["Previous"], false);
    assert!(fake.mutating_calls().is_empty());
}

#[tokio::test]
async fn check_steps_failed_step_on_a_dying_cluster_is_step_failed() {
    // GIVEN a TERMINATE_CLUSTER step failed and the cluster is terminating with a step still pending
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| {
        c.state = ClusterState::Terminating;
        c.state_change_reason_code = Some("STEP_FAILURE".into());
    });
    fake.set_step(
        &cluster_id,
        &id(&ids, 0),
        "FAILED",
        Some(FailureDetails::default()),
    );
    // WHEN checked THEN the step failure is reported, not just the cluster's end
    let error = check(&handlers, &cluster_id).await.unwrap_err();
    assert_eq!(error.name(), ErrorName::StepFailed);
    let message = error.to_string();
    assert!(
        message.contains("STEP_FAILURE") && message.contains("ingest ["),
        "{message}"
    );
}

#[tokio::test]
async fn validate_input_without_any_pipeline_is_invalid_input() {
    // GIVEN handlers without a deployed default pipeline
    let fake = FakeEmr::new();
    let handlers = emrflow_core::Handlers::without_default_pipeline(fake.clone(), REGION.into());
    // WHEN the input gives no Pipeline either THEN InvalidInput naming the key
    let error = handlers
        .invoke(
            Function::ValidateInput,
            json!({"Input": null, "ExecutionName": EXECUTION, "StartTime": "2026-11-22T00:00:00Z"}),
        )
        .await
        .unwrap_err();
    assert_eq!(error.name(), ErrorName::InvalidInput);
    assert!(error.to_string().contains("Pipeline"));
}

#[tokio::test]
async fn check_steps_startup_polling_is_capped_but_never_below_the_interval() {
    // GIVEN a STARTING cluster with pending steps
    let fake = FakeEmr::new();
    let (handlers, cluster_id, _) = cluster_with_steps(&fake).await;
    let next = |poll: u32| {
        let handlers = &handlers;
        let cluster_id = &cluster_id;
        async move {
            let execution = execution_with_pipeline(|p| p["PollIntervalSeconds"] = json!(poll));
            check_with(handlers, cluster_id, execution).await.unwrap()["NextCheckSeconds"].clone()
        }
    };
    // WHEN checked with several intervals THEN 4x the interval, capped at 300, never below it
    assert_eq!(next(5).await, 20);
    assert_eq!(next(100).await, 300);
    assert_eq!(next(600).await, 600);
}
