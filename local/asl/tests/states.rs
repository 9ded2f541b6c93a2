//! Each state type, end to end on a virtual clock.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use emrflow_asl::{ExecutionStatus, ScaledClock};
use serde_json::json;

#[tokio::test]
async fn pass_state_injects_result_at_result_path() {
    // GIVEN a Pass state with a Result placed at $.coords
    let definition = json!({"StartAt": "P", "States": {"P": {
        "Type": "Pass", "Result": {"x": 1, "y": 2}, "ResultPath": "$.coords", "End": true}}});
    // WHEN it runs
    let result = run(definition, json!({"keep": true})).await;
    // THEN the result is merged into the input
    assert_eq!(result.status, ExecutionStatus::Succeeded);
    assert_eq!(
        result.output,
        Some(json!({"keep": true, "coords": {"x": 1, "y": 2}}))
    );
}

#[tokio::test]
async fn pass_state_without_result_passes_parameters_through() {
    let definition = json!({"StartAt": "P", "States": {"P": {
        "Type": "Pass", "Parameters": {"name.$": "$.user.name", "fixed": 1}, "End": true}}});
    let result = run(definition, json!({"user": {"name": "ada"}})).await;
    assert_eq!(result.output, Some(json!({"name": "ada", "fixed": 1})));
}

#[tokio::test]
async fn succeed_state_applies_input_and_output_paths() {
    let definition = json!({"StartAt": "S", "States": {"S": {
        "Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}}});
    let result = run(definition, json!({"a": {"b": 7}})).await;
    assert_eq!(result.output, Some(json!(7)));
}

#[tokio::test]
async fn fail_state_with_literal_error_and_cause() {
    let definition = json!({"StartAt": "F", "States": {"F": {
        "Type": "Fail", "Error": "CustomError", "Cause": "it broke"}}});
    let result = run(definition, json!({})).await;
    assert_eq!(
        result.status,
        ExecutionStatus::Failed {
            error: "CustomError".into(),
            cause: "it broke".into()
        }
    );
    assert_eq!(result.output, None);
}

#[tokio::test]
async fn fail_state_with_error_path_and_cause_path() {
    // GIVEN a Fail state that takes its error and cause from the input
    let definition = json!({"StartAt": "F", "States": {"F": {
        "Type": "Fail", "ErrorPath": "$.Error", "CausePath": "States.Format('step {} failed', $.Step)"}}});
    // WHEN it runs
    let result = run(definition, json!({"Error": "StepFailed", "Step": "load"})).await;
    // THEN the execution fails with them
    assert_eq!(
        result.status,
        ExecutionStatus::Failed {
            error: "StepFailed".into(),
            cause: "step load failed".into()
        }
    );
}

#[tokio::test]
async fn wait_seconds_advances_the_virtual_clock_without_real_time() {
    // GIVEN a one-hour Wait on a virtual clock
    let definition =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let clock = virtual_clock();
    let invoker = Arc::new(ScriptedInvoker::new(clock.clone()));
    let real_start = Instant::now();
    // WHEN it runs
    let result = run_with(definition, json!({"a": 1}), clock.clone(), invoker).await;
    // THEN an hour passed on the clock, almost nothing in reality, and input passes through
    assert!(real_start.elapsed() < Duration::from_secs(2));
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(3600)]);
    assert_eq!(
        result.stop_date - result.start_date,
        chrono::Duration::seconds(3600)
    );
    assert_eq!(result.output, Some(json!({"a": 1})));
}

#[tokio::test]
async fn wait_seconds_path_timestamp_and_timestamp_path() {
    // GIVEN Waits by SecondsPath, an absolute Timestamp and a TimestampPath
    let definition = json!({"StartAt": "A", "States": {
        "A": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "B"},
        "B": {"Type": "Wait", "Timestamp": "2026-01-15T07:00:00Z", "Next": "C"},
        "C": {"Type": "Wait", "TimestampPath": "$.until", "Next": "D"},
        "D": {"Type": "Wait", "Timestamp": "2000-01-01T00:00:00Z", "End": true}
    }});
    let clock = virtual_clock();
    let invoker = Arc::new(ScriptedInvoker::new(clock.clone()));
    // WHEN run from 06:00
    let result = run_with(
        definition,
        json!({"delay": 90, "until": "2026-01-15T07:30:00Z"}),
        clock.clone(),
        invoker,
    )
    .await;
    // THEN each Wait slept until its target and a past timestamp does not wait
    assert_eq!(result.status, ExecutionStatus::Succeeded);
    assert_eq!(
        clock.sleeps(),
        vec![
            Duration::from_secs(90),
            Duration::from_secs(3600 - 90),
            Duration::from_secs(1800),
            Duration::ZERO
        ]
    );
}

#[tokio::test]
async fn wait_seconds_path_that_is_not_a_number_is_a_runtime_error() {
    let definition = json!({"StartAt": "A", "States": {"A": {"Type": "Wait", "SecondsPath": "$.delay", "End": true}}});
    let result = run(definition, json!({"delay": "soon"})).await;
    assert!(
        matches!(result.status, ExecutionStatus::Failed { ref error, .. } if error == "States.Runtime")
    );
}

#[tokio::test]
async fn a_scaled_clock_shortens_waits_and_records_wall_clock_times() {
    // GIVEN a one-hour Wait on a clock scaled by 0.0001, then a Pass reading the `$$` times
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 3600, "Next": "Read"},
        "Read": {"Type": "Pass", "End": true, "Parameters": {
            "Started.$": "$$.Execution.StartTime", "Entered.$": "$$.State.EnteredTime"}}}});
    let clock = virtual_clock();
    let invoker = Arc::new(ScriptedInvoker::new(clock));
    let options = emrflow_asl::ExecutionOptions::new("scaled", json!({}), invoker)
        .with_clock(Arc::new(ScaledClock::new(0.0001)));
    let (wall_before, real_start) = (chrono::Utc::now(), Instant::now());
    // WHEN it runs
    let result = emrflow_asl::execute(&machine(definition), options).await;
    let (wall_after, real) = (chrono::Utc::now(), real_start.elapsed());
    // THEN the Wait took about 0.36 s of real time
    assert!(
        real >= Duration::from_millis(350) && real < Duration::from_secs(5),
        "{real:?}"
    );
    // AND every recorded time is wall-clock time: the history's timestamps, the start and
    // stop dates and the context object's times all fall within the real run
    let wall = wall_before..=wall_after;
    for event in &result.history {
        assert!(wall.contains(&event.timestamp), "{}", event.event_type);
    }
    assert!(wall.contains(&result.start_date) && wall.contains(&result.stop_date));
    let output = result.output.expect("output");
    // (the context object's times are written to the millisecond, so one may read up to 1 ms
    // before the instant the test took with full precision)
    let to_the_ms = (wall_before - chrono::Duration::milliseconds(1))..=wall_after;
    for key in ["Started", "Entered"] {
        let text = output[key].as_str().expect("a timestamp");
        let time = chrono::DateTime::parse_from_rfc3339(text).expect("RFC 3339");
        assert!(
            to_the_ms.contains(&time.with_timezone(&chrono::Utc)),
            "{key}: {text}"
        );
    }
    let span = result.stop_date - result.start_date;
    assert!(span < chrono::Duration::seconds(5), "{span}");
}

#[tokio::test]
async fn choice_routes_to_first_matching_rule_then_default() {
    // GIVEN a Choice with two rules and a Default
    let definition = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
            {"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Medium"}
        ], "Default": "Small"},
        "Big": {"Type": "Pass", "Result": "big", "End": true},
        "Medium": {"Type": "Pass", "Result": "medium", "End": true},
        "Small": {"Type": "Pass", "Result": "small", "End": true}
    }});
    // WHEN run with values for each branch THEN the first matching rule wins
    for (n, expected) in [(20, "big"), (7, "medium"), (1, "small")] {
        let result = run(definition.clone(), json!({"n": n})).await;
        assert_eq!(result.output, Some(json!(expected)), "n = {n}");
    }
}

#[tokio::test]
async fn choice_without_match_or_default_fails_with_no_choice_matched() {
    let definition = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}]},
        "One": {"Type": "Succeed"}
    }});
    let result = run(definition, json!({"n": 2})).await;
    assert!(
        matches!(result.status, ExecutionStatus::Failed { ref error, .. } if error == "States.NoChoiceMatched")
    );
}

#[tokio::test]
async fn task_sends_parameters_and_places_the_result() {
    // GIVEN a Task that sends Parameters and stores the result at $.out
    let clock = virtual_clock();
    let invoker = Arc::new(ScriptedInvoker::new(clock.clone()).script(
        "arn:aws:lambda:eu-west-1:1:function:f",
        vec![Reply::Ok(json!({"ok": 1}))],
    ));
    let definition = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:1:function:f",
        "Parameters": {"Id.$": "$.id", "Const": "c"}, "ResultPath": "$.out", "End": true}}});
    // WHEN it runs
    let result = run_with(definition, json!({"id": "j-1"}), clock, invoker.clone()).await;
    // THEN the handler got the rendered payload and the output holds input + result
    assert_eq!(
        invoker.calls()[0].payload,
        json!({"Id": "j-1", "Const": "c"})
    );
    assert_eq!(result.output, Some(json!({"id": "j-1", "out": {"ok": 1}})));
}

#[tokio::test]
async fn task_timeout_seconds_fails_a_slow_handler_with_states_timeout() {
    // GIVEN a Task with TimeoutSeconds 10 whose handler takes 30 s, or 5 s
    for (handler_seconds, times_out) in [(30, true), (5, false)] {
        let clock = virtual_clock();
        let invoker = Arc::new(
            ScriptedInvoker::new(clock.clone())
                .script("slow", vec![Reply::SlowOk(handler_seconds, json!(1))]),
        );
        let definition = json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "slow", "TimeoutSeconds": 10, "HeartbeatSeconds": 5, "End": true}}});
        // WHEN it runs
        let result = run_with(definition, json!({}), clock, invoker).await;
        if times_out {
            // THEN the slow one fails with States.Timeout after a TaskTimedOut event
            assert!(
                matches!(result.status, ExecutionStatus::Failed { ref error, .. } if error == "States.Timeout")
            );
            assert!(event_types(&result).contains(&"TaskTimedOut".to_string()));
        } else {
            // AND the quick one succeeds
            assert_eq!(result.output, Some(json!(1)));
        }
    }
}

#[tokio::test]
async fn a_timeout_cause_names_the_state_and_its_limit() {
    // GIVEN Check_Steps with TimeoutSeconds 120 whose handler takes 200 s
    let clock = virtual_clock();
    let invoker = Arc::new(
        ScriptedInvoker::new(clock.clone()).script("slow", vec![Reply::SlowOk(200, json!(1))]),
    );
    let definition = json!({"StartAt": "Check_Steps", "States": {"Check_Steps": {
        "Type": "Task", "Resource": "slow", "TimeoutSeconds": 120, "End": true}}});
    // WHEN it runs
    let result = run_with(definition, json!({}), clock, invoker).await;
    // THEN the cause says which state and which limit
    assert_eq!(
        result.status,
        ExecutionStatus::Failed {
            error: "States.Timeout".into(),
            cause: "The state Check_Steps did not finish within its TimeoutSeconds of 120 seconds"
                .into()
        }
    );
}

#[tokio::test]
async fn execution_timeout_seconds_times_the_execution_out() {
    // GIVEN a machine with TimeoutSeconds 60 that waits 120 s
    let definition = json!({"TimeoutSeconds": 60, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 120, "End": true}}});
    // WHEN it runs
    let result = run(definition, json!({})).await;
    // THEN the execution timed out
    assert!(
        matches!(result.status, ExecutionStatus::TimedOut { ref error, .. } if error == "States.Timeout")
    );
    assert_eq!(result.status.as_str(), "TIMED_OUT");
    assert_eq!(event_types(&result).last().unwrap(), "ExecutionTimedOut");
}

#[tokio::test]
async fn parallel_collects_branch_outputs_in_order() {
    // GIVEN two branches transforming the same input
    let definition = json!({"StartAt": "P", "States": {"P": {
    "Type": "Parallel", "ResultPath": "$.results", "End": true,
    "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$.x", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 5, "Next": "B2"},
                                     "B2": {"Type": "Pass", "Result": "second", "End": true}}}
    ]}}});
    // WHEN it runs
    let result = run(definition, json!({"x": "first"})).await;
    // THEN the results array follows branch order
    assert_eq!(
        result.output,
        Some(json!({"x": "first", "results": ["first", "second"]}))
    );
    let types = event_types(&result);
    assert!(types.contains(&"ParallelStateStarted".to_string()));
    assert!(types.contains(&"ParallelStateSucceeded".to_string()));
}

#[tokio::test]
async fn parallel_branch_failure_fails_the_state_and_can_be_caught() {
    // GIVEN a branch that fails and a Catch on the Parallel state
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Ok",
              "Catch": [{"ErrorEquals": ["BranchBroke"], "ResultPath": "$.err", "Next": "Handled"}],
              "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Fail", "Error": "BranchBroke", "Cause": "b"}}}
              ]},
        "Ok": {"Type": "Succeed"},
        "Handled": {"Type": "Pass", "End": true}
    }});
    // WHEN it runs
    let result = run(definition, json!({"in": 1})).await;
    // THEN the branch error reaches the Catch
    assert_eq!(
        result.output,
        Some(json!({"in": 1, "err": {"Error": "BranchBroke", "Cause": "b"}}))
    );
    assert!(event_types(&result).contains(&"ParallelStateFailed".to_string()));
}

#[tokio::test]
async fn map_runs_each_item_with_item_selector_and_context() {
    // GIVEN a Map over $.items with an ItemSelector using $$.Map.Item
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "ResultPath": "$.out", "End": true,
        "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "prefix.$": "$.prefix"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Fmt", "States": {
            "Fmt": {"Type": "Pass", "Parameters": {"s.$": "States.Format('{}{}-{}', $.prefix, $.index, $.value)"}, "OutputPath": "$.s", "End": true}}}
    }}});
    // WHEN it runs
    let result = run(definition, json!({"prefix": "p", "items": ["a", "b", "c"]})).await;
    // THEN each iteration's output lands in order
    assert_eq!(result.status, ExecutionStatus::Succeeded);
    assert_eq!(
        result.output.as_ref().unwrap()["out"],
        json!(["p0-a", "p1-b", "p2-c"])
    );
    let types = event_types(&result);
    assert_eq!(
        types.iter().filter(|t| *t == "MapIterationStarted").count(),
        3
    );
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "MapIterationSucceeded")
            .count(),
        3
    );
    let started = event(&result, "MapStateStarted");
    assert_eq!(
        started
            .map_state_started_event_details
            .as_ref()
            .unwrap()
            .length,
        3
    );
}

#[tokio::test]
async fn map_with_legacy_iterator_and_tasks() {
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "Parameters": {"n.$": "$$.Map.Item.Value"}, "End": true,
        "Iterator": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "echo", "End": true}}}}}});
    let result = run(definition, json!([1, 2])).await;
    assert_eq!(result.output, Some(json!([{"n": 1}, {"n": 2}])));
}

#[tokio::test]
async fn map_iteration_failure_fails_the_map() {
    // GIVEN an iteration that fails on item "bad"
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "F"}], "Default": "Ok"},
            "F": {"Type": "Fail", "Error": "BadItem", "Cause": "bad"},
            "Ok": {"Type": "Succeed"}}}}}});
    // WHEN it runs
    let result = run(definition, json!(["good", "bad", "good"])).await;
    // THEN the execution fails with the iteration's error
    assert_eq!(
        result.status,
        ExecutionStatus::Failed {
            error: "BadItem".into(),
            cause: "bad".into()
        }
    );
    let types = event_types(&result);
    assert!(types.contains(&"MapIterationFailed".to_string()));
    assert!(types.contains(&"MapStateFailed".to_string()));
}

#[tokio::test]
async fn map_items_path_must_select_an_array() {
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "End": true,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    let result = run(definition, json!({"items": "nope"})).await;
    assert!(
        matches!(result.status, ExecutionStatus::Failed { ref error, .. } if error == "States.Runtime")
    );
}

#[tokio::test]
async fn oversized_task_result_is_data_limit_exceeded() {
    // GIVEN a handler returning more than 256 KiB
    let clock = virtual_clock();
    let big = "x".repeat(emrflow_asl::PAYLOAD_LIMIT_BYTES + 1);
    let invoker =
        Arc::new(ScriptedInvoker::new(clock.clone()).script("big", vec![Reply::Ok(json!(big))]));
    let definition = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "big", "End": true,
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
        "Caught": {"Type": "Succeed"}}});
    // WHEN it runs
    let result = run_with(definition, json!({}), clock, invoker).await;
    // THEN States.DataLimitExceeded ends the execution (States.ALL does not catch it)
    assert!(
        matches!(result.status, ExecutionStatus::Failed { ref error, .. } if error == "States.DataLimitExceeded")
    );
}

#[tokio::test]
async fn execution_timeout_stops_an_endless_poll_loop_on_a_virtual_clock() {
    // GIVEN a Wait → Choice loop that never ends and TimeoutSeconds 3600
    let definition = json!({"TimeoutSeconds": 3600, "StartAt": "Poll", "States": {
        "Poll": {"Type": "Wait", "Seconds": 30, "Next": "Done?"},
        "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": true, "Next": "End"}], "Default": "Poll"},
        "End": {"Type": "Succeed"}}});
    // WHEN it runs on the virtual clock
    let result = run(definition, json!({"done": false})).await;
    // THEN it times out after about an hour of clock time instead of looping forever
    assert_eq!(result.status.as_str(), "TIMED_OUT");
    let elapsed = (result.stop_date - result.start_date).num_seconds();
    assert!((3600..=3630).contains(&elapsed), "{elapsed}");
}

#[tokio::test]
async fn endless_loop_without_timeout_hits_the_history_quota() {
    // GIVEN a loop with no TimeoutSeconds
    let definition = json!({"StartAt": "Poll", "States": {
        "Poll": {"Type": "Wait", "Seconds": 30, "Next": "Poll"}}});
    // WHEN it runs THEN it fails once the 25,000-event history quota is reached
    let result = run(definition, json!({})).await;
    assert!(
        matches!(result.status, ExecutionStatus::Failed { ref error, ref cause }
        if error == "States.Runtime" && cause.contains("25000"))
    );
    assert!(result.history.len() <= emrflow_asl::HISTORY_EVENT_LIMIT);
}
