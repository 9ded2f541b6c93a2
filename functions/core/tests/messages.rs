//! What a person reads when the spec or the input is wrong: every key quoted, the nearest
//! known key suggested with the whole list, ranges and defaults in words, and every S3 path of
//! a step checked before anything exists.

mod common;

use common::*;
use emrflow_core::{ErrorName, Function};
use serde_json::{json, Value};

/// GIVEN the sample pipeline changed by `change` WHEN validate-input runs THEN InvalidInput,
/// nothing done on EMR; its message.
async fn rejection(change: impl FnOnce(&mut Value)) -> String {
    let mut pipeline = sample_pipeline();
    change(&mut pipeline);
    let fake = FakeEmr::new();
    let error = handlers(&fake)
        .invoke(
            Function::ValidateInput,
            json!({"Input": {"Pipeline": pipeline}, "ExecutionName": "run-1",
                   "StartTime": "2026-11-22T00:00:00Z"}),
        )
        .await
        .expect_err("the pipeline is refused");
    assert_eq!(error.name(), ErrorName::InvalidInput, "{error}");
    assert!(
        fake.mutating_calls().is_empty(),
        "{:?}",
        fake.mutating_calls()
    );
    error.to_string()
}

#[tokio::test]
async fn an_unknown_step_key_lists_every_key_of_the_step_and_suggests_the_nearest() {
    // GIVEN a Script step whose DependsOn is misspelt
    let message = rejection(|p| p["Steps"][2]["DependOn"] = json!(["ingest"])).await;
    // THEN the nearest key is suggested, and the list has the common keys and the type's own
    assert!(
        message.contains("step 'export': unknown key 'DependOn' (did you mean 'DependsOn'?"),
        "{message}"
    );
    for key in [
        "Name",
        "Type",
        "ActionOnFailure",
        "Description",
        "DependsOn",
        "RunIf",
        "Retry",
        "TimeoutSeconds",
        "Script",
        "Args",
    ] {
        assert!(message.contains(key), "{key} missing: {message}");
    }
}

#[tokio::test]
async fn unknown_keys_anywhere_are_quoted_and_get_a_suggestion() {
    // GIVEN unknown keys at the top, in the cluster, in a Retry, and an empty key
    for (change, expected) in [
        (
            Box::new(|p: &mut Value| p["PollIntervalSecond"] = json!(5))
                as Box<dyn FnOnce(&mut Value)>,
            "unknown key 'PollIntervalSecond' (did you mean 'PollIntervalSeconds'? known keys: Name, PollIntervalSeconds",
        ),
        (
            Box::new(|p: &mut Value| p["Cluster"]["LogURI"] = json!("s3://my-bucket/x/")),
            "unknown key 'LogURI' (did you mean 'LogUri'?",
        ),
        (
            Box::new(|p: &mut Value| {
                p["Steps"][0]["Retry"] = json!({"MaxAttempt": 2});
            }),
            "unknown key 'MaxAttempt' (did you mean 'MaxAttempts'? known keys: MaxAttempts, IntervalSeconds)",
        ),
        (
            Box::new(|p: &mut Value| p[""] = json!(1)),
            "unknown key '' (known keys: Name,",
        ),
        (
            Box::new(|p: &mut Value| p["Steps"][0]["RunIf"] = json!("ALL_DONES")),
            "'ALL_DONES' is not one of ALL_SUCCEEDED, ALL_DONE, ANY_FAILED (did you mean 'ALL_DONE'?)",
        ),
        (
            Box::new(|p: &mut Value| p["Steps"][0]["Type"] = json!("Sparc")),
            "unknown step type 'Sparc' (did you mean 'Spark'?)",
        ),
        (
            Box::new(|p: &mut Value| {
                p["Steps"][1]["DependsOn"] = json!(["ingset"]);
            }),
            "depends on 'ingset', which is not a step of this pipeline (did you mean 'ingest'?)",
        ),
        (
            Box::new(|p: &mut Value| p["Steps"][0]["Args"] = json!(["{{ProcessingDat}}"])),
            "unknown placeholder {{ProcessingDat}} (did you mean 'ProcessingDate'?",
        ),
    ] {
        // WHEN validated THEN the message quotes the key and suggests the one meant
        let message = rejection(change).await;
        assert!(message.contains(expected), "'{expected}' not in: {message}");
    }
}

#[tokio::test]
async fn ranges_are_said_in_words_not_in_rust() {
    // GIVEN values out of their ranges
    for (change, expected) in [
        (
            Box::new(|p: &mut Value| p["Steps"][0]["Retry"] = json!({"MaxAttempts": 11}))
                as Box<dyn FnOnce(&mut Value)>,
            "key 'Steps[0].Retry.MaxAttempts': step 'ingest' asks for 11 more attempts; MaxAttempts must be from 1 to 10",
        ),
        (
            Box::new(|p: &mut Value| p["PollIntervalSeconds"] = json!(0)),
            "key 'PollIntervalSeconds': 0 is not allowed: it must be from 1 to 3600 seconds",
        ),
        (
            Box::new(|p: &mut Value| p["MaxRunMinutes"] = json!(0)),
            "key 'MaxRunMinutes': 0 is not allowed: it must be from 1 to 10080 minutes",
        ),
        (
            Box::new(|p: &mut Value| p["Cluster"]["StepConcurrencyLevel"] = json!(300)),
            "key 'Cluster.StepConcurrencyLevel': 300 is not allowed: it must be from 1 to 256",
        ),
        (
            Box::new(|p: &mut Value| p["Steps"][0]["TimeoutSeconds"] = json!(0)),
            "key 'Steps[0].TimeoutSeconds': step 'ingest': 0 is not allowed: it must be from 1 to 604800 seconds",
        ),
    ] {
        // WHEN validated THEN the range is words, never `1..=10`
        let message = rejection(change).await;
        assert!(message.contains(expected), "'{expected}' not in: {message}");
        assert!(!message.contains("..="), "{message}");
    }
}

#[tokio::test]
async fn a_step_without_action_on_failure_is_told_it_has_the_default() {
    // GIVEN two steps at a time, the first one not setting ActionOnFailure
    let message = rejection(|p| {
        p["Cluster"]["StepConcurrencyLevel"] = json!(2);
        p["Steps"][2]["ActionOnFailure"] = json!("CONTINUE");
        p["Steps"][1]["ActionOnFailure"] = json!("CONTINUE");
    })
    .await;
    // THEN the message says where CANCEL_AND_WAIT comes from and what to write instead
    assert!(
        message.contains("step 'ingest' uses CANCEL_AND_WAIT (the default when a step does not set ActionOnFailure)"),
        "{message}"
    );
    assert!(
        message.contains(r#""ActionOnFailure": "CONTINUE""#),
        "{message}"
    );
}

#[tokio::test]
async fn every_s3_path_of_a_step_is_checked_before_anything_exists() {
    // GIVEN S3 paths with a bad bucket in each key a step may name one
    let bad = "s3://Bad_Bucket/x";
    let with = |step: Value| move |p: &mut Value| p["Steps"][0] = step;
    for (step, key) in [
        (
            json!({"Name": "s", "Type": "Spark", "Application": bad}),
            "Steps[0].Application",
        ),
        (
            json!({"Name": "s", "Type": "Spark", "Application": "s3:/one-slash/app.py"}),
            "Steps[0].Application",
        ),
        (
            json!({"Name": "s", "Type": "Spark", "Application": "s3://jobs-bucket/a.py", "PyFiles": ["s3://jobs-bucket/b.py", bad]}),
            "Steps[0].PyFiles[1]",
        ),
        (
            json!({"Name": "s", "Type": "Spark", "Application": "s3://jobs-bucket/a.py", "Jars": [bad]}),
            "Steps[0].Jars[0]",
        ),
        (
            json!({"Name": "s", "Type": "Spark", "Application": "s3://jobs-bucket/a.py", "Args": ["--input", format!("--out={bad}")]}),
            "Steps[0].Args[1]",
        ),
        (
            json!({"Name": "s", "Type": "CustomJar", "Jar": bad}),
            "Steps[0].Jar",
        ),
        (
            json!({"Name": "s", "Type": "Hive", "Script": "s3://jobs-bucket/q.hql", "Variables": {"IN": bad}}),
            "Steps[0].Variables.IN",
        ),
        (
            json!({"Name": "s", "Type": "S3DistCp", "Src": "hdfs:///ok/", "Dest": bad}),
            "Steps[0].Dest",
        ),
        (
            json!({"Name": "s", "Type": "Streaming", "Input": ["s3://jobs-bucket/in/"], "Output": "s3://jobs-bucket/out/",
                   "Mapper": bad, "Reducer": "cat"}),
            "Steps[0].Mapper",
        ),
        (
            json!({"Name": "s", "Type": "Streaming", "Input": ["s3://jobs-bucket/in/"], "Output": "s3://jobs-bucket/out/",
                   "Mapper": "m.py", "Reducer": "cat", "Files": [bad]}),
            "Steps[0].Files[0]",
        ),
        (
            json!({"Name": "s", "Type": "Command", "Args": ["aws", "s3", "cp", bad, "."]}),
            "Steps[0].Args[3]",
        ),
    ] {
        // WHEN validated THEN InvalidInput naming the key, before any EMR call
        let message = rejection(with(step)).await;
        assert!(
            message.contains(&format!("key '{key}'")),
            "{key}: {message}"
        );
    }
}

#[test]
fn paths_on_the_cluster_or_in_hdfs_are_not_taken_for_s3() {
    // GIVEN a JAR on the cluster, an HDFS destination and a local mapper
    let mut pipeline = sample_pipeline();
    pipeline["Steps"] = json!([
        {"Name": "jar", "Type": "CustomJar", "Jar": "/usr/lib/hadoop/hadoop-streaming.jar"},
        {"Name": "copy", "Type": "S3DistCp", "Src": "s3://jobs-bucket/in/", "Dest": "hdfs:///out/"},
        {"Name": "stream", "Type": "Streaming", "Input": ["s3://jobs-bucket/in/"],
         "Output": "s3://jobs-bucket/out/", "Mapper": "m.py", "Reducer": "cat"}
    ]);
    // WHEN validated THEN accepted
    emrflow_core::PipelineSpec::from_value(pipeline).expect("valid");
}
