//! MaxCostUSD through the real definition and the local EMR: a run whose running estimate
//! passes its budget ends with BudgetExceeded through the normal cleanup.

use emrflow_tests::{pipeline, script_step, Harness};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_past_max_cost_usd_ends_budget_exceeded_and_its_cluster_is_terminated() {
    // GIVEN a step that runs for ten minutes on a created m5.xlarge cluster (about $0.24 an
    // hour in the snapshot) whose pipeline allows $0.0002: a few seconds' worth; real time,
    // so the one-second polls do not spin
    let mut harness = Harness::start().await;
    harness.time_scale = 1.0;
    harness.script("long.sh", "sleep 600");
    let mut spec = pipeline(json!([script_step("long", "long.sh", "CANCEL_AND_WAIT")]));
    spec["MaxCostUSD"] = json!(0.0002);
    // WHEN the execution runs
    let run = harness.run(json!({}), spec).await;
    // THEN it fails with BudgetExceeded naming the estimate, the limit and the running step
    let (error, cause) = run.failure();
    assert_eq!(error, "BudgetExceeded", "{cause}");
    assert!(cause.contains("over its MaxCostUSD of 0.0002"), "{cause}");
    assert!(cause.contains("long [test-execution]"), "{cause}");
    // AND the normal cleanup terminated the cluster it created
    assert!(run.entered("Cleanup_Terminate_Cluster"));
    assert!(run.entered("Execution_Failed"));
    harness.assert_no_cluster_left_alive().await;
}
