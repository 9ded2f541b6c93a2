//! Pipelines as graphs: validation, and the judgement of one look at the steps
//! (GIVEN a spec and what EMR lists / WHEN evaluated / THEN statuses, submissions, cancels).

use chrono::{DateTime, Duration, Utc};
use emrflow_core::emr::{ActionOnFailure, StepState, StepSummary};
use emrflow_core::graph::{evaluate, FailureKind, Graph, Mode, NodeStatus};
use emrflow_core::naming::attempt_name;
use emrflow_core::{ErrorName, PipelineSpec};
use serde_json::{json, Value};

const EXECUTION: &str = "run-1";

fn spec(steps: Value) -> Result<PipelineSpec, emrflow_core::EmrflowError> {
    spec_at_level(steps, 1)
}

fn spec_at_level(steps: Value, level: u32) -> Result<PipelineSpec, emrflow_core::EmrflowError> {
    PipelineSpec::from_value(json!({
        "Name": "g",
        "Cluster": {"ReleaseLabel": "emr-7.5.0", "ServiceRole": "s", "JobFlowRole": "j",
            "LogUri": "s3://logs-bucket/emr/", "StepConcurrencyLevel": level,
            "InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]},
        "Steps": steps
    }))
}

fn step(name: &str, extra: Value) -> Value {
    let mut step = json!({"Name": name, "Type": "Command", "Args": ["true"]});
    for (key, value) in extra.as_object().unwrap() {
        step[key] = value.clone();
    }
    step
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T06:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + Duration::seconds(seconds)
}

fn time(seconds: i64) -> Option<String> {
    Some(at(seconds).to_rfc3339())
}

/// An EMR step of attempt `attempt` of `name`, started and ended at the given seconds.
fn emr(
    name: &str,
    attempt: u32,
    state: StepState,
    started: Option<i64>,
    ended: Option<i64>,
) -> StepSummary {
    StepSummary {
        id: format!("s-{name}-{attempt}"),
        name: attempt_name(name, EXECUTION, attempt),
        state,
        action_on_failure: Some(ActionOnFailure::Continue),
        created_at: time(0),
        started_at: started.and_then(time),
        ended_at: ended.and_then(time),
        failure_details: None,
    }
}

fn statuses(spec: &PipelineSpec, listed: &[StepSummary], now: i64) -> Vec<NodeStatus> {
    let graph = Graph::new(spec);
    // ListSteps lists the newest first.
    let newest_first: Vec<StepSummary> = listed.iter().rev().cloned().collect();
    evaluate(&graph, &newest_first, EXECUTION, at(now))
        .nodes
        .into_iter()
        .map(|node| node.status)
        .collect()
}

fn rejected(steps: Value, expected: &str) {
    let error = spec(steps).expect_err("the graph is refused");
    assert_eq!(error.name(), ErrorName::InvalidInput);
    assert!(
        error.to_string().contains(expected),
        "'{expected}' not in: {error}"
    );
}

#[test]
fn bad_graphs_are_refused_naming_the_steps() {
    // GIVEN each kind of bad graph WHEN validated THEN InvalidInput naming the steps involved
    rejected(
        json!([step("a", json!({"DependsOn": ["nope"]}))]),
        "step 'a' depends on 'nope', which is not a step",
    );
    rejected(
        json!([step("a", json!({"DependsOn": ["a"]}))]),
        "step 'a' depends on itself",
    );
    rejected(
        json!([
            step("a", json!({})),
            step("b", json!({"DependsOn": ["a", "a"]}))
        ]),
        "names 'a' twice",
    );
    rejected(
        json!([
            step("a", json!({"DependsOn": ["c"]})),
            step("b", json!({"DependsOn": ["a"]})),
            step("c", json!({"DependsOn": ["b"]}))
        ]),
        "DependsOn makes a cycle: a → c → b → a",
    );
    rejected(
        json!([step("a", json!({"RunIf": "SOMETIMES"}))]),
        "'SOMETIMES' is not one of ALL_SUCCEEDED, ALL_DONE, ANY_FAILED",
    );
    rejected(
        json!([step("a", json!({"Retry": {"MaxAttempts": 0}}))]),
        "Retry.MaxAttempts",
    );
    rejected(
        json!([step(
            "a",
            json!({"Retry": {"MaxAttempts": 2, "IntervalSeconds": 90000}})
        )]),
        "Retry.IntervalSeconds",
    );
    rejected(
        json!([step("a", json!({"TimeoutSeconds": 0}))]),
        "TimeoutSeconds",
    );
    rejected(
        json!([step("a", json!({})), step("a", json!({}))]),
        "'a' is used by more than one step",
    );
    // AND a graph whose worst case (every attempt of every step) passes EMR's 256 steps
    let many: Vec<Value> = (0..30)
        .map(|i| step(&format!("s{i}"), json!({"Retry": {"MaxAttempts": 8}})))
        .collect();
    rejected(
        json!(many),
        "could submit 270 EMR steps; EMR allows at most 256",
    );
}

#[test]
fn a_list_pipeline_keeps_list_semantics() {
    // GIVEN steps with no graph keys WHEN evaluated before any submission THEN all are ready
    let spec = spec(json!([
        step("a", json!({})),
        step("b", json!({"ActionOnFailure": "CANCEL_AND_WAIT"}))
    ]))
    .unwrap();
    assert_eq!(Mode::of(&spec), Mode::List);
    assert_eq!(
        statuses(&spec, &[], 0),
        [
            NodeStatus::Ready { attempt: 1 },
            NodeStatus::Ready { attempt: 1 }
        ]
    );
    // AND its steps go to EMR with their own ActionOnFailure, named with the execution
    let config = spec.steps[1].compile_attempt(EXECUTION, "us-east-1", 1, Mode::List);
    assert_eq!(
        (config.name.as_str(), config.action_on_failure),
        ("b [run-1]", ActionOnFailure::CancelAndWait)
    );
}

#[test]
fn branches_run_side_by_side_and_a_merge_waits_for_all_of_them() {
    // GIVEN validate → (curate, stats) → publish
    let spec = spec_at_level(
        json!([
            step("validate", json!({})),
            step("curate", json!({"DependsOn": ["validate"]})),
            step("stats", json!({"DependsOn": ["validate"]})),
            step(
                "publish",
                json!({"DependsOn": ["curate", "stats"], "ActionOnFailure": "CANCEL_AND_WAIT"})
            ),
        ]),
        2,
    )
    .unwrap();
    assert_eq!(Mode::of(&spec), Mode::Graph);
    // WHEN nothing ran THEN only the root is ready
    assert_eq!(statuses(&spec, &[], 0)[0], NodeStatus::Ready { attempt: 1 });
    assert_eq!(statuses(&spec, &[], 0)[1], NodeStatus::Waiting);
    // WHEN the root completed THEN both branches are ready together
    let done = emr("validate", 1, StepState::Completed, Some(1), Some(2));
    let both = statuses(&spec, std::slice::from_ref(&done), 3);
    assert_eq!(
        &both[1..3],
        [
            NodeStatus::Ready { attempt: 1 },
            NodeStatus::Ready { attempt: 1 }
        ]
    );
    // WHEN one branch completed and the other runs THEN the merge still waits
    let listed = [
        done.clone(),
        emr("curate", 1, StepState::Completed, Some(3), Some(5)),
        emr("stats", 1, StepState::Running, Some(3), None),
    ];
    assert_eq!(statuses(&spec, &listed, 6)[3], NodeStatus::Waiting);
    // WHEN both completed THEN the merge is ready; and every graph step goes to EMR as CONTINUE
    let listed = [
        done,
        emr("curate", 1, StepState::Completed, Some(3), Some(5)),
        emr("stats", 1, StepState::Completed, Some(3), Some(6)),
    ];
    assert_eq!(
        statuses(&spec, &listed, 7)[3],
        NodeStatus::Ready { attempt: 1 }
    );
    let config = spec.steps[3].compile_attempt(EXECUTION, "us-east-1", 1, Mode::Graph);
    assert_eq!(config.action_on_failure, ActionOnFailure::Continue);
}

#[test]
fn a_failed_branch_skips_its_dependents_while_the_other_branch_goes_on() {
    // GIVEN two independent branches, the first failing with CONTINUE
    let spec = spec(json!([
        step("a", json!({"ActionOnFailure": "CONTINUE"})),
        step("a2", json!({"DependsOn": ["a"]})),
        step("b", json!({})),
        step("b2", json!({"DependsOn": ["b"]})),
        step(
            "report",
            json!({"DependsOn": ["a2", "b2"], "RunIf": "ALL_DONE"})
        ),
        step(
            "quarantine",
            json!({"DependsOn": ["a"], "RunIf": "ANY_FAILED"})
        ),
        step(
            "celebrate",
            json!({"DependsOn": ["b"], "RunIf": "ANY_FAILED"})
        ),
    ]))
    .unwrap();
    let listed = [
        emr("a", 1, StepState::Failed, Some(1), Some(2)),
        emr("b", 1, StepState::Completed, Some(1), Some(2)),
    ];
    // WHEN evaluated
    let now = statuses(&spec, &listed, 3);
    // THEN a's dependent is skipped, b's goes on, ANY_FAILED runs only where a dependency failed
    assert_eq!(
        now[1],
        NodeStatus::Skipped("dependency 'a' ended FAILED".into())
    );
    assert_eq!(now[3], NodeStatus::Ready { attempt: 1 });
    assert_eq!(now[5], NodeStatus::Ready { attempt: 1 });
    assert_eq!(now[6], NodeStatus::Skipped("no dependency failed".into()));
    // AND the ALL_DONE report waits for b2, then runs although a2 was skipped
    assert_eq!(now[4], NodeStatus::Waiting);
    let listed = [
        listed[0].clone(),
        listed[1].clone(),
        emr("b2", 1, StepState::Completed, Some(3), Some(4)),
    ];
    assert_eq!(
        statuses(&spec, &listed, 5)[4],
        NodeStatus::Ready { attempt: 1 }
    );
}

#[test]
fn a_failed_attempt_is_retried_after_its_interval_as_a_new_named_step() {
    // GIVEN a step allowed 2 more attempts, 60 s apart, whose first attempt failed at t=10
    let spec = spec(json!([step(
        "flaky",
        json!({"Retry": {"MaxAttempts": 2, "IntervalSeconds": 60}})
    )]))
    .unwrap();
    let first = emr("flaky", 1, StepState::Failed, Some(5), Some(10));
    // WHEN looked at before and after the interval
    assert_eq!(
        statuses(&spec, std::slice::from_ref(&first), 30),
        [NodeStatus::RetryAt {
            attempt: 2,
            at: at(70)
        }]
    );
    assert_eq!(
        statuses(&spec, std::slice::from_ref(&first), 70),
        [NodeStatus::Ready { attempt: 2 }]
    );
    // THEN attempt 2 is named with its number; once every attempt failed the step has FAILED
    assert_eq!(attempt_name("flaky", EXECUTION, 2), "flaky [run-1#2]");
    let all = [
        first,
        emr("flaky", 2, StepState::Failed, Some(70), Some(80)),
        emr("flaky", 3, StepState::Failed, Some(140), Some(150)),
    ];
    assert_eq!(
        statuses(&spec, &all, 500),
        [NodeStatus::Failed(FailureKind::Failed)]
    );
    // AND a success on attempt 2 is a success
    let ok = [
        all[0].clone(),
        emr("flaky", 2, StepState::Completed, Some(70), Some(80)),
    ];
    assert_eq!(statuses(&spec, &ok, 90), [NodeStatus::Succeeded]);
}

#[test]
fn a_running_attempt_past_its_timeout_is_cancelled_and_counts_as_timed_out() {
    // GIVEN a 30-second timeout and one retry
    let spec = spec(json!([step(
        "slow",
        json!({"TimeoutSeconds": 30, "Retry": {"MaxAttempts": 1, "IntervalSeconds": 0}})
    )]))
    .unwrap();
    let graph = Graph::new(&spec);
    let running = emr("slow", 1, StepState::Running, Some(0), None);
    // WHEN looked at after 31 s THEN it is to be cancelled as timed out
    let evaluation = evaluate(&graph, std::slice::from_ref(&running), EXECUTION, at(31));
    assert_eq!(evaluation.to_cancel.len(), 1);
    assert!(evaluation.to_cancel[0].timed_out);
    // AND before that, the next look is due at the timeout
    assert_eq!(
        evaluate(&graph, std::slice::from_ref(&running), EXECUTION, at(10)).next_due,
        Some(at(30))
    );
    // WHEN EMR ended it CANCELLED after 31 s THEN it timed out, and Retry applies
    let cancelled = emr("slow", 1, StepState::Cancelled, Some(0), Some(31));
    assert_eq!(
        statuses(&spec, std::slice::from_ref(&cancelled), 32),
        [NodeStatus::Ready { attempt: 2 }]
    );
    let twice = [
        cancelled,
        emr("slow", 2, StepState::Cancelled, Some(32), Some(63)),
    ];
    assert_eq!(
        statuses(&spec, &twice, 64),
        [NodeStatus::Failed(FailureKind::TimedOut)]
    );
}

#[test]
fn cancel_and_wait_cancels_running_siblings_and_skips_what_needed_success() {
    // GIVEN two branches and a report; branch a fails with CANCEL_AND_WAIT while b runs
    let spec = spec_at_level(
        json!([
            step("a", json!({"ActionOnFailure": "CANCEL_AND_WAIT"})),
            step("b", json!({"ActionOnFailure": "CONTINUE"})),
            step("after_b", json!({"DependsOn": ["b"]})),
            step(
                "report",
                json!({"DependsOn": ["a", "b"], "RunIf": "ALL_DONE"})
            ),
        ]),
        2,
    )
    .unwrap();
    let graph = Graph::new(&spec);
    let listed = [
        emr("b", 1, StepState::Running, Some(1), None),
        emr("a", 1, StepState::Failed, Some(1), Some(2)),
    ];
    // WHEN evaluated
    let evaluation = evaluate(&graph, &listed, EXECUTION, at(3));
    // THEN the pipeline stops: b is cancelled, after_b skipped, the ALL_DONE report still waits for b
    assert_eq!(evaluation.halt.map(|halt| halt.node), Some(0));
    assert_eq!(
        evaluation
            .to_cancel
            .iter()
            .map(|c| c.step_id.as_str())
            .collect::<Vec<_>>(),
        ["s-b-1"]
    );
    let status = |i: usize| evaluation.nodes[i].status.clone();
    assert!(
        matches!(status(2), NodeStatus::Skipped(reason) if reason.contains("step 'a' failed (CANCEL_AND_WAIT)"))
    );
    assert_eq!(status(3), NodeStatus::Waiting);
    // AND the failure to report is a's, not the cancelled sibling's
    assert_eq!(evaluation.first_failure(), Some((0, FailureKind::Failed)));
    // AND once b has ended the report runs, and the stopped pipeline does not cancel it
    let ended = [
        emr("b", 1, StepState::Cancelled, Some(1), Some(3)),
        emr("a", 1, StepState::Failed, Some(1), Some(2)),
    ];
    assert_eq!(
        evaluate(&graph, &ended, EXECUTION, at(4)).nodes[3].status,
        NodeStatus::Ready { attempt: 1 }
    );
    let running = [
        emr("report", 1, StepState::Running, Some(4), None),
        ended[0].clone(),
        ended[1].clone(),
    ];
    let evaluation = evaluate(&graph, &running, EXECUTION, at(5));
    assert_eq!(evaluation.nodes[3].status, NodeStatus::Active);
    assert!(
        evaluation.to_cancel.is_empty(),
        "{:?}",
        evaluation.to_cancel
    );
}

#[test]
fn terminate_cluster_stops_everything() {
    // GIVEN a TERMINATE_CLUSTER step failing before an ALL_DONE step
    let spec = spec(json!([
        step("a", json!({"ActionOnFailure": "TERMINATE_CLUSTER"})),
        step("report", json!({"DependsOn": ["a"], "RunIf": "ALL_DONE"})),
    ]))
    .unwrap();
    let listed = [emr("a", 1, StepState::Failed, Some(1), Some(2))];
    // WHEN evaluated THEN nothing more runs: there is no cluster to run it on
    let now = statuses(&spec, &listed, 3);
    assert!(
        matches!(&now[1], NodeStatus::Skipped(reason) if reason.contains("TERMINATE_CLUSTER")),
        "{now:?}"
    );
}

#[test]
fn without_depends_on_a_one_at_a_time_graph_keeps_the_lists_order() {
    // GIVEN a list with a Retry (graph mode) on a cluster running one step at a time
    let spec = spec(json!([
        step("a", json!({"Retry": {"MaxAttempts": 1, "IntervalSeconds": 0}, "ActionOnFailure": "CONTINUE"})),
        step("b", json!({"ActionOnFailure": "CANCEL_AND_WAIT"})),
        step("c", json!({})),
    ])).unwrap();
    // WHEN nothing ran THEN only the first step is ready (EMR's queue order)
    assert_eq!(statuses(&spec, &[], 0)[1], NodeStatus::Waiting);
    // WHEN a failed every attempt (CONTINUE) THEN b still runs, as EMR's CONTINUE would
    let a = [
        emr("a", 1, StepState::Failed, Some(1), Some(2)),
        emr("a", 2, StepState::Failed, Some(3), Some(4)),
    ];
    assert_eq!(statuses(&spec, &a, 5)[1], NodeStatus::Ready { attempt: 1 });
    // WHEN b failed with CANCEL_AND_WAIT THEN c is skipped
    let ab = [
        a[0].clone(),
        a[1].clone(),
        emr("b", 1, StepState::Failed, Some(5), Some(6)),
    ];
    assert!(matches!(
        &statuses(&spec, &ab, 7)[2],
        NodeStatus::Skipped(_)
    ));
}

fn rerun_of(skip: &[(&str, &str)]) -> emrflow_core::input::RerunOf {
    emrflow_core::input::RerunOf {
        execution: "etl-2026-11-21".to_string(),
        skip: skip
            .iter()
            .map(|(name, id)| emrflow_core::input::SkippedStep {
                name: name.to_string(),
                step_id: id.to_string(),
                execution: None,
            })
            .collect(),
    }
}

#[test]
fn a_reruns_skipped_steps_count_as_completed_for_what_waits_for_them() {
    // GIVEN a → b → c, re-run skipping a and b (completed in the original)
    let spec = spec(json!([
        step("a", json!({})),
        step("b", json!({"DependsOn": ["a"]})),
        step("c", json!({"DependsOn": ["b"]})),
        step(
            "on_failure",
            json!({"DependsOn": ["c"], "RunIf": "ANY_FAILED"})
        )
    ]))
    .unwrap();
    let rerun = rerun_of(&[("a", "s-A1"), ("b", "s-B1")]);
    let graph = Graph::new(&spec).rerunning(Some(&rerun));
    // WHEN nothing of this execution is on the cluster yet
    let evaluation = evaluate(&graph, &[], EXECUTION, at(0));
    // THEN a and b are SKIPPED with where they completed, and c is submitted at once
    let reason = |index: usize| {
        evaluation.nodes[index]
            .status
            .skip_reason()
            .map(str::to_string)
    };
    assert_eq!(
        reason(0).as_deref(),
        Some("completed in etl-2026-11-21 (s-A1)")
    );
    assert_eq!(
        reason(1).as_deref(),
        Some("completed in etl-2026-11-21 (s-B1)")
    );
    assert_eq!(evaluation.to_submit, vec![(2, 1)]);
    assert!(evaluation.first_failure().is_none());
    // AND once c completes the run is over, the failure handler skipped as usual
    let done = statuses_of(
        &graph,
        &[emr("c", 1, StepState::Completed, Some(1), Some(2))],
        3,
    );
    assert_eq!(done[2], NodeStatus::Succeeded);
    assert_eq!(done[3], NodeStatus::Skipped("no dependency failed".into()));
}

#[test]
fn a_list_rerun_submits_only_the_steps_not_skipped() {
    // GIVEN a list pipeline (no DependsOn, no Retry) re-run skipping its first step
    let spec = spec(json!([
        step("a", json!({})),
        step("b", json!({})),
        step("c", json!({}))
    ]))
    .unwrap();
    let rerun = rerun_of(&[("a", "s-A1")]);
    let graph = Graph::new(&spec).rerunning(Some(&rerun));
    // WHEN evaluated before anything was submitted
    let evaluation = evaluate(&graph, &[], EXECUTION, at(0));
    // THEN b and c go in the one submission, a never
    assert_eq!(evaluation.to_submit, vec![(1, 1), (2, 1)]);
    assert_eq!(evaluation.nodes[0].status.state().as_str(), "SKIPPED");
}

#[test]
fn downstream_of_a_step_is_every_step_that_waits_for_it() {
    // GIVEN a diamond a → (b, c) → d and a lone e
    let spec = spec(json!([
        step("a", json!({})),
        step("b", json!({"DependsOn": ["a"]})),
        step("c", json!({"DependsOn": ["a"]})),
        step("d", json!({"DependsOn": ["b", "c"]})),
        step("e", json!({}))
    ]))
    .unwrap();
    let graph = Graph::new(&spec);
    // WHEN what follows b, and what follows a, is asked
    // THEN b and d follow b; everything but e follows a
    assert_eq!(graph.downstream_of(&[1]), [false, true, false, true, false]);
    assert_eq!(graph.downstream_of(&[0]), [true, true, true, true, false]);
}

fn statuses_of(graph: &Graph<'_>, listed: &[StepSummary], now: i64) -> Vec<NodeStatus> {
    let newest_first: Vec<StepSummary> = listed.iter().rev().cloned().collect();
    evaluate(graph, &newest_first, EXECUTION, at(now))
        .nodes
        .into_iter()
        .map(|node| node.status)
        .collect()
}
