//! The paths through the start gate (README, "When a run starts"): the real definition and
//! handlers, the local EMR, the local execution records the queue reads and the local S3.
//! Each asserts the states that ran, the errors and the EMR calls made.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use emrflow_asl::{ExecutionStatus, FnObserver, HistoryEvent, NoopObserver, Observer, StopHandle};
use emrflow_tests::{pipeline, script_step, state_entered, FastForwardClock, Harness, Run};
use serde_json::{json, Value};

const DAY: &str = "2026-11-21";

fn input() -> Value {
    json!({"ProcessingDate": DAY})
}

/// A one-step pipeline whose step runs `body`.
fn one_step(harness: &Harness, body: &str) -> Value {
    harness.script("work.sh", body);
    pipeline(json!([script_step("work", "work.sh", "CANCEL_AND_WAIT")]))
}

fn with(mut spec: Value, key: &str, value: Value) -> Value {
    spec[key] = value;
    spec
}

/// Does `action` each time the execution it observes enters `state`.
fn on_entering(
    state: &'static str,
    action: impl Fn() + Send + Sync + 'static,
) -> Arc<dyn Observer> {
    Arc::new(FnObserver(move |event: &HistoryEvent| {
        if state_entered(event).as_deref() == Some(state) {
            action();
        }
    }))
}

/// The states a run went through, the queue's and the data's loops kept.
fn path(run: &Run) -> Vec<String> {
    run.states_entered()
}

fn first_states(run: &Run, count: usize) -> Vec<String> {
    path(run).into_iter().take(count).collect()
}

/// `future` started `delay` after now (so that its execution starts later, in the queue's
/// order too).
async fn after<T>(delay: Duration, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::sleep(delay).await;
    future.await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_waits_for_the_first_and_starts_when_it_ends() {
    // GIVEN a pipeline (MaxConcurrentRuns 1 by default) whose run takes a few seconds
    let harness = Harness::start().await;
    let spec = one_step(&harness, "sleep 2");
    let first_ended = Arc::new(AtomicBool::new(false));
    let overlapped = Arc::new(AtomicBool::new(false));
    let (ended, seen) = (first_ended.clone(), overlapped.clone());
    let watch_second = on_entering("Create_A_Cluster", move || {
        seen.store(!ended.load(Ordering::SeqCst), Ordering::SeqCst)
    });
    // WHEN a second run of it starts while the first is going
    let first = async {
        let run = harness
            .run_named("day-1", input(), spec.clone(), Arc::new(NoopObserver))
            .await;
        first_ended.store(true, Ordering::SeqCst);
        run
    };
    let second = after(
        Duration::from_millis(150),
        harness.run_named("day-2", input(), spec.clone(), watch_second),
    );
    let (first, second) = tokio::join!(first, second);
    // THEN both succeed, the second having waited for the earlier run before any EMR call
    first.assert_succeeded();
    second.assert_succeeded();
    assert_eq!(
        first_states(&second, 4),
        [
            "Validate_Input",
            "Check_Start_Conditions",
            "Ready_To_Start",
            "Wait_For_Earlier_Runs"
        ]
    );
    assert!(
        !overlapped.load(Ordering::SeqCst),
        "the second run created its cluster while the first was still going"
    );
    assert!(
        second.errors_seen().is_empty(),
        "{:?}",
        second.errors_seen()
    );
    // AND each made one cluster, and none is left
    assert_eq!(harness.operation_count("RunJobFlow"), 2);
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_run_still_queued_past_its_deadline_ends_pipeline_busy() {
    // GIVEN a run going, a second queued behind it, and a third whose queue deadline is one
    // minute (of the test's fast-forwarded time)
    let mut harness = Harness::start().await;
    harness.clock = Some(Arc::new(FastForwardClock::new(harness.time_scale)));
    let spec = one_step(&harness, "sleep 3");
    let impatient = with(spec.clone(), "QueueTimeoutMinutes", json!(1));
    // WHEN the three start in that order
    let (first, second, third) = tokio::join!(
        harness.run_named("day-1", input(), spec.clone(), Arc::new(NoopObserver)),
        after(
            Duration::from_millis(150),
            harness.run_named("day-2", input(), spec.clone(), Arc::new(NoopObserver))
        ),
        after(
            Duration::from_millis(300),
            harness.run_named("day-3", input(), impatient, Arc::new(NoopObserver))
        ),
    );
    // THEN the first two succeed, one after the other
    first.assert_succeeded();
    second.assert_succeeded();
    assert!(second.entered("Wait_For_Earlier_Runs"));
    // AND the third ends PipelineBusy in Not_Started, naming the runs ahead, having created
    // nothing
    let (error, cause) = third.failure();
    assert_eq!(error, "PipelineBusy", "{cause}");
    assert_eq!(
        path(&third),
        [
            "Validate_Input",
            "Check_Start_Conditions",
            "Ready_To_Start",
            "Wait_For_Earlier_Runs",
            "Check_Start_Conditions",
            "Not_Started_In_Words",
            "Not_Started_Parse_Lambda_Error",
            "Not_Started_Lambda_Message",
            "Not_Started"
        ]
    );
    assert!(
        cause.contains("2 earlier run(s) are still going: day-1"),
        "{cause}"
    );
    assert!(
        cause.contains("day-2") && cause.contains("QueueTimeoutMinutes of 1"),
        "{cause}"
    );
    assert_eq!(third.errors_seen(), ["PipelineBusy"]);
    assert_eq!(harness.operation_count("RunJobFlow"), 2);
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_first_run_frees_its_slot_by_failing() {
    // GIVEN a first run whose step fails after a while
    let harness = Harness::start().await;
    let failing = one_step(&harness, "sleep 2; echo 'bad rows' >&2; exit 3");
    harness.script("good.sh", "echo fine");
    let good = pipeline(json!([script_step("work", "good.sh", "CANCEL_AND_WAIT")]));
    // WHEN a second run of the pipeline starts meanwhile
    let (first, second) = tokio::join!(
        harness.run_named("day-1", input(), failing, Arc::new(NoopObserver)),
        after(
            Duration::from_millis(150),
            harness.run_named("day-2", input(), good, Arc::new(NoopObserver))
        ),
    );
    // THEN the first fails as it would alone, and the second, having waited, runs after it
    assert_eq!(first.failure().0, "StepFailed");
    second.assert_succeeded();
    assert!(second.entered("Wait_For_Earlier_Runs"));
    assert_eq!(harness.operation_count("RunJobFlow"), 2);
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_first_run_frees_its_slot_by_stopping() {
    // GIVEN a first run whose step would take long
    let harness = Harness::start().await;
    let slow = one_step(&harness, "sleep 60");
    harness.script("good.sh", "echo fine");
    let good = pipeline(json!([script_step("work", "good.sh", "CANCEL_AND_WAIT")]));
    let stop_first = StopHandle::new();
    let stopper = stop_first.clone();
    // WHEN a second run queues behind it, and then the first is stopped (StopExecution)
    let when_queued = on_entering("Wait_For_Earlier_Runs", move || {
        stopper.stop(Some("Manual".into()), Some("stopped by the test".into()));
    });
    let (first, second) = tokio::join!(
        harness.run_stoppable("day-1", input(), slow, Arc::new(NoopObserver), stop_first),
        after(
            Duration::from_millis(150),
            harness.run_named("day-2", input(), good, when_queued)
        ),
    );
    // THEN the first is ABORTED and the second starts and succeeds: the slot was freed
    assert!(
        matches!(first.result.status, ExecutionStatus::Aborted { .. }),
        "{:?}",
        first.result.status
    );
    second.assert_succeeded();
    assert_eq!(second.times_entered("Wait_For_Earlier_Runs"), 1);
    // AND the reaper cleans up after the stopped run, as the EventBridge rule does on AWS
    let record = emrflow::finished_record(&first.result, "day-1", &input());
    let emr = emrflow_core::SdkEmr::with_endpoint_url(
        emrflow::local_emr_client(&harness.emr.endpoint_url()),
        &harness.emr.endpoint_url(),
    );
    emrflow_executions::reap(&emr, &record)
        .await
        .expect("reaped");
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_start_told_not_to_wait_runs_beside_the_earlier_run() {
    // GIVEN a run going
    let harness = Harness::start().await;
    let spec = one_step(&harness, "sleep 2");
    let first_ended = Arc::new(AtomicBool::new(false));
    let overlapped = Arc::new(AtomicBool::new(false));
    let (ended, seen) = (first_ended.clone(), overlapped.clone());
    let watch_second = on_entering("Create_A_Cluster", move || {
        seen.store(!ended.load(Ordering::SeqCst), Ordering::SeqCst)
    });
    // WHEN a manual start says WaitForEarlierRuns false
    let first = async {
        let run = harness
            .run_named("day-1", input(), spec.clone(), Arc::new(NoopObserver))
            .await;
        first_ended.store(true, Ordering::SeqCst);
        run
    };
    let manual = json!({"ProcessingDate": DAY, "WaitForEarlierRuns": false});
    let second = after(
        Duration::from_millis(150),
        harness.run_named("manual-1", manual, spec.clone(), watch_second),
    );
    let (first, second) = tokio::join!(first, second);
    // THEN it starts at once, its cluster beside the first run's, and both succeed
    first.assert_succeeded();
    second.assert_succeeded();
    assert!(!second.entered("Wait_For_Earlier_Runs"));
    assert!(overlapped.load(Ordering::SeqCst), "the manual run waited");
    assert_eq!(harness.operation_count("RunJobFlow"), 2);
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_data_waits_without_any_emr_call_and_starts_when_the_object_arrives() {
    // GIVEN a pipeline waiting for the day's _SUCCESS marker, which is not there yet
    let harness = Harness::start().await;
    let spec = with(
        one_step(&harness, "echo work"),
        "WaitFor",
        json!({"S3": ["s3://raw/orders/{{ProcessingDate}}/_SUCCESS"], "TimeoutMinutes": 180}),
    );
    let marker = harness
        .emr
        .emr
        .s3_root()
        .join(format!("raw/orders/{DAY}/_SUCCESS"));
    let calls_while_waiting = Arc::new(Mutex::new(None));
    let (calls, emr, written) = (
        calls_while_waiting.clone(),
        harness.emr.emr.clone(),
        marker.clone(),
    );
    // WHEN the object is written while the run waits for it
    let when_waiting = on_entering("Wait_For_Input_Data_Events", move || {
        let mut calls = calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if calls.is_none() {
            *calls = Some(emr.inspect().operation_counts());
            let path = written.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
                std::fs::write(&path, "").expect("marker");
            });
        }
    });
    let run = harness
        .run_named("day-1", input(), spec, when_waiting)
        .await;
    // THEN it waited on S3's event with no EMR call at all, then ran
    run.assert_succeeded();
    assert_eq!(
        first_states(&run, 7),
        [
            "Validate_Input",
            "Check_Start_Conditions",
            "Ready_To_Start",
            "Wait_For_Input_Data_Events",
            "Check_Start_Conditions",
            "Ready_To_Start",
            "Should_Create_Cluster"
        ]
    );
    let calls = calls_while_waiting.lock().expect("lock").clone();
    assert_eq!(
        calls,
        Some(Default::default()),
        "EMR was called while the data was late"
    );
    // AND its data wait was woken by the object's Object Created event, not by the heartbeat
    // (the steps' wait, later, may be woken by a step's event too: not counted here)
    let woken_by: Vec<Value> = run
        .events
        .iter()
        .filter_map(|event| event.pointer("/taskSucceededEventDetails/output")?.as_str())
        .filter_map(|output| serde_json::from_str::<Value>(output).ok())
        .filter(|output| output["WokenBy"] == "event" && output.get("StepId").is_none())
        .collect();
    assert_eq!(woken_by.len(), 1, "{woken_by:?}");
    assert_eq!(woken_by[0]["DetailType"], "Object Created");
    assert_eq!(
        woken_by[0]["Object"],
        format!("s3://raw/orders/{DAY}/_SUCCESS")
    );
    assert_eq!(harness.operation_count("RunJobFlow"), 1);
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_still_missing_at_its_deadline_ends_input_not_ready_naming_the_missing_objects() {
    // GIVEN a pipeline waiting one minute (of the test's fast-forwarded time) for two
    // objects, one of which is there
    let mut harness = Harness::start().await;
    harness.clock = Some(Arc::new(FastForwardClock::new(harness.time_scale)));
    let spec = with(
        one_step(&harness, "echo work"),
        "WaitFor",
        json!({"S3": ["s3://raw/orders/{{ProcessingDate}}/part-0.csv",
                      "s3://raw/orders/{{ProcessingDate}}/_SUCCESS"], "TimeoutMinutes": 1}),
    );
    let present = harness
        .emr
        .emr
        .s3_root()
        .join(format!("raw/orders/{DAY}/part-0.csv"));
    std::fs::create_dir_all(present.parent().expect("folder")).expect("folder");
    std::fs::write(&present, "id\n1\n").expect("object");
    // WHEN the run waits past the deadline
    let run = harness.run(input(), spec).await;
    // THEN it ends InputNotReady in Not_Started, naming only the missing object
    let (error, cause) = run.failure();
    assert_eq!(error, "InputNotReady", "{cause}");
    assert_eq!(
        path(&run),
        [
            "Validate_Input",
            "Check_Start_Conditions",
            "Ready_To_Start",
            "Wait_For_Input_Data",
            "Check_Start_Conditions",
            "Not_Started_In_Words",
            "Not_Started_Parse_Lambda_Error",
            "Not_Started_Lambda_Message",
            "Not_Started"
        ]
    );
    assert!(
        cause.contains("1 of the 2 WaitFor object(s)")
            && cause.contains(&format!("s3://raw/orders/{DAY}/_SUCCESS")),
        "{cause}"
    );
    assert!(!cause.contains("part-0.csv"), "{cause}");
    // AND EMR was never called
    assert!(
        harness.emr.emr.inspect().operation_counts().is_empty(),
        "{:?}",
        harness.emr.emr.inspect().operation_counts()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_start_keys_are_rejected_before_anything_is_created() {
    // GIVEN inputs with a WaitFor outside S3, a MaxConcurrentRuns out of range, and a
    // WaitForEarlierRuns that is not a boolean
    let harness = Harness::start().await;
    let spec = one_step(&harness, "echo work");
    for (input, key) in [
        (
            json!({"Pipeline": with(spec.clone(), "WaitFor", json!({"S3": ["/data/raw/_SUCCESS"]}))}),
            "WaitFor.S3[0]",
        ),
        (
            json!({"Pipeline": with(spec.clone(), "MaxConcurrentRuns", json!(0))}),
            "MaxConcurrentRuns",
        ),
        (json!({"WaitForEarlierRuns": "no"}), "WaitForEarlierRuns"),
    ] {
        // WHEN each runs
        let run = harness.run(input, spec.clone()).await;
        // THEN it ends in Input_Rejected with InvalidInput naming the key, and EMR was not called
        let (error, cause) = run.failure();
        assert_eq!(error, "InvalidInput");
        assert!(cause.contains(key), "{key}: {cause}");
        assert_eq!(path(&run), ["Validate_Input", "Input_Rejected"]);
    }
    assert!(harness.emr.emr.inspect().operation_counts().is_empty());
}
