//! Retry back-off timing (asserted on the virtual clock) and Catch.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use emrflow_asl::ExecutionStatus;
use serde_json::{json, Value};

fn task_machine(retry: Value, catch: Value) -> Value {
    let mut definition = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "fn", "Retry": retry, "Catch": catch, "Next": "Done"},
        "Done": {"Type": "Succeed"}
    }});
    // Only add the recovery state when a Catch can reach it (unreachable states are refused).
    if definition["States"]["T"]["Catch"]
        .as_array()
        .is_some_and(|c| !c.is_empty())
    {
        definition["States"]["Recover"] = json!({"Type": "Pass", "End": true});
    }
    definition
}

/// Seconds between consecutive calls of the task.
fn gaps(invoker: &ScriptedInvoker) -> Vec<i64> {
    invoker
        .calls()
        .windows(2)
        .map(|pair| (pair[1].at - pair[0].at).num_seconds())
        .collect()
}

#[tokio::test]
async fn retry_backs_off_by_interval_times_rate_then_succeeds() {
    // GIVEN a task failing three times, IntervalSeconds 2, BackoffRate 3
    let clock = virtual_clock();
    let invoker = Arc::new(ScriptedInvoker::new(clock.clone()).script(
        "fn",
        vec![
            Reply::Err("AwsTransient", "1"),
            Reply::Err("AwsTransient", "2"),
            Reply::Err("AwsTransient", "3"),
            Reply::Ok(json!("ok")),
        ],
    ));
    let definition = task_machine(
        json!([{"ErrorEquals": ["AwsTransient"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 5}]),
        json!([{"ErrorEquals": ["States.ALL"], "Next": "Recover"}]),
    );
    // WHEN it runs
    let result = run_with(definition, json!({}), clock.clone(), invoker.clone()).await;
    // THEN the retries waited 2, 6, 18 seconds and the fourth call succeeded
    assert_eq!(result.status, ExecutionStatus::Succeeded);
    assert_eq!(result.output, Some(json!("ok")));
    assert_eq!(gaps(&invoker), vec![2, 6, 18]);
    assert_eq!(
        clock.sleeps(),
        vec![
            Duration::from_secs(2),
            Duration::from_secs(6),
            Duration::from_secs(18)
        ]
    );
}

#[tokio::test]
async fn retry_defaults_are_one_second_rate_two_three_attempts() {
    // GIVEN a retrier with only ErrorEquals and a task that always fails
    let clock = virtual_clock();
    let invoker =
        Arc::new(ScriptedInvoker::new(clock.clone()).script("fn", vec![Reply::Err("Boom", "x")]));
    let definition = task_machine(json!([{"ErrorEquals": ["Boom"]}]), json!([]));
    // WHEN it runs
    let result = run_with(definition, json!({}), clock, invoker.clone()).await;
    // THEN it was called 1 + 3 times with 1, 2, 4 s between, then failed
    assert_eq!(invoker.calls().len(), 4);
    assert_eq!(gaps(&invoker), vec![1, 2, 4]);
    assert_eq!(
        result.status,
        ExecutionStatus::Failed {
            error: "Boom".into(),
            cause: "x".into()
        }
    );
}

#[tokio::test]
async fn max_delay_seconds_caps_the_back_off() {
    let clock = virtual_clock();
    let invoker =
        Arc::new(ScriptedInvoker::new(clock.clone()).script("fn", vec![Reply::Err("Boom", "x")]));
    let definition = task_machine(
        json!([{"ErrorEquals": ["Boom"], "IntervalSeconds": 10, "BackoffRate": 2.0, "MaxAttempts": 4, "MaxDelaySeconds": 25}]),
        json!([]),
    );
    run_with(definition, json!({}), clock, invoker.clone()).await;
    assert_eq!(gaps(&invoker), vec![10, 20, 25, 25]);
}

#[tokio::test]
async fn max_attempts_zero_never_retries() {
    let clock = virtual_clock();
    let invoker =
        Arc::new(ScriptedInvoker::new(clock.clone()).script("fn", vec![Reply::Err("Boom", "x")]));
    let definition = task_machine(
        json!([{"ErrorEquals": ["Boom"], "MaxAttempts": 0}]),
        json!([]),
    );
    let result = run_with(definition, json!({}), clock, invoker.clone()).await;
    assert_eq!(invoker.calls().len(), 1);
    assert_eq!(result.state_transitions, 1);
}

#[tokio::test]
async fn exhausted_retries_go_to_catch_with_result_path() {
    // GIVEN a task that keeps failing, MaxAttempts 2, and a Catch with ResultPath $.error
    let clock = virtual_clock();
    let invoker = Arc::new(ScriptedInvoker::new(clock.clone()).script(
        "fn",
        vec![Reply::Err("StepFailed", "{\"errorMessage\":\"boom\"}")],
    ));
    let definition = task_machine(
        json!([{"ErrorEquals": ["StepFailed"], "MaxAttempts": 2}]),
        json!([{"ErrorEquals": ["StepFailed"], "ResultPath": "$.error", "Next": "Recover"}]),
    );
    // WHEN it runs
    let result = run_with(
        definition,
        json!({"ClusterId": "j-1"}),
        clock,
        invoker.clone(),
    )
    .await;
    // THEN after 3 calls the Catch put {Error, Cause} next to the original input
    assert_eq!(invoker.calls().len(), 3);
    assert_eq!(
        result.output,
        Some(
            json!({"ClusterId": "j-1", "error": {"Error": "StepFailed", "Cause": "{\"errorMessage\":\"boom\"}"}})
        )
    );
    // AND transitions: T entered + 2 retries + Recover entered
    assert_eq!(result.state_transitions, 4);
}

#[tokio::test]
async fn catch_default_result_path_replaces_the_input() {
    let clock = virtual_clock();
    let invoker =
        Arc::new(ScriptedInvoker::new(clock.clone()).script("fn", vec![Reply::Err("Boom", "why")]));
    let definition = task_machine(
        json!([]),
        json!([{"ErrorEquals": ["Boom"], "Next": "Recover"}]),
    );
    let result = run_with(definition, json!({"lost": true}), clock, invoker).await;
    assert_eq!(
        result.output,
        Some(json!({"Error": "Boom", "Cause": "why"}))
    );
}

#[tokio::test]
async fn first_matching_retrier_decides() {
    // GIVEN a specific retrier (1 attempt) before a States.ALL retrier (5 attempts)
    let clock = virtual_clock();
    let invoker = Arc::new(
        ScriptedInvoker::new(clock.clone()).script("fn", vec![Reply::Err("Specific", "x")]),
    );
    let definition = task_machine(
        json!([{"ErrorEquals": ["Specific"], "MaxAttempts": 1}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}]),
        json!([]),
    );
    let result = run_with(definition, json!({}), clock, invoker.clone()).await;
    // THEN only the first retrier applies: 2 calls in total
    assert_eq!(invoker.calls().len(), 2);
    assert!(matches!(result.status, ExecutionStatus::Failed { .. }));
}

/// What an execution shows after its Catch did or did not match.
enum Seen {
    Succeeded,
    FailedWith(&'static str),
    CaughtError(&'static str),
}

#[tokio::test]
async fn task_failed_matches_errors_but_not_timeouts_and_states_all_catches_timeouts() {
    // GIVEN a Catch on one name, on a task that fails by error or outlives TimeoutSeconds
    let cases = [
        (
            "States.TaskFailed",
            Reply::Err("Anything", "x"),
            None,
            Seen::Succeeded,
        ),
        (
            "States.TaskFailed",
            Reply::SlowOk(100, json!(1)),
            Some(10),
            Seen::FailedWith("States.Timeout"),
        ),
        (
            "States.ALL",
            Reply::SlowOk(100, json!(1)),
            Some(10),
            Seen::CaughtError("States.Timeout"),
        ),
    ];
    for (error_equals, reply, timeout_seconds, expected) in cases {
        let clock = virtual_clock();
        let invoker = Arc::new(ScriptedInvoker::new(clock.clone()).script("fn", vec![reply]));
        let mut definition = task_machine(
            json!([]),
            json!([{"ErrorEquals": [error_equals], "Next": "Recover"}]),
        );
        if let Some(seconds) = timeout_seconds {
            definition["States"]["T"]["TimeoutSeconds"] = json!(seconds);
        }
        // WHEN it runs
        let result = run_with(definition, json!({}), clock, invoker).await;
        // THEN an error is caught by States.TaskFailed, a timeout only by States.ALL
        match expected {
            Seen::Succeeded => assert_eq!(result.status, ExecutionStatus::Succeeded),
            Seen::FailedWith(name) => assert!(
                matches!(result.status, ExecutionStatus::Failed { ref error, .. } if error == name)
            ),
            Seen::CaughtError(name) => assert_eq!(result.output.unwrap()["Error"], json!(name)),
        }
    }
}

#[tokio::test]
async fn retry_count_is_visible_in_the_context() {
    // GIVEN a task whose Parameters read $$.State.RetryCount and that fails twice
    let clock = virtual_clock();
    let invoker = Arc::new(ScriptedInvoker::new(clock.clone()).script(
        "fn",
        vec![
            Reply::Err("Boom", "1"),
            Reply::Err("Boom", "2"),
            Reply::Echo,
        ],
    ));
    let mut definition = task_machine(json!([{"ErrorEquals": ["Boom"]}]), json!([]));
    definition["States"]["T"]["Parameters"] = json!({"retry.$": "$$.State.RetryCount"});
    run_with(definition, json!({}), clock, invoker.clone()).await;
    let counts: Vec<Value> = invoker
        .calls()
        .iter()
        .map(|c| c.payload["retry"].clone())
        .collect();
    assert_eq!(counts, vec![json!(0), json!(1), json!(2)]);
}

#[tokio::test]
async fn full_jitter_stays_within_the_back_off() {
    // GIVEN FULL jitter with jitter enabled (the default)
    let clock = virtual_clock();
    let invoker =
        Arc::new(ScriptedInvoker::new(clock.clone()).script("fn", vec![Reply::Err("Boom", "x")]));
    let definition = task_machine(
        json!([{"ErrorEquals": ["Boom"], "IntervalSeconds": 8, "MaxAttempts": 3, "JitterStrategy": "FULL"}]),
        json!([]),
    );
    let options =
        emrflow_asl::ExecutionOptions::new("jitter", json!({}), invoker).with_clock(clock.clone());
    emrflow_asl::execute(&machine(definition), options).await;
    // THEN each delay is at most the un-jittered back-off 8, 16, 32
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 3);
    for (sleep, cap) in sleeps.iter().zip([8.0, 16.0, 32.0]) {
        assert!(sleep.as_secs_f64() <= cap, "{sleep:?} > {cap}");
    }
}

#[tokio::test]
async fn retry_and_catch_on_map_state() {
    // GIVEN a Map whose iteration fails, with Retry (1 attempt) and Catch on the Map
    let clock = virtual_clock();
    let invoker =
        Arc::new(ScriptedInvoker::new(clock.clone()).script("fn", vec![Reply::Err("Boom", "x")]));
    let definition = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "Next": "Done",
              "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 3}],
              "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.failure", "Next": "Recover"}],
              "ItemsPath": "$.items",
              "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "fn", "End": true}}}},
        "Done": {"Type": "Succeed"},
        "Recover": {"Type": "Pass", "End": true}}});
    // WHEN it runs
    let result = run_with(
        definition,
        json!({"items": [1]}),
        clock.clone(),
        invoker.clone(),
    )
    .await;
    // THEN the whole Map was retried once after 3 s, then caught
    assert_eq!(invoker.calls().len(), 2);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(3)]);
    assert_eq!(result.output.unwrap()["failure"]["Error"], json!("Boom"));
}
