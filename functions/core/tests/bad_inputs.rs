//! Bad inputs: each is InvalidInput naming the key, and nothing is changed on EMR.

mod common;

use common::*;
use emrflow_core::{ErrorName, Function};
use serde_json::{json, Value};

const EXECUTION: &str = REJECTED_EXECUTION;

/// The execution a handler works for, as the state machine passes it.
fn execution() -> Value {
    json!({"Input": {"ProcessingDate": "2026-11-21"}, "Name": EXECUTION, "StartTime": "2026-11-22T00:30:00Z"})
}

fn command_step(name: &str, args: Vec<String>) -> Value {
    json!({"Name": name, "Type": "Command", "Args": args})
}

#[tokio::test]
async fn unknown_input_key() {
    assert_input_rejected(json!({"CreateClusters": true}), "CreateClusters").await;
}

#[tokio::test]
async fn wrong_type_create_cluster() {
    assert_input_rejected(json!({"CreateCluster": "yes"}), "CreateCluster").await;
}

#[tokio::test]
async fn wrong_type_terminate_cluster() {
    assert_input_rejected(json!({"TerminateCluster": "true"}), "TerminateCluster").await;
}

#[tokio::test]
async fn input_that_is_not_an_object() {
    assert_input_rejected(json!([1, 2]), "JSON object").await;
}

#[tokio::test]
async fn cluster_id_with_create_cluster_true() {
    assert_input_rejected(json!({"ClusterId": "j-ABC123"}), "ClusterId").await;
}

#[tokio::test]
async fn missing_cluster_id_with_create_cluster_false() {
    assert_input_rejected(json!({"CreateCluster": false}), "ClusterId").await;
}

#[tokio::test]
async fn cluster_id_of_the_wrong_shape() {
    for bad in [
        "cluster-1",
        "j-abc123",
        "j-",
        "j-ABCDEFGHIJKLMNOPQRSTU",
        "j-AB_12",
    ] {
        assert_input_rejected(
            json!({"CreateCluster": false, "ClusterId": bad}),
            "ClusterId",
        )
        .await;
    }
}

#[tokio::test]
async fn processing_date_not_a_date() {
    for bad in [
        "2026-13-01",
        "2026-02-30",
        "2026-1-5",
        "21.11.2026",
        "2026-11-21T00:00:00Z",
    ] {
        assert_input_rejected(json!({"ProcessingDate": bad}), "ProcessingDate").await;
    }
}

#[tokio::test]
async fn processing_date_of_the_wrong_type() {
    assert_input_rejected(json!({"ProcessingDate": 20261121}), "ProcessingDate").await;
}

#[tokio::test]
async fn start_time_not_rfc3339() {
    assert_rejected(
        Function::ValidateInput,
        json!({"Input": {}, "ExecutionName": EXECUTION, "StartTime": "yesterday"}),
        "StartTime",
    )
    .await;
}

#[tokio::test]
async fn execution_name_with_whitespace_or_empty() {
    // GIVEN bad execution names WHEN validated THEN refused, saying it is the execution's name
    for bad in ["", "has space", "a[b]"] {
        assert_rejected(
            Function::ValidateInput,
            json!({"Input": {}, "ExecutionName": bad, "StartTime": "2026-11-22T00:00:00Z"}),
            &format!("the execution's name '{bad}'"),
        )
        .await;
    }
}

#[tokio::test]
async fn a_bad_execution_name_from_the_context_object_is_called_the_executions_name() {
    // GIVEN a later handler whose Execution.Name (the context object's) is not a valid name
    let mut execution = execution();
    execution["Name"] = json!("has space");
    // WHEN it runs THEN the message says what the name is, not an internal key
    let fake = FakeEmr::new();
    let error = handlers(&fake)
        .invoke(
            Function::EnsureCluster,
            json!({"CreateCluster": true, "Execution": execution}),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the execution's name 'has space'"),
        "{error}"
    );
    assert!(!error.contains("ExecutionName"), "{error}");
}

#[tokio::test]
async fn unknown_payload_key() {
    assert_rejected(
        Function::ValidateInput,
        json!({"Input": {}, "ExecutionName": EXECUTION, "StartTime": "2026-11-22T00:00:00Z", "Extra": 1}),
        "Extra",
    )
    .await;
}

#[tokio::test]
async fn pipeline_unknown_cluster_key() {
    assert_pipeline_rejected(
        |p| p["Cluster"]["InstanceCount"] = json!(3),
        "InstanceCount",
    )
    .await;
}

#[tokio::test]
async fn pipeline_unknown_step_key() {
    assert_pipeline_rejected(
        |p| p["Steps"][0]["Aplication"] = json!("s3://x.py"),
        "Aplication",
    )
    .await;
}

#[tokio::test]
async fn pipeline_wrong_type_in_a_step() {
    assert_pipeline_rejected(
        |p| p["Steps"][0]["DriverCores"] = json!("two"),
        "DriverCores",
    )
    .await;
}

#[tokio::test]
async fn pipeline_wrong_type_in_the_cluster() {
    assert_pipeline_rejected(
        |p| p["Cluster"]["InstanceFleets"][0]["TargetOnDemandCapacity"] = json!("1"),
        "InstanceFleets[0].TargetOnDemandCapacity",
    )
    .await;
}

#[tokio::test]
async fn pipeline_unknown_step_type() {
    assert_pipeline_rejected(|p| p["Steps"][1]["Type"] = json!("Flink"), "Flink").await;
}

#[tokio::test]
async fn pipeline_step_without_type() {
    assert_pipeline_rejected(
        |p| {
            p["Steps"][1].as_object_mut().unwrap().remove("Type");
        },
        "Type",
    )
    .await;
}

#[tokio::test]
async fn pipeline_with_257_steps() {
    let steps: Vec<Value> = (0..257)
        .map(|i| command_step(&format!("step-{i}"), vec!["true".into()]))
        .collect();
    assert_pipeline_rejected(|p| p["Steps"] = json!(steps), "256").await;
}

#[tokio::test]
async fn pipeline_without_steps() {
    assert_pipeline_rejected(|p| p["Steps"] = json!([]), "Steps").await;
}

#[tokio::test]
async fn pipeline_duplicate_step_names() {
    assert_pipeline_rejected(
        |p| p["Steps"][1]["Name"] = json!("ingest"),
        "more than one step",
    )
    .await;
}

#[tokio::test]
async fn step_name_too_long_with_the_execution_suffix() {
    // " [run-2026-11-21]" is 17 characters: 240 + 17 = 257 > 256.
    let name = "n".repeat(240);
    assert_pipeline_rejected(
        |p| p["Steps"] = json!([command_step(&name, vec!["true".into()])]),
        "Steps[0].Name",
    )
    .await;
}

#[tokio::test]
async fn step_name_exactly_at_the_limit_is_accepted() {
    // GIVEN a name of 239 characters (256 with the suffix)
    let mut pipeline = sample_pipeline();
    pipeline["Steps"] = json!([command_step(&"n".repeat(239), vec!["true".into()])]);
    let handlers = handlers(&FakeEmr::new());
    // WHEN validated THEN accepted
    let result = handlers
        .invoke(
            Function::ValidateInput,
            json!({"Input": {"Pipeline": pipeline}, "ExecutionName": EXECUTION, "StartTime": "2026-11-22T00:00:00Z"}),
        )
        .await;
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn hadoop_jar_step_of_10241_characters() {
    // "command-runner.jar" (18) + 10,223 = 10,241
    let arg = "a".repeat(10_241 - 18);
    assert_pipeline_rejected(
        |p| p["Steps"] = json!([command_step("big", vec![arg])]),
        "10241",
    )
    .await;
}

#[tokio::test]
async fn hadoop_jar_step_of_10240_characters_is_accepted() {
    // GIVEN a step whose strings total exactly 10,240 characters
    let mut pipeline = sample_pipeline();
    pipeline["Steps"] = json!([command_step("big", vec!["a".repeat(10_240 - 18)])]);
    // WHEN validated THEN accepted
    let result = handlers(&FakeEmr::new())
        .invoke(
            Function::ValidateInput,
            json!({"Input": {"Pipeline": pipeline}, "ExecutionName": EXECUTION, "StartTime": "2026-11-22T00:00:00Z"}),
        )
        .await;
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn cancel_and_wait_with_step_concurrency_2() {
    assert_pipeline_rejected(
        |p| p["Cluster"]["StepConcurrencyLevel"] = json!(2),
        "ActionOnFailure",
    )
    .await;
}

#[tokio::test]
async fn unknown_placeholder() {
    assert_pipeline_rejected(
        |p| p["Steps"][0]["Args"] = json!(["{{Tomorrow}}"]),
        "Tomorrow",
    )
    .await;
}

#[tokio::test]
async fn unknown_placeholder_in_log_uri() {
    assert_pipeline_rejected(
        |p| p["Cluster"]["LogUri"] = json!("s3://logs-bucket/{{Bucket}}/"),
        "Bucket",
    )
    .await;
}

#[tokio::test]
async fn both_fleets_and_groups() {
    assert_pipeline_rejected(
        |p| {
            p["Cluster"]["InstanceGroups"] =
                json!([{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}])
        },
        "not both",
    )
    .await;
}

#[tokio::test]
async fn neither_fleets_nor_groups() {
    assert_pipeline_rejected(
        |p| {
            p["Cluster"]
                .as_object_mut()
                .unwrap()
                .remove("InstanceFleets");
        },
        "exactly one of the two",
    )
    .await;
}

#[tokio::test]
async fn two_master_fleets() {
    assert_pipeline_rejected(
        |p| p["Cluster"]["InstanceFleets"][1]["InstanceFleetType"] = json!("MASTER"),
        "exactly one MASTER",
    )
    .await;
}

#[tokio::test]
async fn idle_timeout_out_of_range() {
    assert_pipeline_rejected(
        |p| p["Cluster"]["IdleTimeoutSeconds"] = json!(10),
        "IdleTimeoutSeconds",
    )
    .await;
}

#[tokio::test]
async fn pipeline_name_with_spaces() {
    assert_pipeline_rejected(|p| p["Name"] = json!("daily etl"), "Name").await;
}

#[tokio::test]
async fn invalid_action_on_failure() {
    assert_pipeline_rejected(
        |p| p["Steps"][0]["ActionOnFailure"] = json!("TERMINATE_JOB_FLOW"),
        "TERMINATE_JOB_FLOW",
    )
    .await;
}

#[tokio::test]
async fn ensure_cluster_with_cluster_id_and_create_true() {
    assert_rejected(
        Function::EnsureCluster,
        json!({"CreateCluster": true, "ClusterId": "j-REUSE1", "Execution": execution()}),
        "ClusterId",
    )
    .await;
}

#[tokio::test]
async fn add_steps_when_the_deployed_pipeline_changed_during_the_run() {
    // GIVEN a digest of a pipeline other than the one the handlers re-derive
    let mut execution = execution();
    execution["PipelineDigest"] = json!("0".repeat(64));
    assert_rejected(
        Function::AddSteps,
        json!({"ClusterId": "j-REUSE1", "Execution": execution}),
        "PipelineDigest",
    )
    .await;
}

#[tokio::test]
async fn terminate_cluster_when_terminate_is_false() {
    assert_rejected(
        Function::TerminateCluster,
        json!({"ClusterId": "j-REUSE1", "ExecutionName": EXECUTION, "PipelineName": "daily-etl", "TerminateCluster": false}),
        "TerminateCluster",
    )
    .await;
}

#[tokio::test]
async fn termination_protection_with_a_bad_cluster_id() {
    assert_rejected(
        Function::TerminationProtection,
        json!({"ClusterId": "j-lower", "Protected": false}),
        "ClusterId",
    )
    .await;
}

#[tokio::test]
async fn check_steps_without_the_execution() {
    assert_rejected(
        Function::CheckSteps,
        json!({"ClusterId": "j-REUSE1"}),
        "Execution",
    )
    .await;
}

#[tokio::test]
async fn check_steps_with_missing_key() {
    assert_rejected(
        Function::CheckSteps,
        json!({"ClusterId": "j-REUSE1", "Execution": {"Input": {}, "Name": EXECUTION}}),
        "StartTime",
    )
    .await;
}

#[tokio::test]
async fn max_run_minutes_of_zero() {
    assert_pipeline_rejected(|p| p["MaxRunMinutes"] = json!(0), "MaxRunMinutes").await;
}

#[tokio::test]
async fn max_run_minutes_over_a_week() {
    assert_pipeline_rejected(
        |p| p["MaxRunMinutes"] = json!(7 * 24 * 60 + 1),
        "MaxRunMinutes",
    )
    .await;
}

// ------------------------------------------------ input contract gaps (issue: hardening)

/// A change made to the sample pipeline.
type Change = Box<dyn FnOnce(&mut Value)>;

#[tokio::test]
async fn objects_given_as_arrays_are_refused_naming_the_key() {
    // GIVEN the pipeline, its cluster, or an instance group written as an array
    let groups =
        json!([{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]);
    let cases: Vec<(Change, &str)> = vec![
        (
            Box::new(|p| *p = json!(["daily-etl", 30])),
            "expected an object, not an array",
        ),
        (
            Box::new(|p| p["Cluster"] = json!(["emr-7.5.0", "r", "j"])),
            "key 'Cluster': expected an object",
        ),
        (
            Box::new(move |p| {
                p["Cluster"]
                    .as_object_mut()
                    .unwrap()
                    .remove("InstanceFleets");
                p["Cluster"]["InstanceGroups"] = groups;
                p["Cluster"]["InstanceGroups"][0] = json!(["MASTER", "m5.xlarge", 1]);
            }),
            "Cluster.InstanceGroups[0]",
        ),
    ];
    // WHEN validated THEN each is InvalidInput saying an object was expected, nothing created
    for (change, expected) in cases {
        assert_pipeline_rejected(change, expected).await;
    }
}

#[tokio::test]
async fn s3_locations_must_name_a_valid_bucket() {
    // GIVEN LogUri, a script and a bootstrap action that are not usable S3 locations
    for (change, expected) in [
        (
            Box::new(|p: &mut Value| p["Cluster"]["LogUri"] = json!("s3:///logs/"))
                as Box<dyn FnOnce(&mut Value)>,
            "'Cluster.LogUri': 's3:///logs/' names no bucket",
        ),
        (
            Box::new(|p: &mut Value| p["Cluster"]["LogUri"] = json!("/var/log/emr")),
            "'Cluster.LogUri': '/var/log/emr' is not an S3 location",
        ),
        (
            Box::new(|p: &mut Value| p["Steps"][1]["Script"] = json!("q.hql")),
            "Steps[1].Script",
        ),
        (
            Box::new(|p: &mut Value| {
                p["Cluster"]["BootstrapActions"] =
                    json!([{"Name": "deps", "Path": "s3://../x.sh"}]);
            }),
            "BootstrapActions[0].Path",
        ),
    ] {
        // WHEN validated THEN InvalidInput naming the key
        assert_pipeline_rejected(change, expected).await;
    }
}

#[tokio::test]
async fn log_uri_is_required() {
    // GIVEN a cluster without LogUri WHEN validated THEN refused, saying why
    assert_pipeline_rejected(
        |p| {
            p["Cluster"].as_object_mut().unwrap().remove("LogUri");
        },
        "'Cluster.LogUri': required",
    )
    .await;
}

#[tokio::test]
async fn tags_follow_emrs_limits_and_hold_no_placeholder() {
    // GIVEN tags over EMR's limits, with a reserved prefix, or with a placeholder
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    for (tags, expected) in [
        (json!({long_key.clone(): "x"}), "1 to 128 characters"),
        (json!({"team": long_value}), "at most 256 characters"),
        (
            json!({"emrflow:execution": "mine"}),
            "emrflow: prefix is reserved",
        ),
        (json!({"aws:owner": "x"}), "aws: prefix is reserved"),
        (
            json!({"day": "{{ProcessingDate}}"}),
            "placeholders are rendered only in Steps, Cluster.LogUri and WaitFor.S3",
        ),
    ] {
        // WHEN validated THEN InvalidInput naming the tag
        assert_pipeline_rejected(move |p| p["Cluster"]["Tags"] = tags, expected).await;
    }
}

#[tokio::test]
async fn an_empty_subnet_id_is_refused() {
    assert_pipeline_rejected(
        |p| p["Cluster"]["Ec2SubnetIds"] = json!(["subnet-0abc", ""]),
        "Ec2SubnetIds[1]",
    )
    .await;
}

#[tokio::test]
async fn an_impossible_processing_date_is_refused() {
    // GIVEN year 0 and year 9999's successor WHEN validated THEN ProcessingDate is named
    for date in ["0000-01-01", "1899-12-31"] {
        assert_input_rejected(
            json!({"ProcessingDate": date}),
            "outside the years 1900 to 9999",
        )
        .await;
    }
}

#[tokio::test]
async fn an_unclosed_placeholder_is_refused() {
    assert_pipeline_rejected(
        |p| p["Steps"][0]["Args"] = json!(["--date", "{{ProcessingDate"]),
        "never closed",
    )
    .await;
}

#[tokio::test]
async fn null_is_absent_for_an_optional_key_and_refused_for_a_required_one() {
    // GIVEN null for optional keys WHEN validated THEN accepted as if absent
    let fake = FakeEmr::new();
    let out = handlers(&fake)
        .invoke(
            Function::ValidateInput,
            json!({"Input": {"ClusterId": null, "TerminateCluster": null, "ProcessingDate": null},
                   "ExecutionName": EXECUTION, "StartTime": "2026-11-22T00:00:00Z"}),
        )
        .await
        .unwrap();
    assert_eq!(out["CreateCluster"], true);
    assert_eq!(out["TerminateCluster"], true);
    // AND null for a required key is refused, in words
    assert_pipeline_rejected(
        |p| p["Name"] = Value::Null,
        "key 'Name': expected a string, not null",
    )
    .await;
}

#[tokio::test]
async fn an_over_long_cluster_id_is_not_echoed_in_full() {
    // GIVEN a 5,000-character ClusterId WHEN validated THEN the message quotes its start only
    let id = format!("j-{}", "A".repeat(5000));
    let fake = FakeEmr::new();
    let error = handlers(&fake)
        .invoke(
            Function::ValidateInput,
            json!({"Input": {"CreateCluster": false, "ClusterId": id},
                   "ExecutionName": EXECUTION, "StartTime": "2026-11-22T00:00:00Z"}),
        )
        .await
        .unwrap_err();
    assert_eq!(error.name(), ErrorName::InvalidInput);
    assert!(error.to_string().len() < 300, "{error}");
    assert!(error.to_string().contains("5002 characters"), "{error}");
}

#[test]
fn a_pipeline_file_with_a_key_twice_is_refused() {
    // GIVEN a pipeline text where Name appears twice WHEN read THEN refused naming the key
    let mut text = sample_pipeline().to_string();
    text.insert_str(1, r#""Name": "shadow", "#);
    let error = emrflow_core::PipelineSpec::from_json_str(&text).unwrap_err();
    assert_eq!(error.name(), ErrorName::InvalidInput);
    assert!(error.to_string().contains("key 'Name' twice"), "{error}");
}

#[tokio::test]
async fn an_execution_input_too_large_for_a_task_input_is_refused() {
    // GIVEN a Pipeline in the input padded to just under Step Functions' 262,144 bytes
    let mut pipeline = sample_pipeline();
    pipeline["Steps"][0]["Description"] = json!("d".repeat(261_000));
    // WHEN validated THEN refused before anything exists, naming the sizes
    assert_input_rejected(json!({"Pipeline": pipeline}), "per Task input").await;
}

#[tokio::test]
async fn pipeline_name_with_an_inline_pipeline() {
    assert_input_rejected(
        json!({"PipelineName": "daily-etl", "Pipeline": sample_pipeline()}),
        "key 'PipelineName': give PipelineName (a deployed pipeline) or Pipeline",
    )
    .await;
}

#[tokio::test]
async fn pipeline_name_of_the_wrong_type() {
    assert_input_rejected(json!({"PipelineName": 7}), "PipelineName").await;
}

#[tokio::test]
async fn pipeline_name_that_is_not_deployed() {
    assert_input_rejected(
        json!({"PipelineName": "nightly"}),
        "key 'PipelineName': 'nightly' is not a deployed pipeline (deployed: daily-etl)",
    )
    .await;
}

#[tokio::test]
async fn inline_pipeline_with_a_schedule_in_an_unknown_time_zone() {
    assert_pipeline_rejected(
        |p| p["Schedule"] = json!({"Cron": "0 2 * * ? *", "Timezone": "Mars/Olympus_Mons"}),
        "key 'Schedule.Timezone'",
    )
    .await;
}
