//! Steps over a list, end to end through the real definition and handlers on the local EMR:
//! seed 001's multi-tenant graph (`pipelines/multi-tenant.json`) with each job
//! replaced by a quick script, so the failure paths cost no Spark start. Which instances ran,
//! in which order, and what a failed tenant skips (README, "Steps over a list").

use std::path::{Path, PathBuf};
use std::sync::Arc;

use emrflow_local_emr::StepState;
use emrflow_tests::examples::{pipeline_json, step_states};
use emrflow_tests::{FastForwardClock, Harness};
use serde_json::{json, Value};

const TENANTS: [&str; 3] = ["tenant_a", "tenant_b", "tenant_c"];

/// The example's graph — ForEach, DependsOn, RunIf, ActionOnFailure, Retry as shipped — with
/// every step a Script `s3://jobs/<Name>.sh` given its item.
fn multi_tenant_with_stand_ins() -> Value {
    let mut pipeline = pipeline_json("multi-tenant.json");
    for step in pipeline["Steps"].as_array_mut().expect("steps") {
        let name = step["Name"].as_str().expect("name").to_string();
        let mapped = step.get("ForEach").is_some();
        let graph_keys = [
            "Name",
            "ForEach",
            "DependsOn",
            "RunIf",
            "ActionOnFailure",
            "Retry",
        ];
        let mut stand_in = json!({"Type": "Script", "Script": format!("s3://jobs/{name}.sh"),
                                  "Args": if mapped { json!(["{{Item}}"]) } else { json!([]) }});
        for key in graph_keys {
            if let Some(value) = step.get(key) {
                stand_in[key] = value.clone();
            }
        }
        *step = stand_in;
    }
    pipeline
}

/// Scripts that record `start <step> <item>` and `end <step> <item>` in a trace file; the ETL
/// fails for good for tenant_b and once (then passes on its retry) for tenant_c.
fn stand_in_scripts(harness: &Harness) -> PathBuf {
    let trace = harness.emr.emr.s3_root().join("trace.log");
    let record = |step: &str| {
        format!(
            r#"echo "start {step} ${{1:-all}}" >> {trace}
sleep 0.3
echo "end {step} ${{1:-all}}" >> {trace}"#,
            trace = trace.display()
        )
    };
    let flaky = harness.emr.emr.s3_root().join("tenant_c-failed-once");
    harness.script(
        "etl.sh",
        &format!(
            r#"if [ "$1" = tenant_b ]; then
  echo "tenant_b: data quality 0.500 is below --quality-threshold 0.95" >&2; exit 2
fi
if [ "$1" = tenant_c ] && [ ! -e {flaky} ]; then
  touch {flaky}; echo "tenant_c: source not ready" >&2; exit 1
fi
{}"#,
            record("etl"),
            flaky = flaky.display()
        ),
    );
    harness.script("analytics.sh", &record("analytics"));
    harness.script("cross_tenant_aggregation.sh", &record("aggregation"));
    trace
}

fn trace_lines(trace: &Path) -> Vec<String> {
    std::fs::read_to_string(trace)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Where `line` is in the trace (panics naming it when it is missing).
fn position(lines: &[String], line: &str) -> usize {
    lines
        .iter()
        .position(|seen| seen == line)
        .unwrap_or_else(|| panic!("'{line}' not in the trace {lines:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_tenant_skips_only_its_own_chain() {
    // GIVEN the multi-tenant graph over its three default tenants, tenant_b's ETL failing on
    // every attempt and tenant_c's on its first only
    // (the example's Retry waits 60 s between attempts, judged on recorded times: a
    // fast-forwarded clock lets that minute pass at the test's pace)
    let mut harness = Harness::start().await;
    harness.clock = Some(Arc::new(FastForwardClock::new(harness.time_scale)));
    let trace = stand_in_scripts(&harness);
    // WHEN the day runs
    let run = harness
        .run(
            json!({"ProcessingDate": "2026-11-21"}),
            multi_tenant_with_stand_ins(),
        )
        .await;
    // THEN it fails with StepFailed naming tenant_b's ETL and its own message
    let (error, cause) = run.failure();
    assert_eq!(error, "StepFailed");
    assert!(
        cause.contains("'etl[tenant_b] [test-execution#2]'") && cause.contains("data quality"),
        "{cause}"
    );
    // AND EMR got the three ETLs first, each tenant's retry on its own, and tenant_b's
    // analytics never
    let steps = &harness.clusters()[0].steps;
    let state_of = |emr_name: &str| {
        steps
            .iter()
            .find(|step| step.name == emr_name)
            .map(|step| step.state)
    };
    let submitted: Vec<&str> = steps.iter().map(|step| step.name.as_str()).collect();
    assert_eq!(
        submitted[..3],
        [
            "etl[tenant_a] [test-execution]",
            "etl[tenant_b] [test-execution]",
            "etl[tenant_c] [test-execution]"
        ]
    );
    assert_eq!(steps.len(), 8, "{submitted:?}");
    for (name, state) in [
        ("etl[tenant_a] [test-execution]", StepState::Completed),
        ("etl[tenant_b] [test-execution]", StepState::Failed),
        ("etl[tenant_b] [test-execution#2]", StepState::Failed),
        ("etl[tenant_c] [test-execution]", StepState::Failed),
        ("etl[tenant_c] [test-execution#2]", StepState::Completed),
        ("analytics[tenant_a] [test-execution]", StepState::Completed),
        ("analytics[tenant_c] [test-execution]", StepState::Completed),
        (
            "cross_tenant_aggregation [test-execution]",
            StepState::Completed,
        ),
    ] {
        assert_eq!(state_of(name), Some(state), "{name}");
    }
    assert_eq!(state_of("analytics[tenant_b] [test-execution]"), None);
    // AND each tenant's analytics started after that tenant's ETL ended, and the aggregation
    // (ALL_DONE) after both analytics that ran
    let lines = trace_lines(&trace);
    for tenant in ["tenant_a", "tenant_c"] {
        assert!(
            position(&lines, &format!("end etl {tenant}"))
                < position(&lines, &format!("start analytics {tenant}")),
            "{lines:?}"
        );
    }
    let aggregation = position(&lines, "start aggregation all");
    assert!(
        aggregation > position(&lines, "end analytics tenant_a")
            && aggregation > position(&lines, "end analytics tenant_c"),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|line| line.contains("tenant_b")),
        "{lines:?}"
    );
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_of_one_tenant_runs_its_chain_and_the_aggregation_only() {
    // GIVEN the multi-tenant graph, and an execution input naming one tenant
    // (the example's Retry waits 60 s between attempts, judged on recorded times: a
    // fast-forwarded clock lets that minute pass at the test's pace)
    let mut harness = Harness::start().await;
    harness.clock = Some(Arc::new(FastForwardClock::new(harness.time_scale)));
    let trace = stand_in_scripts(&harness);
    // WHEN tenant_c's day is backfilled (its ETL fails once, then passes on its retry)
    let run = harness
        .run(
            json!({"ProcessingDate": "2026-11-21", "Items": {"Tenants": ["tenant_c"]}}),
            multi_tenant_with_stand_ins(),
        )
        .await;
    // THEN it succeeds with tenant_c's instances and the aggregation, nothing of the others
    let output = run.assert_succeeded();
    assert_eq!(
        step_states(&output),
        [
            ("etl[tenant_c]", "COMPLETED"),
            ("analytics[tenant_c]", "COMPLETED"),
            ("cross_tenant_aggregation", "COMPLETED"),
        ]
    );
    assert_eq!(
        output["Steps"][0]["Attempts"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        trace_lines(&trace),
        [
            "start etl tenant_c",
            "end etl tenant_c",
            "start analytics tenant_c",
            "end analytics tenant_c",
            "start aggregation all",
            "end aggregation all"
        ]
    );
    let names: Vec<&str> = output["Steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .filter_map(|step| step["Name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    let others = TENANTS.iter().filter(|tenant| **tenant != "tenant_c");
    for other in others {
        let instance = format!("[{other}]");
        assert!(
            names.iter().all(|name| !name.contains(&instance)),
            "{names:?}"
        );
    }
    harness.assert_no_cluster_left_alive().await;
}
