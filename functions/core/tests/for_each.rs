//! Steps over a list (README, "Steps over a list"): a step with ForEach becomes one instance
//! per item when the execution input is normalized, so every handler judges the same
//! instances; a failed item skips only its own chain; and every bad list or Items key is
//! InvalidInput naming the key, before anything exists on EMR.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use emrflow_core::emr::{ActionOnFailure, StepState, StepSummary};
use emrflow_core::graph::{evaluate, FailureKind, Graph, NodeStatus};
use emrflow_core::input::normalize;
use emrflow_core::naming::attempt_name;
use emrflow_core::{Deployment, Function, NormalizedInput};
use serde_json::{json, Value};

const EXECUTION: &str = "run-1";
const TENANTS: [&str; 3] = ["tenant_a", "tenant_b", "tenant_c"];

fn command(name: &str, extra: Value) -> Value {
    let mut step = json!({"Name": name, "Type": "Command", "ActionOnFailure": "CONTINUE",
                          "Args": ["run", "{{ProcessingDate}}"]});
    for (key, value) in extra.as_object().into_iter().flatten() {
        step[key] = value.clone();
    }
    step
}

/// Seed 001's shape: per-tenant ETL → per-tenant analytics → one cross-tenant aggregation.
fn tenants(for_each: Value, aggregate_run_if: &str) -> Value {
    let mut pipeline = sample_pipeline();
    pipeline["Cluster"]["StepConcurrencyLevel"] = json!(3);
    pipeline["Steps"] = json!([
        command(
            "etl",
            json!({"ForEach": for_each, "Retry": {"MaxAttempts": 1, "IntervalSeconds": 60},
                              "TimeoutSeconds": 600,
                              "Args": ["etl", "--tenant-id", "{{Item}}", "s3://tenant-data/{{ Item }}/raw/"]})
        ),
        command(
            "analytics",
            json!({"ForEach": for_each, "DependsOn": ["etl"],
                                    "Args": ["analytics", "{{Item}}"]})
        ),
        command(
            "aggregate",
            json!({"DependsOn": ["analytics"], "RunIf": aggregate_run_if})
        ),
    ]);
    pipeline
}

fn normalized(
    pipeline: Value,
    input: Value,
) -> Result<NormalizedInput, emrflow_core::EmrflowError> {
    let spec = emrflow_core::PipelineSpec::from_value(pipeline)?;
    normalize(
        input,
        EXECUTION,
        "2026-11-22T06:00:00Z",
        &Deployment::new(REGION).with_pipeline(spec),
    )
}

fn names(normalized: &NormalizedInput) -> Vec<&str> {
    normalized
        .pipeline
        .steps
        .iter()
        .map(|step| step.name.as_str())
        .collect()
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T06:00:00Z")
        .expect("time")
        .with_timezone(&Utc)
        + chrono::Duration::seconds(seconds)
}

/// Attempt `attempt` of the step (or instance) `name` as ListSteps shows it, ended at 10s.
fn listed(name: &str, attempt: u32, state: StepState) -> StepSummary {
    let ended = (!state.is_active()).then(|| at(10).to_rfc3339());
    StepSummary {
        id: format!("s-{name}-{attempt}"),
        name: attempt_name(name, EXECUTION, attempt),
        state,
        action_on_failure: Some(ActionOnFailure::Continue),
        created_at: Some(at(0).to_rfc3339()),
        started_at: Some(at(1).to_rfc3339()),
        ended_at: ended,
        failure_details: None,
    }
}

/// Each step's status after one look at `steps` (oldest first) at 20s.
fn statuses(normalized: &NormalizedInput, steps: &[StepSummary]) -> Vec<(String, NodeStatus)> {
    let graph = Graph::new(&normalized.pipeline);
    let newest_first: Vec<StepSummary> = steps.iter().rev().cloned().collect();
    let evaluation = evaluate(&graph, &newest_first, EXECUTION, at(20));
    graph
        .nodes
        .iter()
        .zip(evaluation.nodes)
        .map(|(node, view)| (node.spec.name.clone(), view.status))
        .collect()
}

#[test]
fn a_mapped_step_becomes_one_instance_per_item_waiting_item_by_item() {
    // GIVEN per-tenant ETL and analytics over a list, and an aggregation over all of them
    let pipeline = tenants(json!(TENANTS), "ALL_SUCCEEDED");
    // WHEN the execution input is normalized
    let normalized = normalized(pipeline, json!({"ProcessingDate": "2026-11-21"})).expect("valid");
    // THEN each mapped step is one step per item, named with it, in spec order
    assert_eq!(
        names(&normalized),
        [
            "etl[tenant_a]",
            "etl[tenant_b]",
            "etl[tenant_c]",
            "analytics[tenant_a]",
            "analytics[tenant_b]",
            "analytics[tenant_c]",
            "aggregate"
        ]
    );
    let steps = &normalized.pipeline.steps;
    // AND {{Item}} is the instance's item wherever it is written, the other placeholders too
    let args = |index: usize| match &steps[index].kind {
        emrflow_core::pipeline::StepKind::Command(command) => command.args.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        args(1),
        [
            "etl",
            "--tenant-id",
            "tenant_b",
            "s3://tenant-data/tenant_b/raw/"
        ]
    );
    assert_eq!(args(6), ["run", "2026-11-21"]);
    // AND tenant_b's analytics waits for tenant_b's ETL only; the aggregation for every
    // tenant's analytics
    assert_eq!(steps[4].depends_on, ["etl[tenant_b]"]);
    assert_eq!(
        steps[6].depends_on,
        [
            "analytics[tenant_a]",
            "analytics[tenant_b]",
            "analytics[tenant_c]"
        ]
    );
    // AND Retry and TimeoutSeconds belong to each instance, no instance keeps ForEach
    assert!(steps[..3]
        .iter()
        .all(|step| step.max_attempts() == 2 && step.timeout_seconds == Some(600)));
    assert!(steps.iter().all(|step| step.for_each.is_none()));
    assert_eq!(
        normalized.item_sources,
        ["Steps[0].ForEach", "Steps[1].ForEach"]
    );
}

#[test]
fn from_input_runs_the_inputs_items_else_the_default() {
    // GIVEN steps over Items.Tenants with the three tenants as Default
    let from_input = json!({"FromInput": "Tenants", "Default": TENANTS});
    // WHEN an execution gives one tenant (a backfill) THEN only its instances run
    let backfill = normalized(
        tenants(from_input.clone(), "ALL_SUCCEEDED"),
        json!({"Items": {"Tenants": ["tenant_b"]}}),
    )
    .expect("valid");
    assert_eq!(
        names(&backfill),
        ["etl[tenant_b]", "analytics[tenant_b]", "aggregate"]
    );
    assert_eq!(backfill.item_sources, ["Items.Tenants"]);
    // AND one that gives none (the daily schedule) runs the Default
    let daily = normalized(tenants(from_input, "ALL_SUCCEEDED"), json!({})).expect("valid");
    assert_eq!(daily.pipeline.steps.len(), 7);
    assert_eq!(
        daily.item_sources,
        ["Steps[0].ForEach.Default", "Steps[1].ForEach.Default"]
    );
}

#[test]
fn a_failed_item_skips_only_its_own_chain_and_the_fan_in_judges_every_instance() {
    for (run_if, aggregate) in [
        (
            "ALL_SUCCEEDED",
            NodeStatus::Skipped("dependency 'analytics[tenant_b]' ended SKIPPED".into()),
        ),
        ("ALL_DONE", NodeStatus::Ready { attempt: 1 }),
    ] {
        // GIVEN tenant_b's ETL failed for good (its retry failed too), a and c went through
        let normalized = normalized(tenants(json!(TENANTS), run_if), json!({})).expect("valid");
        let steps = [
            listed("etl[tenant_a]", 1, StepState::Completed),
            listed("etl[tenant_b]", 1, StepState::Failed),
            listed("etl[tenant_c]", 1, StepState::Completed),
            listed("etl[tenant_b]", 2, StepState::Failed),
            listed("analytics[tenant_a]", 1, StepState::Completed),
            listed("analytics[tenant_c]", 1, StepState::Completed),
        ];
        // WHEN the steps are judged
        let statuses = statuses(&normalized, &steps);
        // THEN only tenant_b's analytics is skipped, and the aggregation follows its RunIf
        // over all three analytics
        let status = |name: &str| {
            statuses
                .iter()
                .find(|(step, _)| step == name)
                .map(|(_, status)| status.clone())
                .expect(name)
        };
        assert_eq!(
            status("etl[tenant_b]"),
            NodeStatus::Failed(FailureKind::Failed)
        );
        assert_eq!(
            status("analytics[tenant_b]"),
            NodeStatus::Skipped("dependency 'etl[tenant_b]' ended FAILED".into())
        );
        assert_eq!(status("analytics[tenant_a]"), NodeStatus::Succeeded);
        assert_eq!(status("analytics[tenant_c]"), NodeStatus::Succeeded);
        assert_eq!(status("aggregate"), aggregate, "RunIf {run_if}");
    }
}

#[test]
fn retries_are_counted_per_instance() {
    // GIVEN tenant_b's first ETL attempt failed 10 seconds in, the others still run
    let normalized =
        normalized(tenants(json!(TENANTS), "ALL_SUCCEEDED"), json!({})).expect("valid");
    let steps = [
        listed("etl[tenant_a]", 1, StepState::Running),
        listed("etl[tenant_b]", 1, StepState::Failed),
        listed("etl[tenant_c]", 1, StepState::Running),
    ];
    // WHEN judged at 20s (its 60-second interval not yet over)
    let statuses = statuses(&normalized, &steps);
    // THEN tenant_b alone waits for its second attempt; nothing downstream moves
    assert_eq!(statuses[0].1, NodeStatus::Active);
    assert!(
        matches!(statuses[1].1, NodeStatus::RetryAt { attempt: 2, .. }),
        "{statuses:?}"
    );
    assert_eq!(statuses[2].1, NodeStatus::Active);
    assert!(statuses[3..]
        .iter()
        .all(|(_, status)| *status == NodeStatus::Waiting));
}

#[tokio::test]
async fn add_steps_submits_every_instance_named_with_its_item_and_the_execution() {
    // GIVEN a reused cluster and steps over the input's tenants
    let fake = FakeEmr::new();
    fake.add_cluster("j-REUSE1", "WAITING");
    let pipeline = tenants(json!({"FromInput": "Tenants"}), "ALL_SUCCEEDED");
    let input = json!({"CreateCluster": false, "ClusterId": "j-REUSE1",
                       "Items": {"Tenants": ["tenant_a", "tenant_c"]}, "Pipeline": pipeline});
    let handlers = handlers(&fake);
    // WHEN validate-input and add-steps run for it
    let summary = handlers
        .invoke(
            Function::ValidateInput,
            json!({"Input": input, "ExecutionName": EXECUTION, "StartTime": "2026-11-22T06:00:00Z"}),
        )
        .await
        .expect("valid");
    handlers
        .invoke(
            Function::AddSteps,
            json!({"ClusterId": "j-REUSE1",
                   "Execution": {"Input": input, "Name": EXECUTION, "StartTime": "2026-11-22T06:00:00Z"}}),
        )
        .await
        .expect("added");
    // THEN the summary counts the instances, and EMR got the ETL of both tenants side by side
    assert_eq!(summary["Steps"], 5);
    let submitted: Vec<String> = fake
        .cluster("j-REUSE1")
        .submitted
        .iter()
        .map(|step| step.name.clone())
        .collect();
    assert_eq!(
        submitted,
        ["etl[tenant_a] [run-1]", "etl[tenant_c] [run-1]"]
    );
}

/// The sample pipeline's steps replaced by `steps`.
async fn assert_steps_rejected(steps: Value, input: Value, expected: &str) {
    let mut pipeline = sample_pipeline();
    pipeline["Steps"] = steps;
    let mut input = input;
    input["Pipeline"] = pipeline;
    assert_input_rejected(input, expected).await;
}

#[tokio::test]
async fn bad_lists_in_the_spec_are_refused_naming_the_key() {
    for (for_each, expected) in [
        (json!([]), "key 'Steps[0].ForEach': the list is empty"),
        (
            json!(["a", "b", "a"]),
            "key 'Steps[0].ForEach[2]': 'a' is item 0 already",
        ),
        (
            json!(["a", "b c"]),
            "key 'Steps[0].ForEach[1]': 'b c' is not an item name",
        ),
        (json!(["a", "x]"]), "key 'Steps[0].ForEach[1]'"),
        (
            json!(["a", 2]),
            "key 'Steps[0].ForEach': item 1 is 2, not a string",
        ),
        (
            json!("tenant_a"),
            "key 'Steps[0].ForEach': expected a list of items",
        ),
        (
            json!({"FromInput": "Tenants", "Defaults": ["a"]}),
            "unknown key 'Defaults'",
        ),
        (
            json!({"FromInput": "Items.Tenants"}),
            "key 'Steps[0].ForEach.FromInput': 'Items.Tenants' must be",
        ),
        (
            json!({"FromInput": "Tenants", "Default": []}),
            "key 'Steps[0].ForEach.Default': the list is empty",
        ),
    ] {
        assert_steps_rejected(
            json!([command("etl", json!({"ForEach": for_each}))]),
            json!({}),
            expected,
        )
        .await;
    }
}

#[tokio::test]
async fn item_outside_a_mapped_step_is_refused() {
    assert_steps_rejected(
        json!([
            command("etl", json!({"ForEach": ["a"]})),
            command("report", json!({"Args": ["{{Item}}"]}))
        ]),
        json!({}),
        "key 'Steps[1].Args[0]': {{Item}} is rendered only in a step with ForEach",
    )
    .await;
}

#[tokio::test]
async fn mapped_steps_over_different_lists_cannot_wait_item_by_item() {
    for other in [json!(["a", "c"]), json!({"FromInput": "Tenants"})] {
        assert_steps_rejected(
            json!([
                command("etl", json!({"ForEach": ["a", "b"]})),
                command("load", json!({"ForEach": other, "DependsOn": ["etl"]}))
            ]),
            json!({"Items": {"Tenants": ["a", "b"]}}),
            "key 'Steps[1].DependsOn': step 'load'",
        )
        .await;
    }
    // AND two steps over one input key must agree on its Default
    assert_steps_rejected(
        json!([
            command(
                "etl",
                json!({"ForEach": {"FromInput": "Tenants", "Default": ["a"]}})
            ),
            command("load", json!({"ForEach": {"FromInput": "Tenants"}}))
        ]),
        json!({}),
        "key 'Steps[1].ForEach.Default': steps 'etl' and 'load'",
    )
    .await;
}

#[tokio::test]
async fn bad_items_in_the_execution_input_are_refused_naming_the_key() {
    let steps = json!([command("etl", json!({"ForEach": {"FromInput": "Tenants"}}))]);
    for (input, expected) in [
        (json!({}), "key 'Items.Tenants': required"),
        (
            json!({"Items": {"Tenants": "tenant_a"}}),
            "key 'Items.Tenants': expected an array",
        ),
        (json!({"Items": ["tenant_a"]}), "key 'Items'"),
        (
            json!({"Items": {"Tenants": []}}),
            "key 'Items.Tenants': the list is empty",
        ),
        (
            json!({"Items": {"Tenants": ["ok", "not/ok"]}}),
            "key 'Items.Tenants[1]': 'not/ok' is not an item name",
        ),
        (
            json!({"Items": {"Tenants": ["a"], "Regions": ["eu"]}}),
            "key 'Items.Regions': no step of pipeline 'daily-etl' has ForEach {\"FromInput\": \"Regions\"}",
        ),
    ] {
        assert_steps_rejected(steps.clone(), input, expected).await;
    }
}

#[tokio::test]
async fn instances_count_toward_emrs_256_steps_with_their_retries() {
    // GIVEN 129 items, each instance with one retry: 258 EMR steps in the worst case
    let items: Vec<String> = (0..129).map(|i| format!("t{i}")).collect();
    let retried = json!({"MaxAttempts": 1});
    // WHEN the list is in the spec THEN refused by the spec's validation
    assert_steps_rejected(
        json!([command("etl", json!({"ForEach": items, "Retry": retried}))]),
        json!({}),
        "could submit 258 EMR steps",
    )
    .await;
    // AND WHEN the items come from the input THEN refused naming Items.Tenants
    assert_steps_rejected(
        json!([command("etl", json!({"ForEach": {"FromInput": "Tenants"}, "Retry": retried}))]),
        json!({"Items": {"Tenants": items}}),
        "key 'Items.Tenants': with these items the pipeline runs 129 step instances and, with every attempt of every instance, could submit 258 EMR steps",
    )
    .await;
}

#[tokio::test]
async fn the_step_name_limit_counts_the_item_and_the_execution_suffix() {
    // GIVEN a 180-character step name and a 64-character item: with "[…]" and
    // " [run-2026-11-21]" that is 180 + 66 + 17 = 263 characters
    let item = "i".repeat(64);
    assert_steps_rejected(
        json!([command(
            &"n".repeat(180),
            json!({"ForEach": {"FromInput": "Tenants"}})
        )]),
        json!({"Items": {"Tenants": [item]}}),
        "key 'Steps[0].Name': with item",
    )
    .await;
}

#[tokio::test]
async fn instances_count_toward_the_execution_states_256_kib() {
    // GIVEN 128 items with one retry each: 256 EMR steps, within EMR's limit, but 128 step
    // reports with two attempts each could not fit in Step Functions' state
    let items: Vec<String> = (0..128).map(|i| format!("tenant_{i:03}")).collect();
    assert_steps_rejected(
        json!([command("etl", json!({"ForEach": {"FromInput": "Tenants"}, "Retry": {"MaxAttempts": 1}}))]),
        json!({"Items": {"Tenants": items}}),
        "key 'Items.Tenants': with these items the pipeline runs 128 steps and instances, and in the worst case",
    )
    .await;
}
