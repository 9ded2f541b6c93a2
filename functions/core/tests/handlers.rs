//! Handler logic over the in-memory EMR (GIVEN / WHEN / THEN): one file per handler under
//! `tests/handlers/`, as `src/handlers/` has, with the helpers they share here.

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

async fn ensure_created(handlers: &emrflow_core::Dispatch) -> Value {
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
    handlers: &emrflow_core::Dispatch,
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
    handlers: &emrflow_core::Dispatch,
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
    handlers: &emrflow_core::Dispatch,
    cluster_id: &str,
) -> Result<Value, emrflow_core::EmrflowError> {
    check_with(handlers, cluster_id, execution()).await
}

async fn check_with(
    handlers: &emrflow_core::Dispatch,
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

/// The error and cause of a check whose verdict is FAILED (a failed run is the verdict, not
/// an error of check-steps), read back as the error the execution ends with.
fn failure(check: Result<Value, emrflow_core::EmrflowError>) -> emrflow_core::EmrflowError {
    let out = check.expect("check-steps answers");
    assert_eq!(out["Verdict"], "FAILED", "{out}");
    let name = out["Error"].as_str().and_then(ErrorName::from_name);
    emrflow_core::EmrflowError::new(
        name.expect("a contract error name"),
        out["Cause"].as_str().unwrap_or_default(),
    )
}

/// Handlers over `fake` and the cluster ensure-cluster created for the execution.
async fn created_cluster(fake: &std::sync::Arc<FakeEmr>) -> (emrflow_core::Dispatch, String) {
    let handlers = handlers(fake);
    let cluster_id = ensure_created(&handlers).await["ClusterId"]
        .as_str()
        .unwrap()
        .to_string();
    (handlers, cluster_id)
}

async fn cluster_with_steps(
    fake: &std::sync::Arc<FakeEmr>,
) -> (emrflow_core::Dispatch, String, Vec<String>) {
    let (handlers, cluster_id) = created_cluster(fake).await;
    add_steps(&handlers, &cluster_id).await.unwrap();
    let ids: Vec<String> = fake
        .cluster(&cluster_id)
        .steps
        .iter()
        .map(|s| s.id.clone())
        .collect();
    (handlers, cluster_id, ids)
}

/// The first `states.len()` steps of `ids` set to those states (no failure details).
fn set_steps(fake: &FakeEmr, cluster_id: &str, ids: &[String], states: &[&str]) {
    for (step_id, state) in ids.iter().zip(states) {
        fake.set_step(cluster_id, step_id, state, None);
    }
}

fn id(ids: &[String], index: usize) -> String {
    ids[index].clone()
}

mod handlers {
    mod add_steps;
    mod check_steps;
    mod cost;
    mod ensure_cluster;
    mod terminate_cluster;
    mod termination_protection;
    mod validate_input;
}
