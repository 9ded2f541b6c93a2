//! Pipelines as graphs, end to end: the real definition, the real handlers, the local EMR
//! running real step processes side by side (README, "Pipelines as graphs").

use std::sync::Arc;

use emrflow_asl::{FnObserver, HistoryEvent, NoopObserver};
use emrflow_local_emr::StepState;
use emrflow_tests::{graph_step, pipeline, state_entered, Harness};
use serde_json::{json, Value};

const INPUT: &str = r#"{"ProcessingDate": "2026-11-21"}"#;

fn input() -> Value {
    serde_json::from_str(INPUT).expect("input")
}

/// A pipeline whose cluster runs `level` steps at once.
fn concurrent(level: u32, steps: Value) -> Value {
    let mut spec = pipeline(steps);
    spec["Cluster"]["StepConcurrencyLevel"] = json!(level);
    spec
}

fn report<'a>(output: &'a Value, name: &str) -> &'a Value {
    output["Steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|step| step["Name"] == name))
        .unwrap_or_else(|| panic!("no report for {name} in {output}"))
}

/// Seconds since the epoch of an attempt's time field.
fn seconds(attempt: &Value, key: &str) -> f64 {
    let text = attempt[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {attempt}"));
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("time")
        .timestamp_millis() as f64
        / 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_branches_overlap_and_the_merge_waits_for_both() {
    // GIVEN validate → (curate ∥ stats) → publish on a cluster running two steps at once
    let harness = Harness::start().await;
    harness.script("quick.sh", "echo ok");
    harness.script("branch.sh", "sleep 1; echo done");
    let spec = concurrent(
        2,
        json!([
            graph_step("validate", "quick.sh", json!({})),
            graph_step("curate", "branch.sh", json!({"DependsOn": ["validate"]})),
            graph_step("stats", "branch.sh", json!({"DependsOn": ["validate"]})),
            graph_step(
                "publish",
                "quick.sh",
                json!({"DependsOn": ["curate", "stats"]})
            ),
        ]),
    );
    // WHEN the execution runs
    let run = harness.run(input(), spec).await;
    // THEN it succeeds, the two branches ran at the same time, and publish started after both
    let output = run.assert_succeeded();
    let curate = &report(&output, "curate")["Attempts"][0];
    let stats = &report(&output, "stats")["Attempts"][0];
    assert!(
        seconds(curate, "StartedAt") < seconds(stats, "EndedAt")
            && seconds(stats, "StartedAt") < seconds(curate, "EndedAt"),
        "the branches did not overlap: {curate} {stats}"
    );
    let publish = &report(&output, "publish")["Attempts"][0];
    let last_branch_end = seconds(curate, "EndedAt").max(seconds(stats, "EndedAt"));
    assert!(
        seconds(publish, "StartedAt") >= last_branch_end,
        "{publish}"
    );
    // AND each step was submitted once, as CONTINUE (emrflow applies ActionOnFailure itself)
    let steps = &harness.clusters()[0].steps;
    assert_eq!(steps.len(), 4);
    assert!(
        steps
            .iter()
            .all(|step| step.action_on_failure == "CONTINUE"),
        "{steps:?}"
    );
    assert!(run.entered("Submit_Pipeline_Steps"));
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_branch_skips_its_dependents_while_the_other_branch_completes() {
    // GIVEN two branches; a fails with CONTINUE; a report runs whatever happened, a quarantine
    // step only on failure
    let harness = Harness::start().await;
    harness.script("quick.sh", "echo ok");
    harness.script("fail.sh", "echo 'bad rows in the input' >&2; exit 3");
    let spec = concurrent(
        2,
        json!([
            graph_step("a", "fail.sh", json!({})),
            graph_step("a2", "quick.sh", json!({"DependsOn": ["a"]})),
            graph_step("b", "quick.sh", json!({})),
            graph_step("b2", "quick.sh", json!({"DependsOn": ["b"]})),
            graph_step(
                "report",
                "quick.sh",
                json!({"DependsOn": ["a2", "b2"], "RunIf": "ALL_DONE"})
            ),
            graph_step(
                "quarantine",
                "quick.sh",
                json!({"DependsOn": ["a"], "RunIf": "ANY_FAILED"})
            ),
            graph_step(
                "celebrate",
                "quick.sh",
                json!({"DependsOn": ["b"], "RunIf": "ANY_FAILED"})
            ),
        ]),
    );
    // WHEN the execution runs
    let run = harness.run(input(), spec).await;
    // THEN it fails with StepFailed naming a, after every step that could still run has run
    let (error, cause) = run.failure();
    assert_eq!(error, "StepFailed");
    assert!(
        cause.contains("'a [test-execution]'") && cause.contains("bad rows"),
        "{cause}"
    );
    let steps = &harness.clusters()[0].steps;
    let state_of = |name: &str| {
        steps
            .iter()
            .find(|step| step.name == format!("{name} [test-execution]"))
            .map(|step| step.state)
    };
    assert_eq!(state_of("a2"), None, "a2 must never be submitted");
    assert_eq!(
        state_of("celebrate"),
        None,
        "celebrate must never be submitted"
    );
    for ran in ["b2", "report", "quarantine"] {
        assert_eq!(state_of(ran), Some(StepState::Completed), "{ran}");
    }
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_and_wait_under_concurrency_cancels_a_running_sibling() {
    // GIVEN a failing CANCEL_AND_WAIT step beside a long one, a dependent of the long one, and
    // a report that runs whatever happened
    let harness = Harness::start().await;
    harness.script("fail.sh", "sleep 1; exit 1");
    harness.script("long.sh", "sleep 60");
    harness.script("quick.sh", "echo ok");
    let spec = concurrent(
        2,
        json!([
            graph_step(
                "failing",
                "fail.sh",
                json!({"ActionOnFailure": "CANCEL_AND_WAIT"})
            ),
            graph_step("long", "long.sh", json!({})),
            graph_step("after_long", "quick.sh", json!({"DependsOn": ["long"]})),
            graph_step(
                "report",
                "quick.sh",
                json!({"DependsOn": ["failing", "long"], "RunIf": "ALL_DONE"})
            ),
        ]),
    );
    // WHEN the execution runs
    let started = std::time::Instant::now();
    let run = harness.run(input(), spec).await;
    // THEN it fails with the failing step's error well before the long one could have ended
    let (error, cause) = run.failure();
    assert_eq!(error, "StepFailed");
    assert!(cause.contains("failing [test-execution]"), "{cause}");
    assert!(
        started.elapsed().as_secs() < 45,
        "took {:?}",
        started.elapsed()
    );
    // AND the running sibling was cancelled, its dependent never submitted
    let steps = &harness.clusters()[0].steps;
    let long = steps
        .iter()
        .find(|s| s.name.starts_with("long ["))
        .expect("long submitted");
    assert_eq!(long.state, StepState::Cancelled);
    assert!(!steps.iter().any(|s| s.name.starts_with("after_long")));
    // AND the report still ran to the end once both had ended
    let report = steps
        .iter()
        .find(|s| s.name.starts_with("report ["))
        .expect("report submitted");
    assert_eq!(report.state, StepState::Completed);
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_step_succeeds_on_its_second_attempt() {
    // GIVEN a step that fails the first time it runs, with one retry
    let harness = Harness::start().await;
    harness.script(
        "flaky.sh",
        r#"marker="$EMRFLOW_LOCAL_S3_ROOT/jobs/flaky.ran"
if [ ! -f "$marker" ]; then touch "$marker"; echo 'first try fails' >&2; exit 1; fi
echo 'second try works'"#,
    );
    let spec = pipeline(json!([graph_step(
        "flaky",
        "flaky.sh",
        json!({"Retry": {"MaxAttempts": 1, "IntervalSeconds": 1}})
    )]));
    // WHEN the execution runs
    let run = harness.run(input(), spec).await;
    // THEN it succeeds; both attempts are reported, the second named with its number
    let output = run.assert_succeeded();
    let flaky = report(&output, "flaky");
    assert_eq!(flaky["State"], "COMPLETED");
    let attempts = flaky["Attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["State"], "FAILED");
    assert_eq!(attempts[1]["State"], "COMPLETED");
    let names: Vec<String> = harness.clusters()[0]
        .steps
        .iter()
        .map(|s| s.name.clone())
        .collect();
    assert!(
        names.contains(&"flaky [test-execution#2]".to_string()),
        "{names:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_step_is_cancelled_by_its_timeout_and_retried() {
    // GIVEN a step that hangs the first time, with a 2-second timeout and one retry
    let harness = Harness::start().await;
    harness.script(
        "hangs.sh",
        r#"marker="$EMRFLOW_LOCAL_S3_ROOT/jobs/hangs.ran"
if [ ! -f "$marker" ]; then touch "$marker"; sleep 600; fi
echo 'quick the second time'"#,
    );
    let spec = pipeline(json!([graph_step(
        "hangs",
        "hangs.sh",
        json!({"TimeoutSeconds": 2, "Retry": {"MaxAttempts": 1, "IntervalSeconds": 0}})
    )]));
    // WHEN the execution runs
    let run = harness.run(input(), spec).await;
    // THEN the first attempt was cancelled at its timeout — reported TIMED_OUT, not as the
    // CANCELLED EMR lists — and the second completed
    let output = run.assert_succeeded();
    let attempts = report(&output, "hangs")["Attempts"]
        .as_array()
        .expect("attempts")
        .clone();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["State"], "TIMED_OUT");
    assert_eq!(attempts[1]["State"], "COMPLETED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_that_times_out_every_attempt_fails_with_step_timed_out() {
    // GIVEN a step that always hangs, with a 1-second timeout and no retry
    let harness = Harness::start().await;
    harness.script("hangs.sh", "sleep 600");
    let spec = pipeline(json!([graph_step(
        "hangs",
        "hangs.sh",
        json!({"TimeoutSeconds": 1})
    )]));
    // WHEN the execution runs THEN StepTimedOut names the limit, and cleanup ran
    let run = harness.run(input(), spec).await;
    let (error, cause) = run.failure();
    assert_eq!(error, "StepTimedOut");
    assert!(cause.contains("TimeoutSeconds of 1"), "{cause}");
    assert!(run.entered("Cleanup_Terminate_Cluster"));
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_add_steps_response_in_the_middle_of_a_graph_adds_no_duplicate() {
    // GIVEN a → b, and the response of the second AddJobFlowSteps (b's) is lost
    let harness = Harness::start().await;
    harness.script("quick.sh", "echo ok");
    let spec = pipeline(json!([
        graph_step("a", "quick.sh", json!({})),
        graph_step("b", "quick.sh", json!({"DependsOn": ["a"]})),
    ]));
    let faults = harness.emr.emr.faults();
    let submissions = std::sync::atomic::AtomicU32::new(0);
    let observer = Arc::new(FnObserver(move |event: &HistoryEvent| {
        if state_entered(event).as_deref() == Some("Submit_Pipeline_Steps")
            && submissions.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1
        {
            faults.lose_next_response("AddJobFlowSteps");
        }
    }));
    // WHEN the execution runs
    let run = harness.run_observed(input(), spec, observer).await;
    // THEN it succeeds after the retry, and each step exists once on EMR
    run.assert_succeeded();
    assert!(
        run.errors_seen().contains(&"AwsTransient".to_string()),
        "{:?}",
        run.errors_seen()
    );
    let names: Vec<String> = harness.clusters()[0]
        .steps
        .iter()
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_graph_is_rejected_before_anything_exists() {
    // GIVEN a cycle
    let harness = Harness::start().await;
    let spec = pipeline(json!([
        graph_step("a", "quick.sh", json!({"DependsOn": ["b"]})),
        graph_step("b", "quick.sh", json!({"DependsOn": ["a"]})),
    ]));
    // WHEN it runs (the pipeline comes in the input) THEN Input_Rejected names the cycle
    let run = harness
        .run_named(
            "bad-graph",
            json!({"Pipeline": spec}),
            pipeline(json!([graph_step("x", "x.sh", json!({}))])),
            Arc::new(NoopObserver),
        )
        .await;
    let (error, cause) = run.failure();
    assert_eq!(error, "InvalidInput");
    assert!(cause.contains("cycle: a → b → a"), "{cause}");
    assert!(run.entered("Input_Rejected"));
    assert!(harness.clusters().is_empty());
}
