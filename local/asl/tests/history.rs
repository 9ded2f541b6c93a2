//! History event shapes, ids and previousEventId chains, the observer and transition counts.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use emrflow_asl::{execute, ExecutionOptions, ExecutionStatus, FnObserver};
use serde_json::{json, Value};

const FUNCTION: &str = "arn:aws:lambda:eu-west-1:123456789012:function:check-steps";

/// A check-steps handler whose verdict is RUNNING.
fn running_check(clock: Arc<emrflow_asl::VirtualClock>) -> Arc<ScriptedInvoker> {
    Arc::new(
        ScriptedInvoker::new(clock)
            .script(FUNCTION, vec![Reply::Ok(json!({"Verdict": "RUNNING"}))]),
    )
}

fn task_choice_fail() -> Value {
    json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Task", "Resource": FUNCTION, "Parameters": {"ClusterId.$": "$.ClusterId"}, "ResultPath": "$.Check", "Next": "Done?"},
        "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.Check.Verdict", "StringEquals": "COMPLETED", "Next": "Ok"}], "Default": "Broken"},
        "Ok": {"Type": "Succeed"},
        "Broken": {"Type": "Fail", "Error": "StepFailed", "Cause": "verdict was not COMPLETED"}
    }})
}

#[tokio::test]
async fn task_choice_fail_history_has_aws_event_types_and_chain() {
    // GIVEN a Task → Choice → Fail machine and a handler whose verdict is RUNNING
    let clock = virtual_clock();
    let invoker = running_check(clock.clone());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_by_observer = seen.clone();
    let options = ExecutionOptions::new("daily-2026-01-15", json!({"ClusterId": "j-1"}), invoker)
        .with_clock(clock)
        .with_state_machine_name("emrflow")
        .with_observer(Arc::new(FnObserver(
            move |event: &emrflow_asl::HistoryEvent| {
                seen_by_observer.lock().unwrap().push(event.id);
            },
        )));
    // WHEN it runs
    let result = execute(&machine(task_choice_fail()), options).await;
    // THEN the event types are those of GetExecutionHistory
    assert_eq!(
        event_types(&result),
        vec![
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "FailStateEntered",
            "ExecutionFailed",
        ]
    );
    // AND ids count from 1, each event chains to the previous one
    for (index, event) in result.history.iter().enumerate() {
        assert_eq!(event.id, index as u64 + 1);
        assert_eq!(event.previous_event_id, index as u64);
    }
    // AND the observer saw every event, in order, as it happened
    assert_eq!(*seen.lock().unwrap(), (1..=10).collect::<Vec<u64>>());
    // AND the execution failed with the Fail state's error; 3 states were entered
    assert_eq!(
        result.status,
        ExecutionStatus::Failed {
            error: "StepFailed".into(),
            cause: "verdict was not COMPLETED".into()
        }
    );
    assert_eq!(result.state_transitions, 3);
}

#[tokio::test]
async fn history_events_serialize_like_get_execution_history() {
    // GIVEN the same machine WHEN it runs
    let clock = virtual_clock();
    let invoker = running_check(clock.clone());
    let result = run_with(
        task_choice_fail(),
        json!({"ClusterId": "j-1"}),
        clock,
        invoker,
    )
    .await;
    let events: Vec<Value> = result
        .history
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    // THEN each details object has AWS's field names with JSON strings for payloads
    assert_eq!(
        events[0],
        json!({"timestamp": "2026-01-15T06:00:00.000Z", "type": "ExecutionStarted", "id": 1, "previousEventId": 0,
               "executionStartedEventDetails": {"input": "{\"ClusterId\":\"j-1\"}", "inputDetails": {"truncated": false},
                                                "roleArn": "arn:aws:iam::123456789012:role/emrflow-local"}})
    );
    assert_eq!(
        events[1]["stateEnteredEventDetails"],
        json!({"name": "Check", "input": "{\"ClusterId\":\"j-1\"}", "inputDetails": {"truncated": false}})
    );
    assert_eq!(
        events[2]["taskScheduledEventDetails"],
        json!({"resourceType": "lambda", "resource": FUNCTION, "region": "eu-west-1", "parameters": "{\"ClusterId\":\"j-1\"}"})
    );
    assert_eq!(
        events[3]["taskStartedEventDetails"],
        json!({"resourceType": "lambda", "resource": FUNCTION})
    );
    assert_eq!(
        events[4]["taskSucceededEventDetails"],
        json!({"resourceType": "lambda", "resource": FUNCTION, "output": "{\"Verdict\":\"RUNNING\"}", "outputDetails": {"truncated": false}})
    );
    // Key order inside the JSON strings depends on serde_json's features: compare as JSON.
    let exited = &events[5]["stateExitedEventDetails"];
    assert_eq!(exited["name"], "Check");
    assert_eq!(exited["outputDetails"], json!({"truncated": false}));
    assert_eq!(
        parsed(&exited["output"]),
        json!({"Check": {"Verdict": "RUNNING"}, "ClusterId": "j-1"})
    );
    assert_eq!(
        events[8]["stateEnteredEventDetails"]["name"],
        json!("Broken")
    );
    assert_eq!(
        events[9]["executionFailedEventDetails"],
        json!({"error": "StepFailed", "cause": "verdict was not COMPLETED"})
    );
    // AND only the details object of the event's own type is present
    assert_eq!(events[2].as_object().unwrap().len(), 5);
}

#[tokio::test]
async fn task_failure_events_and_success_output() {
    // GIVEN a failing task caught to a Succeed state
    let clock = virtual_clock();
    let invoker = Arc::new(ScriptedInvoker::new(clock.clone()).script(
        "fn",
        vec![Reply::Err(
            "ClusterNotFound",
            "{\"errorType\":\"ClusterNotFound\"}",
        )],
    ));
    let definition = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "fn", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "S"}], "End": true},
        "S": {"Type": "Succeed"}}});
    // WHEN it runs
    let result = run_with(definition, json!({}), clock, invoker).await;
    let events: Vec<Value> = result
        .history
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    // THEN TaskFailed carries the error and the execution succeeded with the catch output
    let failed = events.iter().find(|e| e["type"] == "TaskFailed").unwrap();
    assert_eq!(
        failed["taskFailedEventDetails"],
        json!({"resourceType": "lambda", "resource": "fn", "error": "ClusterNotFound", "cause": "{\"errorType\":\"ClusterNotFound\"}"})
    );
    let last = events.last().unwrap();
    assert_eq!(last["type"], "ExecutionSucceeded");
    assert_eq!(
        parsed(&last["executionSucceededEventDetails"]["output"]),
        json!({"Cause": "{\"errorType\":\"ClusterNotFound\"}", "Error": "ClusterNotFound"})
    );
}

#[tokio::test]
async fn event_timestamps_come_from_the_clock() {
    let definition =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 120, "End": true}}});
    let result = run(definition, json!({})).await;
    let exited = event(&result, "WaitStateExited");
    assert_eq!(
        serde_json::to_value(exited).unwrap()["timestamp"],
        json!("2026-01-15T06:02:00.000Z")
    );
}

#[tokio::test]
async fn parallel_branch_events_chain_to_the_parallel_start() {
    // GIVEN a Parallel with two single-state branches
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]}}});
    // WHEN it runs
    let result = run(definition, json!({})).await;
    // THEN each branch's first event points at ParallelStateStarted
    let started = event(&result, "ParallelStateStarted");
    let branch_starts: Vec<_> = result
        .history
        .iter()
        .filter(|e| e.event_type == "PassStateEntered")
        .collect();
    assert_eq!(branch_starts.len(), 2);
    for event in branch_starts {
        assert_eq!(event.previous_event_id, started.id);
    }
    // AND transitions: P + A + B
    assert_eq!(result.state_transitions, 3);
}

#[tokio::test]
async fn transitions_count_states_in_map_iterations_and_loops() {
    // GIVEN a loop Pass → Choice that runs three times, then a Map over two items of one state
    let definition = json!({"StartAt": "Count", "States": {
        "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)", "items.$": "$.items"}, "Next": "Again?"},
        "Again?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": 3, "Next": "Count"}], "Default": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "End": true,
                 "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}
    }});
    // WHEN it runs from n = 0
    let result = run(definition, json!({"n": 0, "items": ["a", "b"]})).await;
    // THEN transitions = 3 × (Count + Again?) + Each + one state per iteration
    assert_eq!(result.status, ExecutionStatus::Succeeded);
    assert_eq!(result.state_transitions, 3 * 2 + 1 + 2);
}

/// A JSON document held in a history event's string field.
fn parsed(field: &Value) -> Value {
    serde_json::from_str(field.as_str().expect("a JSON string")).expect("valid JSON")
}
