//! The reaper on paths through the real definition with the real handlers and the local EMR:
//! a FAILED execution whose cleanup could not terminate its cluster, and an execution stopped
//! while its step ran on a reused cluster. (Ctrl-C on the real `emrflow` binary is tested in
//! local/cli/tests/interrupt.rs, where the binary is at hand.)

use std::path::Path;
use std::sync::Arc;

use emrflow::definition::{load_local_definition, DEFINITION_FILE};
use emrflow::{finished_record, local_emr_client, local_handlers, LocalExecution};
use emrflow_asl::{FnObserver, HistoryEvent, ScaledClock, StopHandle};
use emrflow_core::{PipelineSpec, SdkEmr};
use emrflow_executions::events::task_output;
use emrflow_executions::{reap, ExecutionStatus};
use emrflow_local_emr::StepState;
use emrflow_tests::{pipeline, script_step, Harness, TIME_SCALE};
use serde_json::{json, Value};

fn emr_of(harness: &Harness) -> SdkEmr {
    let url = harness.emr.endpoint_url();
    SdkEmr::with_endpoint_url(local_emr_client(&url), &url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_execution_whose_cleanup_could_not_terminate_is_reaped() {
    // GIVEN a failing step, and EMR throttling every TerminateJobFlows for longer than
    // cleanup's retries last
    let harness = Harness::start().await;
    harness.script("fail.sh", "echo 'bad input' >&2; exit 3");
    let spec = pipeline(json!([script_step("load", "fail.sh", "CANCEL_AND_WAIT")]));
    harness
        .emr
        .emr
        .faults()
        .throttle_next("TerminateJobFlows", 1000);
    let run = harness
        .run_named(
            "cleanup-failed",
            json!({}),
            spec,
            Arc::new(emrflow_asl::NoopObserver),
        )
        .await;
    // AND the execution ended FAILED with CleanupFailed, its cluster still up
    let (error, _) = run.failure();
    assert_eq!(error, "CleanupFailed");
    let cluster_id = harness.clusters()[0].id.clone();
    assert!(harness.clusters()[0].state.accepts_steps());
    // WHEN EMR recovers and the reaper gets the FAILED event
    harness.emr.emr.faults().clear();
    let record = finished_record(&run.result, "cleanup-failed", &json!({}));
    assert_eq!(record.execution.status, ExecutionStatus::Failed);
    let report = reap(&emr_of(&harness), &record).await.expect("reaped");
    // THEN it terminated the cluster the execution created, and none is left alive
    assert!(report.terminated, "{report:?}");
    assert_eq!(report.cluster_id.as_deref(), Some(cluster_id.as_str()));
    harness.assert_no_cluster_left_alive().await;
    // AND a repeated event changes nothing
    let again = reap(&emr_of(&harness), &record)
        .await
        .expect("reaped again");
    assert!(again.actions.is_empty() && !again.terminated, "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_execution_on_a_reused_cluster_gets_its_step_cancelled_and_protection_back() {
    // GIVEN a reused cluster its owner left unprotected, and a step that hangs
    let harness = Harness::start().await;
    harness.script("hang.sh", "exec sleep 300");
    let spec = pipeline(json!([script_step("hang", "hang.sh", "CANCEL_AND_WAIT")]));
    let cluster_id = harness.existing_cluster(false).await;
    let input = json!({"CreateCluster": false, "ClusterId": cluster_id});
    // WHEN the execution is stopped (StopExecution) once a look saw the step running
    let stop = StopHandle::new();
    let stopper = stop.clone();
    let observer = Arc::new(FnObserver(move |event: &HistoryEvent| {
        let Ok(event) = serde_json::to_value(event) else {
            return;
        };
        let running = task_output(&event)
            .and_then(|output| serde_json::from_str::<Value>(output).ok())
            .is_some_and(|output| output["Running"] == json!(["hang"]));
        if running {
            stopper.stop(Some("Manual".into()), Some("stopped by the test".into()));
        }
    }));
    let definition = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(DEFINITION_FILE);
    let result = LocalExecution {
        machine: load_local_definition(&definition).expect("definition"),
        handlers: local_handlers(
            &harness.emr.endpoint_url(),
            PipelineSpec::from_json_str(&spec.to_string()).expect("pipeline"),
            harness.emr.emr.root(),
        ),
        name: "stopped-on-reused".into(),
        input: input.clone(),
        clock: Arc::new(ScaledClock::new(TIME_SCALE)),
        observer,
        events: None,
        record: true,
    }
    .run_until_stopped(stop)
    .await;
    let record = finished_record(&result, "stopped-on-reused", &input);
    assert_eq!(record.execution.status, ExecutionStatus::Aborted);
    // AND the cluster is as the execution left it: protected, its step running
    let before = harness
        .emr
        .emr
        .inspect()
        .cluster(&cluster_id)
        .expect("cluster");
    assert!(before.termination_protected);
    // AND the reaper runs
    let report = reap(&emr_of(&harness), &record).await.expect("reaped");
    // THEN the step was cancelled, protection is off again as its owner had it, and the
    // cluster keeps running
    assert_eq!(report.steps_cancelled.len(), 1, "{report:?}");
    assert_eq!(report.protection_set_to, Some(false));
    assert!(!report.terminated);
    let inspect = harness.emr.emr.inspect();
    let settled = inspect
        .wait_until(std::time::Duration::from_secs(10), |clusters| {
            clusters
                .iter()
                .flat_map(|cluster| &cluster.steps)
                .all(|step| step.state == StepState::Cancelled)
        })
        .await;
    assert!(settled.is_ok(), "{settled:?}");
    let after = inspect.cluster(&cluster_id).expect("cluster");
    assert!(after.state.accepts_steps(), "{:?}", after.state);
    assert!(!after.termination_protected);
}
