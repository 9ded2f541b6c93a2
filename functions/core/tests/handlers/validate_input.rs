//! validate-input: defaults, placeholders, the pipeline it must find.

use crate::common::*;
use crate::*;

#[tokio::test]
async fn validate_input_applies_defaults_and_renders_placeholders() {
    // GIVEN an empty execution input and the default pipeline
    let fake = FakeEmr::new();
    let handlers = handlers(&fake);
    // WHEN validate-input runs
    let out = handlers
        .invoke(
            Function::ValidateInput,
            json!({"Input": {}, "ExecutionName": EXECUTION, "StartTime": "2026-11-22T23:30:00-02:00"}),
        )
        .await
        .unwrap();
    // THEN it creates and terminates, the date is the UTC day of StartTime, placeholders are rendered
    assert_eq!(out["CreateCluster"], true);
    assert_eq!(out["TerminateCluster"], true);
    assert_eq!(out["ClusterId"], Value::Null);
    assert_eq!(out["ProcessingDate"], "2026-11-23");
    assert_eq!(out["ExecutionName"], EXECUTION);
    assert_eq!(out["PipelineName"], "daily-etl");
    assert_eq!(out["Mode"], "LIST");
    assert_eq!(out["Steps"], 3);
    // AND the state keeps a summary and the pipeline's fingerprint, never the spec itself
    assert_eq!(out.get("Pipeline"), None);
    assert_eq!(out["PipelineDigest"].as_str().unwrap().len(), 64);
    let normalized = emrflow_core::input::normalize(
        json!({}),
        EXECUTION,
        "2026-11-22T23:30:00-02:00",
        handlers.deployment(),
    )
    .unwrap();
    let pipeline = serde_json::to_value(&normalized.pipeline).unwrap();
    assert_eq!(
        pipeline["Steps"][0]["Args"],
        json!(["--date", "2026-11-23"])
    );
    assert_eq!(pipeline["Steps"][1]["Variables"]["day"], "20261123");
    assert_eq!(pipeline["Steps"][2]["Args"], json!([EXECUTION]));
    assert_eq!(
        pipeline["Cluster"]["LogUri"],
        "s3://my-bucket/emr-logs/daily-etl/"
    );
    // AND no EMR call was made
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn validate_input_reuse_defaults_to_not_terminating() {
    // GIVEN a reuse input without TerminateCluster
    let handlers = handlers(&FakeEmr::new());
    // WHEN validated
    let out = handlers
        .invoke(
            Function::ValidateInput,
            json!({"Input": {"CreateCluster": false, "ClusterId": "j-ABC123"}, "ExecutionName": EXECUTION, "StartTime": "2026-11-22T00:00:00Z"}),
        )
        .await
        .unwrap();
    // THEN the reused cluster is not terminated by default
    assert_eq!(out["TerminateCluster"], false);
    assert_eq!(out["ClusterId"], "j-ABC123");
}

#[tokio::test]
async fn validate_input_without_any_pipeline_is_invalid_input() {
    // GIVEN handlers without a deployed default pipeline
    let fake = FakeEmr::new();
    let handlers = emrflow_core::Dispatch::new(fake.clone(), emrflow_core::Deployment::new(REGION));
    // WHEN the input gives no Pipeline either THEN InvalidInput naming the key
    let error = handlers
        .invoke(
            Function::ValidateInput,
            json!({"Input": null, "ExecutionName": EXECUTION, "StartTime": "2026-11-22T00:00:00Z"}),
        )
        .await
        .unwrap_err();
    assert_eq!(error.name(), ErrorName::InvalidInput);
    assert!(error.to_string().contains("Pipeline"));
}

/// Handlers over `fake` with two pipelines deployed: the sample (`daily-etl`) and a copy
/// named `hourly-clicks` whose only step is `count_clicks`.
fn two_pipelines(fake: &std::sync::Arc<FakeEmr>) -> emrflow_core::Dispatch {
    let mut clicks = sample_pipeline();
    clicks["Name"] = json!("hourly-clicks");
    clicks["Steps"] = json!([{"Name": "count_clicks", "Type": "Command", "Args": ["true"]}]);
    let clicks = emrflow_core::PipelineSpec::from_value(clicks).unwrap();
    emrflow_core::Dispatch::new(
        fake.clone(),
        deployment(sample_spec()).with_pipeline(clicks),
    )
}

async fn validate(
    handlers: &emrflow_core::Dispatch,
    input: Value,
) -> Result<Value, emrflow_core::EmrflowError> {
    handlers
        .invoke(
            Function::ValidateInput,
            json!({"Input": input, "ExecutionName": EXECUTION, "StartTime": START}),
        )
        .await
}

#[tokio::test]
async fn pipeline_name_picks_the_deployed_pipeline_and_later_handlers_re_derive_it() {
    // GIVEN two deployed pipelines and an input naming the second
    let fake = FakeEmr::new();
    let handlers = two_pipelines(&fake);
    let input = json!({"PipelineName": "hourly-clicks", "ProcessingDate": "2026-11-21"});
    // WHEN validate-input, then ensure-cluster and add-steps run for that execution
    let summary = validate(&handlers, input.clone()).await.unwrap();
    let execution = json!({"Input": input, "Name": EXECUTION, "StartTime": START,
                           "PipelineDigest": summary["PipelineDigest"]});
    let cluster = handlers
        .invoke(
            Function::EnsureCluster,
            json!({"CreateCluster": true, "ClusterId": null, "Execution": execution}),
        )
        .await
        .unwrap();
    let cluster_id = cluster["ClusterId"].as_str().unwrap().to_string();
    handlers
        .invoke(
            Function::AddSteps,
            json!({"ClusterId": cluster_id, "Execution": execution}),
        )
        .await
        .unwrap();
    // THEN every handler worked on that pipeline: its name, its cluster, its one step
    assert_eq!(summary["PipelineName"], "hourly-clicks");
    assert_eq!(summary["Steps"], 1);
    assert_eq!(
        cluster["ClusterName"],
        format!("emrflow-hourly-clicks-{EXECUTION}")
    );
    let names: Vec<String> = fake
        .cluster(&cluster_id)
        .steps
        .iter()
        .map(|step| step.name.clone())
        .collect();
    assert_eq!(names, [format!("count_clicks [{EXECUTION}]")]);
}

#[tokio::test]
async fn with_several_pipelines_deployed_the_input_must_name_a_known_one() {
    // GIVEN two deployed pipelines
    let fake = FakeEmr::new();
    let handlers = two_pipelines(&fake);
    // WHEN the input names none, or one that is not deployed
    let none = validate(&handlers, json!({})).await.unwrap_err();
    let unknown = validate(&handlers, json!({"PipelineName": "daily-elt"}))
        .await
        .unwrap_err();
    // THEN InvalidInput naming the key and listing the deployed pipelines, and no EMR call
    for (error, key) in [
        (
            none,
            "key 'PipelineName': required when more than one pipeline is deployed",
        ),
        (
            unknown,
            "key 'PipelineName': 'daily-elt' is not a deployed pipeline",
        ),
    ] {
        assert_eq!(error.name(), ErrorName::InvalidInput);
        assert!(error.message().contains(key), "{error}");
        assert!(
            error
                .message()
                .contains("deployed: daily-etl, hourly-clicks"),
            "{error}"
        );
    }
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn an_inline_pipeline_still_runs_beside_the_deployed_ones() {
    // GIVEN two deployed pipelines and an input carrying a spec of its own
    let handlers = two_pipelines(&FakeEmr::new());
    let mut own = sample_pipeline();
    own["Name"] = json!("adhoc");
    // WHEN validated THEN that spec runs
    let summary = validate(&handlers, json!({"Pipeline": own})).await.unwrap();
    assert_eq!(summary["PipelineName"], "adhoc");
}

#[tokio::test]
async fn editing_a_schedule_does_not_disturb_a_running_execution() {
    // GIVEN an execution validated against a pipeline with a schedule
    let fake = FakeEmr::new();
    let mut scheduled = sample_pipeline();
    scheduled["Schedule"] = json!({"Cron": "0 6 * * ? *", "Timezone": "Europe/Berlin"});
    let before = emrflow_core::PipelineSpec::from_value(scheduled.clone()).unwrap();
    let handlers = emrflow_core::Dispatch::new(fake.clone(), deployment(before));
    let input = json!({"ProcessingDate": "2026-11-21"});
    let summary = validate(&handlers, input.clone()).await.unwrap();
    // WHEN a redeploy changes only the schedule before ensure-cluster runs
    scheduled["Schedule"] = json!({"Cron": "0 7 * * ? *", "Enabled": false});
    let after = emrflow_core::PipelineSpec::from_value(scheduled).unwrap();
    let redeployed = emrflow_core::Dispatch::new(fake.clone(), deployment(after));
    let cluster = redeployed
        .invoke(
            Function::EnsureCluster,
            json!({"CreateCluster": true, "ClusterId": null,
                   "Execution": {"Input": input, "Name": EXECUTION, "StartTime": START,
                                 "PipelineDigest": summary["PipelineDigest"]}}),
        )
        .await;
    // THEN the digest still matches: the schedule is not part of what the execution runs
    assert!(cluster.is_ok(), "{cluster:?}");
}

#[tokio::test]
async fn every_pipeline_of_the_folder_fits_the_state_limit() {
    // GIVEN the repository's pipelines folder deployed
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../../pipelines");
    let pipelines =
        emrflow_core::deployment::load_pipeline_folder(std::path::Path::new(folder)).unwrap();
    let names: Vec<String> = pipelines.keys().cloned().collect();
    let handlers = emrflow_core::Dispatch::new(
        FakeEmr::new(),
        emrflow_core::Deployment::new(REGION).with_pipelines(pipelines),
    );
    for name in names {
        // WHEN each is validated by name, as its schedule starts it
        let summary = validate(&handlers, json!({"PipelineName": name}))
            .await
            .unwrap();
        // THEN its worst-case state stays under Step Functions' 256 KiB
        let worst = summary["WorstCaseStateBytes"].as_u64().unwrap();
        assert!(worst < 256 * 1024, "{name}: {worst}");
    }
}

/// The sample's input re-running `daily-etl-2026-11-21` with `rerun_of` as its RerunOf.
fn rerun_input(rerun_of: Value) -> Value {
    json!({"ProcessingDate": "2026-11-21", "RerunOf": rerun_of})
}

async fn refused(handlers: &emrflow_core::Dispatch, rerun_of: Value) -> String {
    let error = validate(handlers, rerun_input(rerun_of))
        .await
        .expect_err("refused");
    assert_eq!(error.name(), ErrorName::InvalidInput, "{error}");
    error.to_string()
}

#[tokio::test]
async fn a_rerun_skipping_completed_steps_is_accepted_and_its_state_stays_bounded() {
    // GIVEN the sample pipeline and a re-run skipping its first two steps
    let handlers = handlers(&FakeEmr::new());
    let rerun_of = json!({"Execution": "daily-etl-2026-11-21", "Skip": [
        {"Name": "ingest", "StepId": "s-1AAA"}, {"Name": "transform", "StepId": "s-2BBB"}]});
    // WHEN validated
    let out = validate(&handlers, rerun_input(rerun_of.clone()))
        .await
        .unwrap();
    // THEN it runs the same pipeline; its worst-case state counts a skip reason per step
    let plain = validate(&handlers, json!({"ProcessingDate": "2026-11-21"}))
        .await
        .unwrap();
    assert_eq!(out["Steps"], 3);
    assert!(
        out["WorstCaseStateBytes"].as_u64() > plain["WorstCaseStateBytes"].as_u64(),
        "{out} vs {plain}"
    );
    // AND an ARN names the execution as well as its name
    let by_arn = json!({"Execution": "arn:aws:states:us-east-1:111122223333:execution:emrflow:daily-etl-2026-11-21",
        "Skip": [{"Name": "ingest", "StepId": "s-1AAA"}]});
    assert!(validate(&handlers, rerun_input(by_arn)).await.is_ok());
}

#[tokio::test]
async fn a_rerun_of_steps_the_pipeline_no_longer_has_or_a_bad_shape_is_refused() {
    // GIVEN the sample pipeline (ingest, transform, export)
    let handlers = handlers(&FakeEmr::new());
    // WHEN a skipped step is not a step of the pipeline now THEN the nearest name and the list
    let text = refused(
        &handlers,
        json!({"Execution": "daily-etl-2026-11-21", "Skip": [{"Name": "transfrom", "StepId": "s-1"}]}),
    )
    .await;
    assert!(
        text.contains("key 'RerunOf.Skip[0].Name': pipeline 'daily-etl' has no step 'transfrom' (did you mean 'transform'?)"),
        "{text}"
    );
    assert!(text.contains("ingest, transform, export"), "{text}");
    // AND an unknown key gets the nearest known one
    let text = refused(&handlers, json!({"Execution": "x", "Skips": []})).await;
    assert!(
        text.contains("unknown key 'Skips' (did you mean 'Skip'?"),
        "{text}"
    );
    // AND a step id not shaped as EMR's, a step named twice, every step skipped, itself
    let text = refused(
        &handlers,
        json!({"Execution": "x", "Skip": [{"Name": "ingest", "StepId": "j-1"}]}),
    )
    .await;
    assert!(text.contains("key 'RerunOf.Skip[0].StepId'"), "{text}");
    let twice = json!({"Execution": "x", "Skip": [
        {"Name": "ingest", "StepId": "s-1"}, {"Name": "ingest", "StepId": "s-2"}]});
    assert!(refused(&handlers, twice).await.contains("named twice"));
    let all = json!({"Execution": "x", "Skip": [{"Name": "ingest", "StepId": "s-1"},
        {"Name": "transform", "StepId": "s-2"}, {"Name": "export", "StepId": "s-3"}]});
    assert!(refused(&handlers, all).await.contains("nothing would run"));
    let itself = json!({"Execution": EXECUTION, "Skip": []});
    assert!(refused(&handlers, itself)
        .await
        .contains("cannot re-run itself"));
    let bad_name = json!({"Execution": "a b", "Skip": []});
    assert!(refused(&handlers, bad_name)
        .await
        .contains("key 'RerunOf.Execution'"));
}
