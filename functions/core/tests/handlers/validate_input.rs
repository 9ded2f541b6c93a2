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
