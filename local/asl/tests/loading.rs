//! Load-time validation: structure checks and refusal of unsupported constructs.

use emrflow_asl::StateMachine;
use serde_json::{json, Value};

fn load_error(definition: Value) -> String {
    match StateMachine::from_value(definition) {
        Ok(_) => panic!("definition unexpectedly loaded"),
        Err(error) => error.message,
    }
}

fn single_task(extra: Value) -> Value {
    let mut task =
        json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "End": true});
    for (key, value) in extra.as_object().unwrap() {
        task[key] = value.clone();
    }
    json!({"StartAt": "Work", "States": {"Work": task}})
}

#[test]
fn a_complete_supported_definition_loads() {
    // GIVEN a definition using every supported state type
    let definition = json!({
        "Comment": "all types", "TimeoutSeconds": 3600, "QueryLanguage": "JSONPath",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": {}, "ResultPath": "$.x", "Next": "Work"},
            "Work": {"Type": "Task", "Resource": "r", "Parameters": {"a.$": "$.x"}, "ResultSelector": {"b.$": "$"},
                     "TimeoutSeconds": 60, "HeartbeatSeconds": 10,
                     "Retry": [{"ErrorEquals": ["A", "B"], "IntervalSeconds": 2, "MaxAttempts": 2, "BackoffRate": 1.5,
                                "MaxDelaySeconds": 10, "JitterStrategy": "FULL"}, {"ErrorEquals": ["States.ALL"]}],
                     "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Failed"}],
                     "Next": "Decide"},
            "Decide": {"Type": "Choice", "Choices": [{"Not": {"Variable": "$.x", "IsNull": true}, "Next": "Pause"}], "Default": "Fan"},
            "Pause": {"Type": "Wait", "SecondsPath": "$.s", "Next": "Fan"},
            "Fan": {"Type": "Parallel", "Branches": [{"StartAt": "B1", "States": {"B1": {"Type": "Succeed"}}}], "Next": "Each"},
            "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
                     "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
                     "Next": "Done"},
            "Done": {"Type": "Succeed"},
            "Failed": {"Type": "Fail", "ErrorPath": "$.err.Error", "CausePath": "$.err.Cause"}
        }
    });
    // WHEN loaded THEN it is accepted
    let machine = StateMachine::from_value(definition).expect("loads");
    assert_eq!(machine.start_at(), "Init");
    assert_eq!(machine.timeout_seconds(), Some(3600));
    assert_eq!(
        machine.definition()["States"]
            .as_object()
            .map(|states| states.len()),
        Some(8)
    );
}

#[test]
fn structural_errors_are_refused_with_the_state_and_field() {
    // GIVEN broken definitions WHEN loaded THEN each message names what is wrong
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"StartAt": "Nope", "States": {"A": {"Type": "Succeed"}}}),
            "StartAt 'Nope'",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Ghost"}}}),
            "state 'A': field 'Next' points to 'Ghost'",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "Ghost"}], "Default": "A"}}}),
            "field 'Choices.Next' points to 'Ghost'",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "A"}], "Default": "Ghost"}}}),
            "field 'Default' points to 'Ghost'",
        ),
        (
            single_task(json!({"Catch": [{"ErrorEquals": ["X"], "Next": "Ghost"}]})),
            "field 'Catch.Next' points to 'Ghost'",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass"}}}),
            "state 'A': one of the fields 'Next' or 'End: true' is required",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B", "End": true}, "B": {"Type": "Succeed"}}}),
            "cannot both be set",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}}}),
            "state 'B': state is not reachable",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Teleport", "End": true}}}),
            "unknown state type 'Teleport'",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Succeed", "Next": "A"}}}),
            "state 'A': field 'Next' is not allowed",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Resource": "x", "End": true}}}),
            "state 'A': field 'Resource' is not allowed",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}}),
            "'Error' and 'ErrorPath' cannot both be set",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true}}}),
            "exactly one of the fields",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": []}}}),
            "field 'Choices'",
        ),
        (
            single_task(json!({"Retry": [{"ErrorEquals": ["States.ALL", "X"]}]})),
            "States.ALL must appear alone",
        ),
        (
            single_task(
                json!({"Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}),
            ),
            "States.ALL must be in the last",
        ),
        (
            single_task(json!({"Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]})),
            "'BackoffRate' must be at least 1.0",
        ),
        (
            single_task(json!({"Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "SOME"}]})),
            "JitterStrategy",
        ),
        (
            single_task(json!({"Parameters": {"a.$": "not a path"}})),
            "state 'Work': field 'Parameters'",
        ),
        (
            single_task(json!({"Parameters": {"a.$": "States.Nope()"}})),
            "unknown function 'States.Nope'",
        ),
        (
            single_task(json!({"ResultPath": "$.a[*]"})),
            "field 'ResultPath'",
        ),
        (
            single_task(json!({"InputPath": "$[?"})),
            "field 'InputPath'",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Outside"}}}]}, "Outside": {"Type": "Succeed"}}}),
            "points to 'Outside'",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}]}}}),
            "state name 'A' is used more than once",
        ),
        (json!("not an object"), "must be a JSON object"),
    ];
    for (definition, expected) in cases {
        let message = load_error(definition.clone());
        assert!(
            message.contains(expected),
            "expected '{expected}' in '{message}' for {definition}"
        );
    }
}

#[test]
fn invalid_json_is_refused() {
    let error = StateMachine::from_json("{ nope").unwrap_err();
    assert!(error.message.contains("not valid JSON"));
}

#[test]
fn unsupported_constructs_are_refused_not_skipped() {
    // GIVEN constructs the interpreter does not run WHEN loaded THEN each is refused by name
    let map_with = |extra: Value| {
        let mut map = json!({"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}});
        for (key, value) in extra.as_object().unwrap() {
            map[key] = value.clone();
        }
        json!({"StartAt": "M", "States": {"M": map}})
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}),
            "state machine: field 'QueryLanguage' refused",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Succeed", "QueryLanguage": "JSONata"}}}),
            "state 'A': field 'QueryLanguage' refused",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"x": 1}, "End": true}}}),
            "state 'A': field 'Assign' refused",
        ),
        (
            single_task(json!({"Arguments": {"a": 1}})),
            "state 'Work': field 'Arguments' refused",
        ),
        (
            single_task(json!({"Output": {"a": 1}})),
            "state 'Work': field 'Output' refused",
        ),
        (
            single_task(json!({"TimeoutSecondsPath": "$.t"})),
            "state 'Work': field 'TimeoutSecondsPath' refused",
        ),
        (
            single_task(json!({"HeartbeatSeconds": 60, "HeartbeatSecondsPath": "$.t"})),
            "cannot both be given",
        ),
        (
            single_task(json!({"Credentials": {"RoleArn": "x"}})),
            "state 'Work': field 'Credentials' refused",
        ),
        (
            map_with(json!({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject"}})),
            "state 'M': field 'ItemReader' refused",
        ),
        (
            map_with(json!({"ResultWriter": {}})),
            "state 'M': field 'ResultWriter' refused",
        ),
        (
            map_with(json!({"ItemBatcher": {}})),
            "state 'M': field 'ItemBatcher' refused",
        ),
        (
            map_with(json!({"ToleratedFailurePercentage": 5})),
            "field 'ToleratedFailurePercentage' refused",
        ),
        (map_with(json!({"Label": "x"})), "field 'Label' refused"),
        (
            map_with(json!({"MaxConcurrencyPath": "$.m"})),
            "field 'MaxConcurrencyPath' refused",
        ),
        (
            map_with(
                json!({"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}),
            ),
            "field 'Mode' refused",
        ),
        (
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "C"}]}}}),
            "field 'Condition' refused",
        ),
        (
            single_task(json!({"Catch": [{"ErrorEquals": ["X"], "Next": "Work", "Assign": {}}]})),
            "Catch[0]: field 'Assign' refused",
        ),
    ];
    for (definition, expected) in cases {
        let message = load_error(definition.clone());
        assert!(
            message.contains(expected),
            "expected '{expected}' in '{message}' for {definition}"
        );
    }
}

#[test]
fn integrations_are_checked_at_load_time() {
    // GIVEN Task resources naming service integrations
    let with_resource = |resource: &str, parameters: Value| {
        json!({"StartAt": "Work", "States": {"Work": {
            "Type": "Task", "Resource": resource, "Parameters": parameters, "End": true}}})
    };
    let function = json!({"FunctionName": "f", "Payload": {"token.$": "$$.Task.Token"}});
    // WHEN the supported Lambda patterns are loaded THEN they are accepted
    for resource in [
        "arn:aws:states:::lambda:invoke",
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
    ] {
        assert!(StateMachine::from_value(with_resource(resource, function.clone())).is_ok());
    }
    // AND what cannot run faithfully is refused by name
    let cases: Vec<(Value, &str)> = vec![
        (
            with_resource("arn:aws:states:::elasticmapreduce:addStep.sync", json!({})),
            "job-run (.sync)",
        ),
        (
            with_resource("arn:aws:states:::glue:startJobRun.sync:2", json!({})),
            "job-run (.sync)",
        ),
        (
            with_resource(
                "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                json!({}),
            ),
            "supported only on arn:aws:states:::lambda:invoke",
        ),
        (
            with_resource("arn:aws:states:::lambda:invoke", json!({"Payload": {}})),
            "lambda:invoke requires FunctionName",
        ),
        (
            with_resource(
                "arn:aws:states:::lambda:invoke",
                json!({"FunctionName": "f", "Function": "g"}),
            ),
            "'Function' is not a parameter of lambda:invoke",
        ),
        (
            with_resource(
                "arn:aws:states:::lambda:invoke.waitForTaskToken",
                json!({"FunctionName": "f", "InvocationType": "Event"}),
            ),
            "InvocationType \"Event\" is not supported",
        ),
    ];
    for (definition, expected) in cases {
        let message = load_error(definition.clone());
        assert!(
            message.contains(expected) && message.starts_with("state 'Work'"),
            "expected '{expected}' in '{message}' for {definition}"
        );
    }
}
