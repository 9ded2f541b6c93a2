//! InputPath, Parameters, ResultSelector, ResultPath and OutputPath with the examples
//! from the Step Functions documentation.

mod common;

use std::sync::Arc;

use common::*;
use emrflow_asl::ExecutionStatus;
use serde_json::{json, Value};

fn failed_with(result: &emrflow_asl::ExecutionResult, name: &str) -> bool {
    matches!(&result.status, ExecutionStatus::Failed { error, .. } if error == name)
}

async fn run_task(
    task: Value,
    input: Value,
    reply: Reply,
) -> (emrflow_asl::ExecutionResult, Arc<ScriptedInvoker>) {
    let clock = virtual_clock();
    let invoker = Arc::new(ScriptedInvoker::new(clock.clone()).script("fn", vec![reply]));
    let mut state = task;
    state["Type"] = json!("Task");
    state["Resource"] = json!("fn");
    state["End"] = json!(true);
    let definition = json!({"StartAt": "T", "States": {"T": state}});
    let result = run_with(definition, input, clock, invoker.clone()).await;
    (result, invoker)
}

#[tokio::test]
async fn docs_example_input_path_result_path_output_path() {
    // GIVEN the documentation's example: InputPath "$.lambda", ResultPath "$.data",
    // OutputPath "$.data" around a Lambda returning "Hello, AWS Step Functions!"
    let input = json!({"comment": "An input comment.", "data": {"val1": 23, "val2": 17},
        "extra": "foo", "lambda": {"who": "AWS Step Functions"}});
    let (result, invoker) = run_task(
        json!({"InputPath": "$.lambda", "ResultPath": "$.data.lambdaresult", "OutputPath": "$.data"}),
        input,
        Reply::Ok(json!("Hello, AWS Step Functions!")),
    )
    .await;
    // THEN the function got $.lambda and the output is the data object with the result
    assert_eq!(
        invoker.calls()[0].payload,
        json!({"who": "AWS Step Functions"})
    );
    assert_eq!(
        result.output,
        Some(json!({"val1": 23, "val2": 17, "lambdaresult": "Hello, AWS Step Functions!"}))
    );
}

#[tokio::test]
async fn docs_example_result_selector() {
    // GIVEN a result like an EMR CreateCluster response and a ResultSelector
    let reply = json!({"resourceType": "elasticmapreduce", "resource": "createCluster.sync",
        "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE", "Status": {"State": "WAITING"}}});
    let (result, _) = run_task(
        json!({"ResultSelector": {"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"},
               "ResultPath": "$.EMROutput"}),
        json!({"in": 1}),
        Reply::Ok(reply),
    )
    .await;
    // THEN only the selected fields are placed at ResultPath
    assert_eq!(
        result.output,
        Some(
            json!({"in": 1, "EMROutput": {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce"}})
        )
    );
}

#[tokio::test]
async fn docs_example_parameters_with_paths_and_nested_objects() {
    // GIVEN Parameters with static values, `.$` paths, nested objects and an indefinite path
    let input = json!({"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]});
    let (_, invoker) = run_task(
        json!({"Parameters": {"flagged": true, "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[-3:]"},
                              "all.$": "$.vals[*]", "execution.$": "$$.Execution.Name", "list": [{"x.$": "$.flagged"}]}}),
        input,
        Reply::Ok(json!(null)),
    )
    .await;
    // THEN the payload is rendered with AWS semantics
    assert_eq!(
        invoker.calls()[0].payload,
        json!({"flagged": true, "parts": {"first": 0, "last3": [30, 40, 50]},
               "all": [0, 10, 20, 30, 40, 50], "execution": "test-run", "list": [{"x": 7}]})
    );
}

#[tokio::test]
async fn result_path_null_discards_the_result() {
    let (result, _) = run_task(
        json!({"ResultPath": null}),
        json!({"keep": 1}),
        Reply::Ok(json!("ignored")),
    )
    .await;
    assert_eq!(result.output, Some(json!({"keep": 1})));
}

#[tokio::test]
async fn result_path_creates_nested_objects_and_overwrites_fields() {
    let (result, _) = run_task(
        json!({"ResultPath": "$.a.b"}),
        json!({"a": {"b": "old", "c": 1}}),
        Reply::Ok(json!({"new": true})),
    )
    .await;
    assert_eq!(
        result.output,
        Some(json!({"a": {"b": {"new": true}, "c": 1}}))
    );
    let (result, _) = run_task(
        json!({"ResultPath": "$.x.y.z"}),
        json!({}),
        Reply::Ok(json!(1)),
    )
    .await;
    assert_eq!(result.output, Some(json!({"x": {"y": {"z": 1}}})));
}

#[tokio::test]
async fn result_path_on_a_non_object_input_fails() {
    let (result, _) = run_task(
        json!({"ResultPath": "$.r"}),
        json!("text"),
        Reply::Ok(json!(1)),
    )
    .await;
    assert!(failed_with(&result, "States.ResultPathMatchFailure"));
}

#[tokio::test]
async fn input_path_null_and_output_path_null_give_empty_objects() {
    // GIVEN InputPath null THEN the function receives {}
    let (result, invoker) = run_task(
        json!({"InputPath": null}),
        json!({"a": 1}),
        Reply::Ok(json!(5)),
    )
    .await;
    assert_eq!(invoker.calls()[0].payload, json!({}));
    assert_eq!(result.output, Some(json!(5)));
    // GIVEN OutputPath null THEN the state's output is {}
    let (result, _) = run_task(
        json!({"OutputPath": null}),
        json!({"a": 1}),
        Reply::Ok(json!(5)),
    )
    .await;
    assert_eq!(result.output, Some(json!({})));
}

#[tokio::test]
async fn paths_that_match_nothing_are_runtime_errors() {
    // GIVEN each path field pointing at a missing field THEN the execution fails with States.Runtime
    for task in [
        json!({"InputPath": "$.missing"}),
        json!({"Parameters": {"x.$": "$.missing"}}),
        json!({"ResultSelector": {"x.$": "$.missing"}}),
        json!({"OutputPath": "$.missing"}),
    ] {
        let (result, _) = run_task(task.clone(), json!({"a": 1}), Reply::Ok(json!({"b": 2}))).await;
        assert!(
            failed_with(&result, "States.Runtime"),
            "{task}: {:?}",
            result.status
        );
    }
}

#[tokio::test]
async fn runtime_errors_are_not_caught_by_states_all() {
    // GIVEN a Parameters path error on a Task with Catch States.ALL
    let definition = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "echo", "Parameters": {"x.$": "$.missing"}, "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
        "Caught": {"Type": "Succeed"}}});
    // WHEN it runs THEN States.Runtime ends the execution anyway
    let result = run(definition, json!({})).await;
    assert!(failed_with(&result, "States.Runtime"));
}

#[tokio::test]
async fn intrinsic_functions_in_parameters() {
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true, "Parameters": {
        "greeting.$": "States.Format('Hello {}', $.name)",
        "parts.$": "States.ArrayPartition(States.ArrayRange(1, 5, 1), 2)",
        "count.$": "States.ArrayLength($.list)",
        "json.$": "States.JsonToString($.obj)",
        "merged.$": "States.JsonMerge($.obj, States.StringToJson('{\"b\":2}'), false)"
    }}}});
    let result = run(
        definition,
        json!({"name": "Ada", "list": [1, 2], "obj": {"a": 1}}),
    )
    .await;
    assert_eq!(
        result.output,
        Some(
            json!({"greeting": "Hello Ada", "parts": [[1, 2], [3, 4], [5]], "count": 2,
                    "json": "{\"a\":1}", "merged": {"a": 1, "b": 2}})
        )
    );
}

#[tokio::test]
async fn intrinsic_failure_can_be_caught() {
    let definition = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "echo", "End": true,
              "Parameters": {"x.$": "States.ArrayGetItem($.list, 9)"},
              "Catch": [{"ErrorEquals": ["States.IntrinsicFailure"], "ResultPath": "$.error", "Next": "Caught"}]},
        "Caught": {"Type": "Pass", "End": true}}});
    let result = run(definition, json!({"list": []})).await;
    assert_eq!(
        result.output.unwrap()["error"]["Error"],
        json!("States.IntrinsicFailure")
    );
}
