//! Hardening, end to end (the real definition, the real handlers, the local EMR): the largest
//! spec the input checks accept runs to the end within Step Functions' 256 KiB state,
//! throttling never fails an execution, and cleanup outlasts an EMR outage — or says plainly
//! that it could not.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use emrflow::local_handlers;
use emrflow_asl::{FnObserver, HistoryEvent, PAYLOAD_LIMIT_BYTES};
use emrflow_core::{Function, PipelineSpec};
use emrflow_local_emr::EmrThrottling;
use emrflow_tests::{pipeline, script_step, state_entered, two_good_steps, Harness};
use serde_json::{json, Value};

fn input() -> Value {
    json!({"ProcessingDate": "2026-11-21"})
}

/// 256 steps with 200-character names, sixteen running at a time, logging under a LogUri
/// `padding` characters longer than the harness's (every step's log location repeats it).
fn wide_pipeline(padding: usize) -> Value {
    let steps: Vec<Value> = (0..256)
        .map(|index| {
            let name = format!("{index:03}-{}", "n".repeat(196));
            json!({"Name": name, "Type": "Command", "Args": ["true"], "ActionOnFailure": "CONTINUE"})
        })
        .collect();
    let mut spec = pipeline(json!(steps));
    spec["Cluster"]["StepConcurrencyLevel"] = json!(16);
    // In folders of at most 100 characters: the local EMR writes the logs there.
    let folders: Vec<String> = (0..padding)
        .step_by(100)
        .map(|start| "p".repeat((padding - start).min(100)))
        .collect();
    spec["Cluster"]["LogUri"] = json!(format!("s3://logs/emr/{}/", folders.join("/")));
    spec["StepCompletion"] = json!("POLLING");
    spec
}

/// What validate-input says of a spec: its worst-case state size, or why it refused it.
async fn validate(harness: &Harness, spec: &Value) -> Result<u64, String> {
    let handlers = local_handlers(
        &harness.emr.endpoint_url(),
        PipelineSpec::from_value(spec.clone()).map_err(|e| e.to_string())?,
        harness.emr.emr.root(),
    );
    handlers
        .dispatch()
        .invoke(
            Function::ValidateInput,
            json!({"Input": input(), "ExecutionName": "test-execution", "StartTime": "2026-11-22T00:00:00Z"}),
        )
        .await
        .map(|summary| summary["WorstCaseStateBytes"].as_u64().unwrap_or_default())
        .map_err(|error| error.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_accepted_spec_runs_to_the_end_with_every_step_reported() {
    // GIVEN 256 steps of long names and the longest LogUri validate-input accepts for them
    // (binary search: the state bound, not a length rule, is what refuses the next one)
    let harness = Harness::start().await;
    let (mut accepted, mut refused) = (1, 2000);
    while refused - accepted > 1 {
        let middle = (accepted + refused) / 2;
        match validate(&harness, &wide_pipeline(middle)).await {
            Ok(_) => accepted = middle,
            Err(_) => refused = middle,
        }
    }
    let refusal = validate(&harness, &wide_pipeline(refused))
        .await
        .unwrap_err();
    assert!(
        refusal.contains("worst case") && refusal.contains("262144"),
        "{refusal}"
    );
    let bound = validate(&harness, &wide_pipeline(accepted)).await.unwrap();
    // WHEN that spec runs
    let run = harness.run(input(), wide_pipeline(accepted)).await;
    // THEN it ends SUCCEEDED with all 256 steps reported, and no state passed the bound
    let output = run.assert_succeeded();
    let steps = output["Steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 256);
    assert!(steps.iter().all(|step| step["State"] == "COMPLETED"));
    let largest = run
        .events
        .iter()
        .filter_map(|event| {
            event
                .pointer("/stateExitedEventDetails/output")
                .and_then(Value::as_str)
        })
        .map(str::len)
        .max()
        .unwrap_or_default();
    assert!(
        largest as u64 <= bound,
        "a state of {largest} bytes passed the bound {bound}"
    );
    assert!(bound as usize <= PAYLOAD_LIMIT_BYTES);
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_accepted_spec_failing_everywhere_reports_every_step_within_the_bound() {
    // GIVEN the wide spec with every step failing after a page of stderr (FailureDetails at
    // their longest: together far more than a report may take)
    let harness = Harness::start().await;
    let mut spec = wide_pipeline(1);
    let fail = "for i in 1 2 3 4 5 6; do printf 'no rows for the day %.0s' $(seq 40); echo; done >&2; exit 1";
    for step in spec["Steps"].as_array_mut().expect("steps") {
        step["Args"] = json!(["bash", "-c", fail]);
    }
    let bound = validate(&harness, &spec).await.unwrap();
    // WHEN that spec runs
    let run = harness.run(input(), spec).await;
    // THEN it fails with StepFailed, and check-steps' last answer reports all 256 steps
    let (error, _) = run.failure();
    assert_eq!(error, "StepFailed");
    let report = run
        .events
        .iter()
        .filter_map(|event| event.pointer("/taskSucceededEventDetails/output"))
        .filter_map(|output| serde_json::from_str::<Value>(output.as_str()?).ok())
        .rfind(|output| output["Verdict"] == "FAILED")
        .expect("a FAILED verdict");
    let steps = report["Steps"].as_array().expect("every step reported");
    assert_eq!(steps.len(), 256);
    assert!(steps.iter().all(|step| step["State"] == "FAILED"));
    // AND no state passed the bound validate-input computed
    let largest = run
        .events
        .iter()
        .filter_map(|event| {
            event
                .pointer("/stateExitedEventDetails/output")
                .and_then(Value::as_str)
        })
        .map(str::len)
        .max()
        .unwrap_or_default();
    assert!(
        largest as u64 <= bound,
        "a state of {largest} bytes passed the bound {bound}"
    );
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_executions_under_emr_like_throttling_all_succeed() {
    // GIVEN EMR's API quotas (each operation its default bucket, all together the account's —
    // refilled 33 times as fast as EMR, a third of the harness's clock: twelve RunJobFlow
    // started together pass a burst of 10), and twelve executions started at once
    let harness = Harness::start().await;
    harness
        .emr
        .emr
        .faults()
        .rate_limit_like_emr_with(EmrThrottling::PerOperation, 0.03);
    let mut spec = two_good_steps(&harness);
    // (twelve runs of one pipeline at once: MaxConcurrentRuns lets them, instead of queueing)
    spec["MaxConcurrentRuns"] = json!(12);
    // WHEN they run together
    let runs = harness.run_many(12, input(), spec).await;
    // THEN EMR throttled them, and every one succeeded all the same
    assert!(harness.emr.emr.inspect().throttled_calls() > 0);
    for run in &runs {
        run.assert_succeeded();
    }
    harness.assert_no_cluster_left_alive().await;
}

/// A failing step, and the EMR endpoint hung as soon as cleanup begins.
fn hang_at_cleanup(
    harness: &Harness,
) -> (Value, Arc<FnObserver<impl Fn(&HistoryEvent) + Send + Sync>>) {
    harness.script("fail.sh", "echo 'bad input' >&2; exit 1");
    let spec = pipeline(json!([script_step("fail", "fail.sh", "CANCEL_AND_WAIT")]));
    let faults = harness.emr.emr.faults();
    let hung = AtomicBool::new(false);
    let observer = Arc::new(FnObserver(move |event: &HistoryEvent| {
        if state_entered(event).as_deref() == Some("Cleanup_Restore_Protection")
            && !hung.swap(true, Ordering::SeqCst)
        {
            faults.hang();
        }
    }));
    (spec, observer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_outlasts_an_emr_outage_and_terminates_the_cluster() {
    // GIVEN EMR stops answering when cleanup begins, for ten minutes of the workflow's time
    let harness = Harness::start().await;
    let (spec, observer) = hang_at_cleanup(&harness);
    let faults = harness.emr.emr.faults();
    let outage = Duration::from_secs_f64(600.0 * harness.time_scale);
    let release = tokio::spawn(async move {
        tokio::time::sleep(outage).await;
        faults.release();
    });
    // WHEN the execution runs
    let run = harness.run_observed(input(), spec, observer).await;
    release.await.expect("released");
    // THEN cleanup kept trying through the outage: the original error, and the cluster gone
    let (error, cause) = run.failure();
    assert_eq!(error, "StepFailed", "{cause}");
    assert!(run.entered("Cleanup_Terminate_Cluster"));
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_that_cannot_finish_says_so_plainly() {
    // GIVEN EMR hangs when cleanup begins and stays hung past cleanup's whole budget
    let mut harness = Harness::start().await;
    harness.time_scale = 0.0005;
    let (spec, observer) = hang_at_cleanup(&harness);
    // WHEN the execution runs
    let run = harness.run_observed(input(), spec, observer).await;
    harness.emr.emr.faults().release();
    // THEN it ends CleanupFailed naming the cluster, how to end it, and both errors in words
    let (error, cause) = run.failure();
    assert_eq!(error, "CleanupFailed");
    let cluster = &harness.clusters()[0].id;
    for expected in [
        format!("cleanup failed: cluster {cluster} may still be running"),
        format!("aws emr terminate-clusters --cluster-ids {cluster}"),
        "(cleanup error: States.Timeout: The state Cleanup_".to_string(),
        "; the run had failed with: StepFailed: step 'fail [test-execution]'".to_string(),
    ] {
        assert!(cause.contains(&expected), "'{expected}' not in: {cause}");
    }
    // AND no error is quoted as JSON inside it
    assert!(!cause.contains('"') && !cause.contains('{'), "{cause}");
}
