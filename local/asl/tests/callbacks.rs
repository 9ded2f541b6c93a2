//! Callback tasks: `lambda:invoke.waitForTaskToken`, `$$.Task.Token`, SendTaskSuccess /
//! Failure / Heartbeat and HeartbeatSeconds, on the virtual clock and on a scaled one.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use common::*;
use emrflow_asl::{
    execute, CallbackError, Clock, ExecutionOptions, ExecutionResult, ExecutionStatus, ScaledClock,
    StopHandle, TaskError, TaskInvoker, TaskTokens, VirtualClock,
};
use serde_json::{json, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:wait-for-steps";
const CALLBACK: &str = "arn:aws:states:::lambda:invoke.waitForTaskToken";

/// What the invoked function does besides passing its token on.
#[derive(Clone)]
enum Behaviour {
    /// Returns at once; someone else answers.
    Return,
    /// Sends SendTaskSuccess with this output on its own token, then returns.
    AnswerFirst(Value),
    /// Fails like a Lambda function error.
    Fail,
}

/// The function of the callback task: it hands every token it is given to the test.
struct WaitingFunction {
    tokens: TaskTokens,
    behaviour: Behaviour,
    issued: UnboundedSender<String>,
    calls: Mutex<Vec<(String, Value)>>,
}

#[async_trait]
impl TaskInvoker for WaitingFunction {
    async fn invoke(&self, resource: &str, payload: Value) -> Result<Value, TaskError> {
        self.calls
            .lock()
            .unwrap()
            .push((resource.to_string(), payload.clone()));
        let token = payload["TaskToken"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let _ = self.issued.send(token.clone());
        match &self.behaviour {
            Behaviour::Return => Ok(json!({"Recorded": true})),
            Behaviour::AnswerFirst(output) => {
                self.tokens
                    .send_task_success(&token, output.clone())
                    .expect("the task accepts its own callback");
                Ok(json!({"Recorded": true}))
            }
            Behaviour::Fail => Err(TaskError::new("TokenStoreFailed", "could not store it")),
        }
    }
}

struct Harness {
    clock: Arc<VirtualClock>,
    tokens: TaskTokens,
    function: Arc<WaitingFunction>,
}

/// A function with `behaviour` and the receiving end of the tokens it is given.
fn harness(behaviour: Behaviour) -> (Harness, UnboundedReceiver<String>) {
    let (issued, receiver) = unbounded_channel();
    let tokens = TaskTokens::new();
    let function = Arc::new(WaitingFunction {
        tokens: tokens.clone(),
        behaviour,
        issued,
        calls: Mutex::new(Vec::new()),
    });
    let harness = Harness {
        clock: virtual_clock(),
        tokens,
        function,
    };
    (harness, receiver)
}

impl Harness {
    async fn run(&self, definition: Value) -> ExecutionResult {
        self.run_stoppable(definition, StopHandle::new()).await
    }

    async fn run_stoppable(&self, definition: Value, stop: StopHandle) -> ExecutionResult {
        let options = ExecutionOptions::new(
            "callback",
            json!({"ClusterId": "j-1"}),
            self.function.clone(),
        )
        .with_clock(self.clock.clone())
        .with_task_tokens(self.tokens.clone())
        .with_stop_handle(stop)
        .without_jitter();
        execute(&machine(definition), options).await
    }

    fn tokens_given(&self) -> Vec<String> {
        let calls = self.function.calls.lock().unwrap();
        calls
            .iter()
            .map(|(_, payload)| payload["TaskToken"].as_str().unwrap().to_string())
            .collect()
    }
}

/// A Wait task on `CALLBACK` whose Payload passes `$$.Task.Token`, then Done; `task`
/// fields are added to the task and `states` to the machine.
fn callback_machine(task: Value, states: Value) -> Value {
    let mut wait = json!({"Type": "Task", "Resource": CALLBACK,
        "Parameters": {"FunctionName": FUNCTION,
                       "Payload": {"ClusterId.$": "$.ClusterId", "TaskToken.$": "$$.Task.Token"}},
        "ResultPath": "$.Wait", "Next": "Done"});
    merge(&mut wait, task);
    let mut all = json!({"Wait": wait, "Done": {"Type": "Succeed"}});
    merge(&mut all, states);
    json!({"StartAt": "Wait", "States": all})
}

fn merge(target: &mut Value, extra: Value) {
    for (key, value) in extra.as_object().cloned().unwrap_or_default() {
        target[key] = value;
    }
}

fn seconds(result: &ExecutionResult) -> i64 {
    (result.stop_date - result.start_date).num_seconds()
}

fn failed_with(result: &ExecutionResult) -> String {
    match &result.status {
        ExecutionStatus::Failed { error, .. } => error.clone(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// Answers the first token issued after `after` seconds of the clock, and reports what
/// SendTaskSuccess returned.
fn answer_later(
    harness: &Harness,
    mut issued: UnboundedReceiver<String>,
    after: u64,
    output: Value,
) -> tokio::task::JoinHandle<Result<(), CallbackError>> {
    let (clock, tokens) = (harness.clock.clone(), harness.tokens.clone());
    tokio::spawn(async move {
        let token = issued.recv().await.expect("a token is issued");
        clock.sleep(Duration::from_secs(after)).await;
        tokens.send_task_success(&token, output)
    })
}

#[tokio::test]
async fn send_task_success_completes_the_task_with_its_output() {
    // GIVEN a callback task whose token is answered 30 s after the function returned
    let (harness, issued) = harness(Behaviour::Return);
    let sender = answer_later(&harness, issued, 30, json!({"Verdict": "COMPLETED"}));
    // WHEN it runs
    let result = harness.run(callback_machine(json!({}), json!({}))).await;
    // THEN the callback's output is the task's result, 30 s later
    assert_eq!(sender.await.unwrap(), Ok(()));
    assert_eq!(result.status, ExecutionStatus::Succeeded);
    assert_eq!(
        result.output,
        Some(json!({"ClusterId": "j-1", "Wait": {"Verdict": "COMPLETED"}}))
    );
    assert_eq!(seconds(&result), 30);
    // AND the function got FunctionName as resource and Payload, with the token
    let calls = harness.function.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, FUNCTION);
    assert_eq!(calls[0].1["ClusterId"], json!("j-1"));
    assert!(!calls[0].1["TaskToken"].as_str().unwrap().is_empty());
    // AND the history is GetExecutionHistory's for a callback task; one state entered
    let types = event_types(&result);
    let task_events: Vec<&str> = types
        .iter()
        .map(String::as_str)
        .filter(|t| t.starts_with("Task") && !t.contains("State"))
        .collect();
    assert_eq!(
        task_events,
        [
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded"
        ]
    );
    assert_eq!(result.state_transitions, 2);
    let submitted = event(&result, "TaskSubmitted");
    let details = serde_json::to_value(submitted).unwrap()["taskSubmittedEventDetails"].clone();
    assert_eq!(details["resourceType"], json!("lambda"));
    assert_eq!(details["resource"], json!("invoke.waitForTaskToken"));
    let response: Value = serde_json::from_str(details["output"].as_str().unwrap()).unwrap();
    assert_eq!(response["StatusCode"], json!(200));
    assert_eq!(response["Payload"], json!({"Recorded": true}));
}

#[tokio::test]
async fn a_callback_sent_by_the_function_before_it_returns_completes_the_task() {
    // GIVEN a function that answers its own token before returning (a step already ended)
    let (harness, _issued) = harness(Behaviour::AnswerFirst(json!({"Verdict": "FAILED"})));
    // WHEN it runs
    let result = harness.run(callback_machine(json!({}), json!({}))).await;
    // THEN the task succeeded at once with the callback's output, not the function's
    assert_eq!(result.status, ExecutionStatus::Succeeded);
    assert_eq!(seconds(&result), 0);
    assert!(event_types(&result).contains(&"TaskSubmitted".to_string()));
    assert_eq!(result.output.unwrap()["Wait"], json!({"Verdict": "FAILED"}));
}

#[tokio::test]
async fn send_task_failure_fails_the_task_and_catch_handles_it() {
    // GIVEN a callback task with a Catch, answered by SendTaskFailure
    let (harness, mut issued) = harness(Behaviour::Return);
    let tokens = harness.tokens.clone();
    let sender = tokio::spawn(async move {
        let token = issued.recv().await.unwrap();
        tokens.send_task_failure(&token, "StepFailed", "step s-1 failed")
    });
    let definition = callback_machine(
        json!({"Catch": [{"ErrorEquals": ["StepFailed"], "ResultPath": "$.Failure", "Next": "Recover"}]}),
        json!({"Recover": {"Type": "Pass", "End": true}}),
    );
    // WHEN it runs
    let result = harness.run(definition).await;
    // THEN TaskFailed carries the error and the Catch put it at $.Failure
    assert_eq!(sender.await.unwrap(), Ok(()));
    assert!(event_types(&result).contains(&"TaskFailed".to_string()));
    assert_eq!(
        result.output.unwrap()["Failure"],
        json!({"Error": "StepFailed", "Cause": "step s-1 failed"})
    );
}

#[tokio::test]
async fn a_function_error_fails_the_task_as_usual() {
    // GIVEN a callback task whose function fails
    let (harness, _issued) = harness(Behaviour::Fail);
    // WHEN it runs
    let result = harness.run(callback_machine(json!({}), json!({}))).await;
    // THEN the task fails with the function's error and waits for nothing
    assert_eq!(failed_with(&result), "TokenStoreFailed");
    assert!(!event_types(&result).contains(&"TaskSubmitted".to_string()));
}

#[tokio::test]
async fn heartbeat_timeout_is_caught_and_falls_back_to_another_state() {
    // GIVEN HeartbeatSeconds 60, nobody answering, and a Catch falling back to a check
    let (harness, _issued) = harness(Behaviour::Return);
    let definition = callback_machine(
        json!({"HeartbeatSeconds": 60, "TimeoutSeconds": 3600,
               "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.Lost", "Next": "Check"}]}),
        json!({"Check": {"Type": "Pass", "End": true}}),
    );
    // WHEN it runs on the virtual clock
    let real_start = Instant::now();
    let result = harness.run(definition).await;
    // THEN the clock moved to the heartbeat deadline and the task timed out there
    assert!(real_start.elapsed() < Duration::from_secs(2));
    assert_eq!(seconds(&result), 60);
    let timed_out = event(&result, "TaskTimedOut");
    let details = timed_out.task_timed_out_event_details.as_ref().unwrap();
    assert_eq!(details.error, "States.HeartbeatTimeout");
    assert_eq!(
        details.cause,
        "The state Wait received no heartbeat or callback within its HeartbeatSeconds of 60 seconds"
    );
    // AND the execution went on through the fallback state
    assert_eq!(result.status, ExecutionStatus::Succeeded);
    assert_eq!(
        result.output.unwrap()["Lost"]["Error"],
        json!("States.HeartbeatTimeout")
    );
}

#[tokio::test]
async fn heartbeat_seconds_path_reads_the_heartbeat_from_the_state_input() {
    // GIVEN a heartbeat the state before decided (45 s), read by HeartbeatSecondsPath
    let (harness, _issued) = harness(Behaviour::Return);
    let mut definition = callback_machine(
        json!({"HeartbeatSecondsPath": "$.Plan.Seconds",
               "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": null, "Next": "Done"}]}),
        json!({"Plan": {"Type": "Pass", "Result": {"Seconds": 45}, "ResultPath": "$.Plan", "Next": "Wait"}}),
    );
    definition["StartAt"] = json!("Plan");
    // WHEN nobody answers
    let result = harness.run(definition).await;
    // THEN the task timed out after those 45 s, saying so, and the history records them
    assert_eq!(seconds(&result), 45);
    let timed_out = event(&result, "TaskTimedOut");
    let details = timed_out.task_timed_out_event_details.as_ref().unwrap();
    assert_eq!(
        details.cause,
        "The state Wait received no heartbeat or callback within its HeartbeatSeconds of 45 seconds"
    );
    let scheduled = event(&result, "TaskScheduled");
    let scheduled = scheduled.task_scheduled_event_details.as_ref().unwrap();
    assert_eq!(scheduled.heartbeat_in_seconds, Some(45));
    assert_eq!(result.status, ExecutionStatus::Succeeded);
}

#[tokio::test]
async fn a_heartbeat_seconds_path_that_is_no_positive_integer_fails_the_state() {
    // GIVEN HeartbeatSecondsPath pointing at 0
    let (harness, _issued) = harness(Behaviour::Return);
    let mut definition = callback_machine(
        json!({"HeartbeatSecondsPath": "$.Plan.Seconds"}),
        json!({"Plan": {"Type": "Pass", "Result": {"Seconds": 0}, "ResultPath": "$.Plan", "Next": "Wait"}}),
    );
    definition["StartAt"] = json!("Plan");
    // WHEN it runs THEN States.Runtime, before any function is called
    let result = harness.run(definition).await;
    assert_eq!(failed_with(&result), "States.Runtime");
    assert!(harness.tokens_given().is_empty());
}

#[tokio::test]
async fn heartbeats_keep_the_task_alive_past_heartbeat_seconds() {
    // GIVEN HeartbeatSeconds 60 and a worker that beats every 45 s for 180 s, then answers
    let (harness, mut issued) = harness(Behaviour::Return);
    let (clock, tokens) = (harness.clock.clone(), harness.tokens.clone());
    let worker = tokio::spawn(async move {
        let token = issued.recv().await.unwrap();
        let mut beats = Vec::new();
        for _ in 0..4 {
            clock.sleep(Duration::from_secs(45)).await;
            beats.push(tokens.send_task_heartbeat(&token));
        }
        clock.sleep(Duration::from_secs(45)).await;
        (beats, tokens.send_task_success(&token, json!("done")))
    });
    // WHEN it runs
    let result = harness
        .run(callback_machine(json!({"HeartbeatSeconds": 60}), json!({})))
        .await;
    // THEN every heartbeat was accepted and the task succeeded after 225 s
    let (beats, answer) = worker.await.unwrap();
    assert_eq!(beats, vec![Ok(()); 4]);
    assert_eq!(answer, Ok(()));
    assert_eq!(result.status, ExecutionStatus::Succeeded);
    assert_eq!(seconds(&result), 225);
}

#[tokio::test]
async fn a_duplicate_callback_is_task_does_not_exist() {
    // GIVEN a task answered twice in a row
    let (harness, mut issued) = harness(Behaviour::Return);
    let tokens = harness.tokens.clone();
    let sender = tokio::spawn(async move {
        let token = issued.recv().await.unwrap();
        let first = tokens.send_task_success(&token, json!(1));
        let second = tokens.send_task_success(&token, json!(2));
        (token, first, second)
    });
    // WHEN it runs
    let result = harness.run(callback_machine(json!({}), json!({}))).await;
    // THEN the first answer counts and the duplicate is refused, also after the run
    let (token, first, second) = sender.await.unwrap();
    assert_eq!(first, Ok(()));
    assert_eq!(second, Err(CallbackError::TaskDoesNotExist));
    assert_eq!(result.output.unwrap()["Wait"], json!(1));
    assert_eq!(
        harness.tokens.send_task_failure(&token, "Late", "late"),
        Err(CallbackError::TaskDoesNotExist)
    );
}

#[tokio::test]
async fn a_callback_after_a_timeout_is_task_timed_out() {
    // GIVEN HeartbeatSeconds 60 and an answer that comes 90 s after the function returned
    let (harness, issued) = harness(Behaviour::Return);
    let sender = answer_later(&harness, issued, 90, json!("too late"));
    // WHEN it runs
    let result = harness
        .run(callback_machine(json!({"HeartbeatSeconds": 60}), json!({})))
        .await;
    // THEN the task timed out and the late answer is refused as TaskTimedOut
    assert_eq!(failed_with(&result), "States.HeartbeatTimeout");
    assert_eq!(sender.await.unwrap(), Err(CallbackError::TaskTimedOut));
}

#[tokio::test]
async fn timeout_seconds_bounds_a_callback_wait_and_late_callbacks_see_it() {
    // GIVEN TimeoutSeconds 300 and nobody answering
    let (harness, _issued) = harness(Behaviour::Return);
    // WHEN it runs
    let result = harness
        .run(callback_machine(json!({"TimeoutSeconds": 300}), json!({})))
        .await;
    // THEN it fails with States.Timeout after 300 s of clock time
    assert_eq!(failed_with(&result), "States.Timeout");
    assert_eq!(seconds(&result), 300);
    // AND its token now answers TaskTimedOut
    let token = harness.tokens_given().remove(0);
    assert_eq!(
        harness.tokens.send_task_heartbeat(&token),
        Err(CallbackError::TaskTimedOut)
    );
}

#[tokio::test]
async fn a_malformed_token_is_invalid_token() {
    // GIVEN a registry WHEN called with tokens it could not have issued THEN InvalidToken
    let tokens = TaskTokens::new();
    for token in ["", "not-a-token", "aGVsbG8gd29ybGQ="] {
        assert_eq!(
            tokens.send_task_success(token, json!({})),
            Err(CallbackError::InvalidToken)
        );
        assert_eq!(
            tokens.send_task_heartbeat(token),
            Err(CallbackError::InvalidToken)
        );
    }
    assert_eq!(CallbackError::InvalidToken.name(), "InvalidToken");
}

#[tokio::test]
async fn each_retry_gets_a_new_token_and_the_old_one_is_dead() {
    // GIVEN a Retry on States.HeartbeatTimeout and a worker that answers only the 2nd token
    let (harness, mut issued) = harness(Behaviour::Return);
    let tokens = harness.tokens.clone();
    let worker = tokio::spawn(async move {
        let first = issued.recv().await.unwrap();
        let second = issued.recv().await.unwrap();
        (
            first.clone(),
            tokens.send_task_success(&second, json!("second")),
        )
    });
    let definition = callback_machine(
        json!({"HeartbeatSeconds": 60,
               "Retry": [{"ErrorEquals": ["States.HeartbeatTimeout"], "IntervalSeconds": 5, "MaxAttempts": 1}]}),
        json!({}),
    );
    // WHEN it runs
    let result = harness.run(definition).await;
    // THEN the retry ran with a different token and succeeded through it
    let (first, answer) = worker.await.unwrap();
    assert_eq!(answer, Ok(()));
    let given = harness.tokens_given();
    assert_eq!(given.len(), 2);
    assert_ne!(given[0], given[1]);
    assert_eq!(result.output.unwrap()["Wait"], json!("second"));
    // AND the first token belongs to a task that timed out
    assert_eq!(
        harness.tokens.send_task_success(&first, json!("first")),
        Err(CallbackError::TaskTimedOut)
    );
    // AND transitions: Wait entered + 1 retry + Done entered
    assert_eq!(result.state_transitions, 3);
}

#[tokio::test]
async fn an_oversized_callback_output_is_data_limit_exceeded() {
    // GIVEN an answer over 256 KiB
    let big = "x".repeat(emrflow_asl::PAYLOAD_LIMIT_BYTES + 1);
    let (harness, issued) = harness(Behaviour::Return);
    let sender = answer_later(&harness, issued, 1, json!(big));
    // WHEN it runs THEN the answer is accepted and the task fails States.DataLimitExceeded
    let result = harness.run(callback_machine(json!({}), json!({}))).await;
    assert_eq!(sender.await.unwrap(), Ok(()));
    assert_eq!(failed_with(&result), "States.DataLimitExceeded");
}

#[tokio::test]
async fn without_any_deadline_a_virtual_wait_that_nothing_answers_fails_instead_of_hanging() {
    // GIVEN a callback task without limits, nobody answering, and a virtual clock
    let (harness, _issued) = harness(Behaviour::Return);
    // WHEN it runs THEN it fails with States.Runtime naming the state
    let result = harness.run(callback_machine(json!({}), json!({}))).await;
    assert_eq!(failed_with(&result), "States.Runtime");
    // AND with an execution TimeoutSeconds the execution times out at its deadline instead
    let (harness, _issued) = self::harness(Behaviour::Return);
    let mut definition = callback_machine(json!({}), json!({}));
    definition["TimeoutSeconds"] = json!(3600);
    let result = harness.run(definition).await;
    assert_eq!(result.status.as_str(), "TIMED_OUT");
    assert_eq!(seconds(&result), 3600);
}

#[tokio::test]
async fn heartbeat_seconds_is_scaled_like_other_waits_on_a_scaled_clock() {
    // GIVEN HeartbeatSeconds 60 on a clock where a second lasts 5 ms, nobody answering
    let (harness, _issued) = harness(Behaviour::Return);
    let options = ExecutionOptions::new(
        "scaled",
        json!({"ClusterId": "j-1"}),
        harness.function.clone(),
    )
    .with_clock(Arc::new(ScaledClock::new(0.005)))
    .with_task_tokens(harness.tokens.clone());
    let definition = callback_machine(json!({"HeartbeatSeconds": 60}), json!({}));
    // WHEN it runs
    let real_start = Instant::now();
    let result = execute(&machine(definition), options).await;
    // THEN it times out after about 0.3 s of real time, which is what its recorded start
    // and stop dates span (they are wall-clock times)
    let real = real_start.elapsed();
    assert!(
        real >= Duration::from_millis(290) && real < Duration::from_secs(5),
        "{real:?}"
    );
    assert_eq!(failed_with(&result), "States.HeartbeatTimeout");
    assert!(seconds(&result) < 5, "{}", seconds(&result));
}

#[tokio::test]
async fn request_response_lambda_invoke_wraps_the_result_like_step_functions() {
    // GIVEN a Task on arn:aws:states:::lambda:invoke with FunctionName and Payload
    let clock = virtual_clock();
    let invoker = Arc::new(
        ScriptedInvoker::new(clock.clone()).script(FUNCTION, vec![Reply::Ok(json!({"ok": 1}))]),
    );
    let definition = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": FUNCTION, "Payload": {"Id.$": "$.id"}},
        "ResultSelector": {"Result.$": "$.Payload", "Status.$": "$.StatusCode"}, "End": true}}});
    // WHEN it runs
    let result = run_with(definition, json!({"id": "j-1"}), clock, invoker.clone()).await;
    // THEN the function got the Payload and the result has Payload and StatusCode
    assert_eq!(invoker.calls()[0].resource, FUNCTION);
    assert_eq!(invoker.calls()[0].payload, json!({"Id": "j-1"}));
    assert_eq!(
        result.output,
        Some(json!({"Result": {"ok": 1}, "Status": 200}))
    );
    let types = event_types(&result);
    assert!(!types.contains(&"TaskSubmitted".to_string()));
}

#[tokio::test]
async fn the_task_token_exists_only_in_callback_tasks() {
    // GIVEN a direct Lambda task that reads $$.Task.Token
    let definition = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "echo",
        "Parameters": {"token.$": "$$.Task.Token"}, "End": true}}});
    // WHEN it runs THEN the path matches nothing: a runtime error
    let result = run(definition, json!({})).await;
    assert_eq!(failed_with(&result), "States.Runtime");
}

#[tokio::test]
async fn stopping_the_execution_during_a_callback_wait_closes_its_token() {
    // GIVEN a callback task and someone who stops the execution once the token is out
    let (harness, mut issued) = harness(Behaviour::Return);
    let stop = StopHandle::new();
    let stopper = stop.clone();
    let token = tokio::spawn(async move {
        let token = issued.recv().await.unwrap();
        stopper.stop(Some("User.Interrupted".into()), None);
        token
    });
    // WHEN it runs
    let result = harness
        .run_stoppable(
            callback_machine(json!({"HeartbeatSeconds": 60}), json!({})),
            stop,
        )
        .await;
    // THEN it is aborted and its token belongs to no task any more
    assert_eq!(result.status.as_str(), "ABORTED");
    let token = token.await.unwrap();
    assert_eq!(
        harness.tokens.send_task_success(&token, json!(1)),
        Err(CallbackError::TaskDoesNotExist)
    );
}
