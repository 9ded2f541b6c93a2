//! Real local executions (the real definition, handlers and local EMR): how long a small one
//! takes, how soon a step's end is noticed when waiting on events, many executions at once
//! over 20 pipelines against EMR's default API token buckets (issue 19's numbers: 0 failed, 0
//! duplicate, 0 orphan, the calls made), and a pipeline whose data is 3 hours late.

use std::sync::Arc;
use std::time::Instant;

use emrflow_asl::NoopObserver;
use emrflow_tests::{pipeline, script_step, two_good_steps, FastForwardClock, Harness, Run};
use serde_json::{json, Value};

use crate::report::Report;

const MAX_LOCAL_RUN_SECONDS: f64 = 15.0;
const MAX_EVENT_LAG_SECONDS: f64 = 2.0;

fn millis(text: Option<&str>) -> Option<i64> {
    Some(
        chrono::DateTime::parse_from_rfc3339(text?)
            .ok()?
            .timestamp_millis(),
    )
}

/// From the step's end (EMR's EndDateTime) to the Check_Steps entered after it.
fn detection_lag_seconds(run: &Run, output: &Value) -> Option<f64> {
    let ended = millis(output.pointer("/Steps/0/Attempts/0/EndedAt")?.as_str())?;
    let next_check = run
        .events
        .iter()
        .filter(|event| {
            event
                .pointer("/stateEnteredEventDetails/name")
                .and_then(Value::as_str)
                == Some("Check_Steps")
        })
        .filter_map(|event| millis(event.get("timestamp")?.as_str()))
        .find(|entered| *entered >= ended)?;
    Some((next_check - ended) as f64 / 1000.0)
}

/// The clock of [`many_at_once`]: 20 times faster than the wall's.
const MANY_AT_ONCE_SCALE: f64 = 0.05;

/// Pipelines the executions of [`many_at_once`] are spread over, one start queue each.
const PIPELINES: usize = 20;

/// `executions` executions started at once across [`PIPELINES`] pipelines (each of them
/// MaxConcurrentRuns 1: its runs queue behind each other, the pipelines go side by side),
/// against EMR's default API token buckets.
async fn many_at_once(report: &mut Report, executions: usize) {
    let mut harness = Harness::start().await;
    // Every Task's TimeoutSeconds scales with the clock: at the harness's 0.01 a Lambda call
    // has 1.2 s of wall time, which hundreds of executions in one process on a loaded 2-core
    // machine can miss (an artifact of squeezing time, not of emrflow). At 0.05 it has 6 s.
    harness.time_scale = MANY_AT_ONCE_SCALE;
    harness.throttle_like_emr();
    let spec = two_good_steps(&harness);
    let started = Instant::now();
    let runs = futures::future::join_all((0..executions).map(|index| {
        // The input names its pipeline, as start-daily's do: the start queue is per pipeline.
        let pipeline = format!("pipeline-{}", index % PIPELINES);
        let mut spec = spec.clone();
        spec["Name"] = json!(pipeline);
        let name = format!("load-{index}");
        let harness = &harness;
        async move {
            harness
                .run_named(
                    &name,
                    json!({"ProcessingDate": "2026-11-21", "PipelineName": pipeline}),
                    spec,
                    Arc::new(NoopObserver),
                )
                .await
        }
    }))
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let failures: Vec<String> = runs
        .iter()
        .filter_map(|run| match &run.result.status {
            emrflow_asl::ExecutionStatus::Succeeded => None,
            other => Some(format!(
                "{other:?} after {} errors, states {:?}",
                run.errors_seen().len(),
                run.states_entered()
                    .iter()
                    .rev()
                    .take(8)
                    .collect::<Vec<_>>()
            )),
        })
        .collect();
    for failure in failures.iter().take(3) {
        eprintln!(
            "  a failed execution: {}",
            failure.chars().take(300).collect::<String>()
        );
    }
    let what = format!("{executions} executions at once over {PIPELINES} pipelines");
    let failed = failures.len();
    report.measure(
        &format!("{what}: failed"),
        failed as f64,
        "executions",
        "0",
        failed == 0,
    );
    // Clusters that exist, not RunJobFlow calls: a throttled call creates nothing.
    let created = harness.clusters().len() as u64;
    let duplicates = created.saturating_sub(executions as u64);
    report.measure(
        &format!("{what}: clusters beyond one per execution"),
        duplicates as f64,
        "clusters",
        "0",
        duplicates == 0,
    );
    let settled = harness
        .emr
        .emr
        .inspect()
        .wait_until(std::time::Duration::from_secs(10), |clusters| {
            clusters.iter().all(|cluster| cluster.state.is_terminated())
        })
        .await;
    let orphans = harness
        .emr
        .emr
        .inspect()
        .clusters()
        .iter()
        .filter(|cluster| !cluster.state.is_terminated())
        .count();
    report.measure(
        &format!("{what}: clusters left alive"),
        orphans as f64,
        "clusters",
        "0",
        settled.is_ok() && orphans == 0,
    );
    let calls: u64 = harness.emr.emr.inspect().operation_counts().values().sum();
    report.note(&format!("{what}: EMR calls"), calls as f64, "calls");
    // The harness's clock runs `time_scale` times faster than the wall's: a pipeline-hour of
    // its time is PIPELINES hours of executions' time over 3600 × time_scale wall seconds.
    let pipeline_hours = PIPELINES as f64 * seconds / (3600.0 * harness.time_scale);
    report.note(
        &format!("{what}: EMR calls per pipeline-hour"),
        calls as f64 / pipeline_hours,
        "calls",
    );
    report.note(
        &format!("{what}: calls EMR throttled"),
        harness.emr.emr.inspect().throttled_calls() as f64,
        "calls",
    );
    report.note(&format!("{what}: until the last one ended"), seconds, "s");
    harness.emr.shutdown();
}

/// A pipeline whose input arrives three hours late (of a fast-forwarded clock): no EMR call
/// and few state transitions while it waits (WaitFor's heartbeat is 30 minutes).
async fn late_data(report: &mut Report) {
    const SCALE: f64 = 0.001;
    let mut harness = Harness::start().await;
    harness.time_scale = SCALE;
    harness.clock = Some(Arc::new(FastForwardClock::new(SCALE)));
    let mut spec = two_good_steps(&harness);
    spec["WaitFor"] =
        json!({"S3": ["s3://raw/orders/{{ProcessingDate}}/_SUCCESS"], "TimeoutMinutes": 300});
    let object = harness
        .emr
        .emr
        .s3_root()
        .join("raw/orders/2026-11-21/_SUCCESS");
    let calls_when_written = std::sync::Arc::new(std::sync::Mutex::new(None::<u64>));
    let arrive = {
        let inspect = harness.emr.emr.inspect();
        let seen = calls_when_written.clone();
        async move {
            tokio::time::sleep(std::time::Duration::from_secs_f64(3.0 * 3600.0 * SCALE)).await;
            let calls: u64 = inspect.operation_counts().values().sum();
            if let Ok(mut seen) = seen.lock() {
                *seen = Some(calls);
            }
            let _ = std::fs::create_dir_all(object.parent().unwrap_or(&object));
            let _ = std::fs::write(&object, "");
        }
    };
    let (run, ()) = tokio::join!(
        harness.run(json!({"ProcessingDate": "2026-11-21"}), spec),
        arrive
    );
    let ok = matches!(run.result.status, emrflow_asl::ExecutionStatus::Succeeded);
    let states = run.states_entered();
    let waiting = states
        .iter()
        .take_while(|state| state.as_str() != "Should_Create_Cluster")
        .count();
    let calls = calls_when_written
        .lock()
        .ok()
        .and_then(|seen| *seen)
        .unwrap_or(u64::MAX);
    report.measure(
        "input 3 hours late: EMR calls while waiting",
        calls as f64,
        "calls",
        "0",
        ok && calls == 0,
    );
    report.measure(
        "input 3 hours late: states entered before a cluster",
        waiting as f64,
        "states",
        "<= 30",
        ok && waiting <= 30,
    );
    harness.emr.shutdown();
}

pub async fn measure(report: &mut Report) {
    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    let started = Instant::now();
    harness
        .run(json!({"ProcessingDate": "2026-11-21"}), spec)
        .await
        .assert_succeeded();
    let seconds = started.elapsed().as_secs_f64();
    report.measure(
        "local execution, 2 script steps, end to end",
        seconds * 1000.0,
        "ms",
        &format!("<= {} ms", MAX_LOCAL_RUN_SECONDS * 1000.0),
        seconds <= MAX_LOCAL_RUN_SECONDS,
    );

    // Real time: the lag is what a person waits, not scaled.
    let mut real_time = Harness::start().await;
    real_time.time_scale = 1.0;
    real_time.script("two.sh", "sleep 2");
    let spec = pipeline(json!([script_step("two", "two.sh", "CANCEL_AND_WAIT")]));
    let run = real_time
        .run(json!({"ProcessingDate": "2026-11-21"}), spec)
        .await;
    let output = run.assert_succeeded();
    match detection_lag_seconds(&run, &output) {
        Some(lag) => report.measure(
            "step end → next Check_Steps, waiting on events",
            lag * 1000.0,
            "ms",
            &format!("<= {} ms", MAX_EVENT_LAG_SECONDS * 1000.0),
            lag <= MAX_EVENT_LAG_SECONDS,
        ),
        None => report.missing(
            "step end → next Check_Steps",
            "no Check_Steps after the step's end",
        ),
    }
    report.note(
        "step end → next Check_Steps, polling every 30 s (worst case)",
        30.0,
        "s",
    );

    for executions in [50, 200] {
        many_at_once(report, executions).await;
    }
    late_data(report).await;
}
