//! Stopping an execution (StopExecution, Ctrl-C locally): status ABORTED and the
//! ExecutionAborted event.

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use emrflow_asl::{
    execute, ExecutionOptions, ExecutionResult, ExecutionStatus, RealClock, StopHandle, TaskError,
    TaskInvoker,
};
use serde_json::{json, Value};
use tokio::sync::Notify;

/// A Task resource that never answers; it says when it has been called.
struct NeverAnswers {
    called: Arc<Notify>,
}

#[async_trait]
impl TaskInvoker for NeverAnswers {
    async fn invoke(&self, _resource: &str, _payload: Value) -> Result<Value, TaskError> {
        self.called.notify_one();
        std::future::pending().await
    }
}

fn stuck_machine() -> Value {
    json!({"StartAt": "Check_Steps", "States": {
        "Check_Steps": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:check", "Next": "Done"},
        "Done": {"Type": "Succeed"}}})
}

/// Runs the stuck machine with `stop` in the background; resolves once its Task was called.
async fn start_stuck(stop: StopHandle) -> tokio::task::JoinHandle<ExecutionResult> {
    let called = Arc::new(Notify::new());
    let invoker = Arc::new(NeverAnswers {
        called: called.clone(),
    });
    let options = ExecutionOptions::new("stuck", json!({}), invoker)
        .with_clock(Arc::new(RealClock))
        .with_stop_handle(stop);
    let execution = tokio::spawn(async move { execute(&machine(stuck_machine()), options).await });
    called.notified().await;
    execution
}

#[tokio::test]
async fn stop_aborts_an_execution_whose_task_never_answers() {
    // GIVEN an execution waiting on a Task that never answers
    let stop = StopHandle::new();
    let execution = start_stuck(stop.clone()).await;
    // WHEN it is stopped with an error and a cause
    let stopped = stop.stop(Some("User.Interrupted".into()), Some("Ctrl-C".into()));
    let result = tokio::time::timeout(Duration::from_secs(5), execution)
        .await
        .expect("the execution ends at once")
        .unwrap();
    // THEN it ended ABORTED with them, without waiting for the Task
    assert!(stopped);
    assert_eq!(
        result.status,
        ExecutionStatus::Aborted {
            error: Some("User.Interrupted".into()),
            cause: Some("Ctrl-C".into())
        }
    );
    assert_eq!(result.status.as_str(), "ABORTED");
    assert_eq!(result.output, None);
    // AND the history ends with ExecutionAborted after TaskStarted, as AWS records it
    let types = event_types(&result);
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "ExecutionAborted"
        ]
    );
    let aborted = serde_json::to_value(result.history.last().unwrap()).unwrap();
    assert_eq!(
        aborted["executionAbortedEventDetails"],
        json!({"error": "User.Interrupted", "cause": "Ctrl-C"})
    );
    assert_eq!(aborted["previousEventId"], json!(4));
    // AND stopping again changes nothing
    assert!(!stop.stop(Some("Again".into()), None));
}

#[tokio::test]
async fn stop_without_error_or_cause_records_empty_details() {
    // GIVEN a stuck execution WHEN stopped without error or cause
    let stop = StopHandle::new();
    let execution = start_stuck(stop.clone()).await;
    stop.stop(None, None);
    let result = execution.await.unwrap();
    // THEN the status and the event carry neither
    assert_eq!(
        result.status,
        ExecutionStatus::Aborted {
            error: None,
            cause: None
        }
    );
    let aborted = serde_json::to_value(result.history.last().unwrap()).unwrap();
    assert_eq!(aborted["executionAbortedEventDetails"], json!({}));
    assert_eq!(
        serde_json::to_value(&result.status).unwrap(),
        json!({"status": "ABORTED"})
    );
}

#[tokio::test]
async fn a_stop_after_the_execution_ended_does_nothing() {
    // GIVEN an execution that succeeded with a stop handle
    let stop = StopHandle::new();
    let clock = virtual_clock();
    let invoker = Arc::new(ScriptedInvoker::new(clock.clone()).script("echo", vec![Reply::Echo]));
    let options = ExecutionOptions::new("done", json!({}), invoker)
        .with_clock(clock)
        .with_stop_handle(stop.clone());
    let definition = json!({"StartAt": "S", "States": {"S": {"Type": "Succeed"}}});
    let result = execute(&machine(definition), options).await;
    // WHEN it is stopped afterwards THEN nothing happens
    assert!(!stop.stop(Some("Late".into()), None));
    assert_eq!(result.status, ExecutionStatus::Succeeded);
    assert_eq!(event_types(&result).last().unwrap(), "ExecutionSucceeded");
}

#[tokio::test]
async fn a_stop_before_the_start_aborts_the_execution_as_it_starts() {
    // GIVEN a handle stopped before the execution starts
    let stop = StopHandle::new();
    assert!(stop.stop(Some("Cancelled".into()), None));
    // WHEN the execution runs
    let options = ExecutionOptions::new(
        "early",
        json!({}),
        Arc::new(NeverAnswers {
            called: Arc::new(Notify::new()),
        }),
    )
    .with_clock(virtual_clock())
    .with_stop_handle(stop);
    let result = execute(&machine(stuck_machine()), options).await;
    // THEN it is aborted before any state is entered
    assert_eq!(
        event_types(&result),
        ["ExecutionStarted", "ExecutionAborted"]
    );
    assert_eq!(result.status.as_str(), "ABORTED");
}
