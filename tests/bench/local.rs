//! Real local executions (the real definition, handlers and local EMR): how long a small one
//! takes, how soon a step's end is noticed when waiting on events, and many executions at
//! once against EMR's default API token buckets.

use std::sync::Arc;
use std::time::Instant;

use emrflow_asl::NoopObserver;
use emrflow_tests::{pipeline, script_step, two_good_steps, Harness, Run, TIME_SCALE};
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

async fn many_at_once(report: &mut Report, executions: usize) {
    let harness = Harness::start().await;
    // EMR's default bucket for every operation (burst 5, 0.5 calls a second), refilled as
    // fast as the workflow's scaled clock runs.
    harness
        .emr
        .emr
        .faults()
        .rate_limit_every_operation(0.5 / TIME_SCALE, 5);
    let spec = two_good_steps(&harness);
    let runs = futures::future::join_all((0..executions).map(|index| {
        let harness = &harness;
        let spec = spec.clone();
        async move {
            harness
                .run_named(
                    &format!("load-{index}"),
                    json!({"ProcessingDate": "2026-11-21"}),
                    spec,
                    Arc::new(NoopObserver),
                )
                .await
        }
    }))
    .await;
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
    let failed = failures.len();
    report.measure(
        &format!("{executions} executions at once under EMR's buckets: failed"),
        failed as f64,
        "executions",
        "0",
        failed == 0,
    );
    report.note(
        &format!("{executions} executions at once: calls EMR throttled"),
        harness.emr.emr.inspect().throttled_calls() as f64,
        "calls",
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
}
