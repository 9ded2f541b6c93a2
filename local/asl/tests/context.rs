//! The context object ($$).

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn context_object_exposes_execution_state_machine_and_state() {
    // GIVEN a Pass state reading every documented context field
    let definition = json!({"StartAt": "Read", "States": {"Read": {"Type": "Pass", "End": true, "Parameters": {
        "ExecutionId.$": "$$.Execution.Id",
        "ExecutionName.$": "$$.Execution.Name",
        "StartTime.$": "$$.Execution.StartTime",
        "Input.$": "$$.Execution.Input",
        "RoleArn.$": "$$.Execution.RoleArn",
        "StateMachineId.$": "$$.StateMachine.Id",
        "StateMachineName.$": "$$.StateMachine.Name",
        "StateName.$": "$$.State.Name",
        "EnteredTime.$": "$$.State.EnteredTime",
        "RetryCount.$": "$$.State.RetryCount"
    }}}});
    // WHEN it runs
    let result = run(definition, json!({"in": 1})).await;
    // THEN the values describe this execution
    assert_eq!(
        result.output,
        Some(json!({
            "ExecutionId": "arn:aws:states:us-east-1:123456789012:execution:test-machine:test-run",
            "ExecutionName": "test-run",
            "StartTime": "2026-01-15T06:00:00.000Z",
            "Input": {"in": 1},
            "RoleArn": "arn:aws:iam::123456789012:role/emrflow-local",
            "StateMachineId": "arn:aws:states:us-east-1:123456789012:stateMachine:test-machine",
            "StateMachineName": "test-machine",
            "StateName": "Read",
            "EnteredTime": "2026-01-15T06:00:00.000Z",
            "RetryCount": 0
        }))
    );
}

#[tokio::test]
async fn state_entered_time_follows_the_clock() {
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 90, "Next": "Read"},
        "Read": {"Type": "Pass", "End": true, "Parameters": {"t.$": "$$.State.EnteredTime"}}}});
    let result = run(definition, json!({})).await;
    assert_eq!(
        result.output,
        Some(json!({"t": "2026-01-15T06:01:30.000Z"}))
    );
}
