//! Waking up on EMR's events, end to end: the local EMR publishes EMR's EventBridge events,
//! the real emr-events code answers the execution's task token, the real await-steps code
//! runs the Wait_For_Step_Events Task (README, "Waking up on EMR's events").

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use emrflow_asl::{FnObserver, HistoryEvent};
use emrflow_tests::{
    graph_step, pipeline, script_step, state_entered, two_good_steps, Harness, Run,
};
use serde_json::{json, Value};

fn input() -> Value {
    json!({"ProcessingDate": "2026-11-21"})
}

/// The heartbeat of Wait_For_Step_Events (3600 s) as the harness's clock runs it.
fn heartbeat(harness: &Harness) -> Duration {
    Duration::from_secs_f64(3600.0 * harness.time_scale)
}

fn heartbeat_ran_out(run: &Run) -> bool {
    run.errors_seen()
        .iter()
        .any(|e| e == "States.HeartbeatTimeout")
}

/// Events woke the execution: no heartbeat ran out, and it took less than one.
fn assert_woken_by_events(harness: &Harness, run: &Run, started: Instant) {
    assert!(!heartbeat_ran_out(run), "{:?}", run.errors_seen());
    assert!(
        started.elapsed() < heartbeat(harness),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_happy_path_waits_on_events_and_never_polls() {
    // GIVEN two script steps that each run for a second (so the first look sees them running,
    // however slow the machine) and executions that wait on EMR's events
    let harness = Harness::start().await;
    harness.script("extract.sh", r#"sleep 1; echo "extract for $1""#);
    harness.script("load.sh", r#"sleep 1; echo "load for $1""#);
    let spec = pipeline(json!([
        script_step("extract", "extract.sh", "CANCEL_AND_WAIT"),
        script_step("load", "load.sh", "CANCEL_AND_WAIT"),
    ]));
    // WHEN the execution runs
    let started = Instant::now();
    let run = harness.run(input(), spec).await;
    // THEN it succeeds, woken by events: no timer wait, no heartbeat ran out
    run.assert_succeeded();
    assert!(
        run.entered("Wait_For_Step_Events"),
        "{:?}",
        run.states_entered()
    );
    assert!(!run.entered("Wait_For_Steps"), "{:?}", run.states_entered());
    assert_woken_by_events(&harness, &run, started);
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_with_a_timeout_is_awaited_by_its_event_not_by_polls() {
    // GIVEN a 3-second step with a TimeoutSeconds of 600, in a pipeline that polls every
    // second (300 polls of the harness's clock while it runs)
    let harness = Harness::start().await;
    harness.script("slow.sh", "sleep 3; echo done");
    let spec = pipeline(json!([graph_step(
        "slow",
        "slow.sh",
        json!({"TimeoutSeconds": 600})
    )]));
    // WHEN the execution runs
    let run = harness.run(input(), spec).await;
    // THEN while the step ran the execution waited for its event (at the latest until its
    // deadline): a handful of looks, none a poll of PollIntervalSeconds
    run.assert_succeeded();
    assert!(run.entered("Wait_For_Step_Events"));
    assert!(!heartbeat_ran_out(&run), "{:?}", run.errors_seen());
    assert!(
        run.times_entered("Check_Steps") <= 15,
        "{} looks: {:?}",
        run.times_entered("Check_Steps"),
        run.states_entered()
    );
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_step_event_is_caught_by_the_heartbeat_fallback() {
    // GIVEN every event from the first wait on is lost, and a fast clock (heartbeat ≈ 3.6 s)
    let mut harness = Harness::start().await;
    harness.time_scale = 0.001;
    harness.script("slow.sh", "sleep 1; echo done");
    let spec = pipeline(json!([script_step("slow", "slow.sh", "CANCEL_AND_WAIT")]));
    let faults = harness.emr.emr.faults();
    let dropped = AtomicBool::new(false);
    let observer = Arc::new(FnObserver(move |event: &HistoryEvent| {
        if state_entered(event).as_deref() == Some("Wait_For_Step_Events")
            && !dropped.swap(true, Ordering::SeqCst)
        {
            faults.drop_next_events(1000);
        }
    }));
    // WHEN the execution runs
    let run = harness.run_observed(input(), spec, observer).await;
    // THEN the heartbeat ran out, the execution looked by itself, and it still succeeded
    run.assert_succeeded();
    assert!(heartbeat_ran_out(&run), "{:?}", run.errors_seen());
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_events_change_nothing() {
    // GIVEN every event delivered twice from the start
    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    let faults = harness.emr.emr.faults();
    let observer = Arc::new(FnObserver(move |_: &HistoryEvent| {
        faults.duplicate_next_event()
    }));
    // WHEN the execution runs THEN it succeeds, without a heartbeat running out
    let run = harness.run_observed(input(), spec, observer).await;
    run.assert_succeeded();
    assert!(!heartbeat_ran_out(&run), "{:?}", run.errors_seen());
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_comes_before_the_token_is_stored_is_not_lost() {
    // GIVEN a step that ends between the check and the wait (the wait's Task starts late)
    let harness = Harness::start().await;
    harness.script("quick.sh", "echo done");
    let spec = pipeline(json!([script_step("quick", "quick.sh", "CANCEL_AND_WAIT")]));
    let inspector = harness.emr.emr.inspect();
    let observer = Arc::new(FnObserver(move |event: &HistoryEvent| {
        if state_entered(event).as_deref() == Some("Wait_For_Step_Events") {
            // Hold the state machine until the step's COMPLETED event has gone by.
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline
                && !inspector
                    .clusters()
                    .iter()
                    .flat_map(|c| c.steps.iter())
                    .all(|s| s.state.is_terminal())
            {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }));
    // WHEN the execution runs
    let started = Instant::now();
    let run = harness.run_observed(input(), spec, observer).await;
    // THEN await-steps saw the ended step when it stored the token and answered at once
    run.assert_succeeded();
    assert_woken_by_events(&harness, &run, started);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_killed_during_a_step_ends_cluster_failed_through_the_cluster_event() {
    // GIVEN a long step, and the cluster killed while it runs
    let harness = Harness::start().await;
    harness.script("long.sh", "sleep 300");
    let spec = pipeline(json!([script_step("long", "long.sh", "CANCEL_AND_WAIT")]));
    let faults = harness.emr.emr.faults();
    let inspector = harness.emr.emr.inspect();
    let killed = Arc::new(AtomicBool::new(false));
    let observer = {
        let killed = killed.clone();
        Arc::new(FnObserver(move |event: &HistoryEvent| {
            if state_entered(event).as_deref() == Some("Wait_For_Step_Events")
                && !killed.swap(true, Ordering::SeqCst)
            {
                let faults = faults.clone();
                let inspector = inspector.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(500));
                    if let Some(cluster) = inspector.clusters().first() {
                        let _ = faults.kill_cluster(
                            &cluster.id,
                            "INSTANCE_FAILURE",
                            "Master instance failed",
                        );
                    }
                });
            }
        }))
    };
    // WHEN the execution runs
    let started = Instant::now();
    let run = harness.run_observed(input(), spec, observer).await;
    // THEN the cluster's event woke it long before a heartbeat: ClusterFailed with EMR's reason
    let (error, cause) = run.failure();
    assert_eq!(error, "ClusterFailed");
    assert!(cause.contains("INSTANCE_FAILURE"), "{cause}");
    assert_woken_by_events(&harness, &run, started);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polling_pipeline_never_waits_on_events() {
    // GIVEN the same pipeline, set to POLLING
    let harness = Harness::start().await;
    let mut spec = two_good_steps(&harness);
    spec["StepCompletion"] = json!("POLLING");
    // WHEN it runs THEN only the timer loop waits
    let run = harness.run(input(), spec).await;
    run.assert_succeeded();
    assert!(run.entered("Wait_For_Steps"));
    assert!(!run.entered("Wait_For_Step_Events"));
}
