//! The sample pipeline that `make run` runs, end to end: validate the raw day, then two
//! branches side by side (the Spark curation to Parquet, and the daily statistics), then the
//! publish copy (S3DistCp) that needs both, and a run report that runs whatever happened.

use std::path::{Path, PathBuf};

use emrflow::seed_local_s3;
use emrflow_tests::examples::{
    assert_spark_submit_available, example, example_json, first_attempt, millis, pipeline_json,
    step_states,
};
use emrflow_tests::Harness;

fn parquet_files(folder: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(folder)
        .unwrap_or_else(|error| panic!("{}: {error}", folder.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "parquet"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_pipeline_curates_the_raw_orders_into_parquet() {
    assert_spark_submit_available();
    // GIVEN the sample pipeline, its input and its day of raw data in the local S3
    let harness = Harness::start().await;
    seed_local_s3(&example("s3"), &harness.emr.emr.s3_root()).expect("seeded");
    let pipeline = pipeline_json("daily-etl.json");
    let input = example_json("input.json");
    // WHEN the execution runs
    let run = harness.run(input, pipeline).await;
    // THEN it succeeds through the documented states with every step completed
    let output = run.assert_succeeded();
    assert!(run.entered("Terminate_Cluster"));
    assert_eq!(
        step_states(&output),
        [
            ("validate_raw", "COMPLETED"),
            ("curate_orders", "COMPLETED"),
            ("daily_stats", "COMPLETED"),
            ("publish", "COMPLETED"),
            ("run_report", "COMPLETED")
        ]
    );
    // AND the two branches ran side by side, and publish waited for both
    let attempt = |name: &str| first_attempt(&output, name);
    let (curate, stats, publish) = (
        attempt("curate_orders"),
        attempt("daily_stats"),
        attempt("publish"),
    );
    assert!(
        millis(&curate, "StartedAt") < millis(&stats, "EndedAt")
            && millis(&stats, "StartedAt") < millis(&curate, "EndedAt"),
        "{curate} {stats}"
    );
    assert!(
        millis(&publish, "StartedAt") >= millis(&curate, "EndedAt").max(millis(&stats, "EndedAt"))
    );
    // AND the curated Parquet of the day, its published copy, the statistics and the report exist
    let local = |uri: &str| harness.emr.emr.local_path(uri);
    let curated = parquet_files(&local(
        "s3://emrflow-example/curated/orders/date=2026-11-21/",
    ));
    assert!(!curated.is_empty());
    assert!(curated.iter().all(|file| std::fs::metadata(file)
        .map(|m| m.len() > 0)
        .unwrap_or(false)));
    let published = parquet_files(&local(
        "s3://emrflow-example/published/orders/date=2026-11-21/",
    ));
    assert_eq!(published.len(), curated.len());
    let stats = std::fs::read_to_string(local(
        "s3://emrflow-example/stats/date=2026-11-21/stats.csv",
    ))
    .expect("statistics");
    assert!(
        stats.starts_with("status,currency,orders,amount") && stats.contains("paid,eur,3,29.90"),
        "{stats}"
    );
    let report = std::fs::read_to_string(local(
        "s3://emrflow-example/reports/date=2026-11-21/report.txt",
    ))
    .expect("report");
    assert!(
        report.contains(&format!("published parquet files: {}", published.len())),
        "{report}"
    );
    // AND its Cost is what the snapshot's prices give for the local EMR's instance timelines
    assert_cost_by_hand(&harness, &output).await;
    harness.assert_no_cluster_left_alive().await;
}

/// The sample's estimate computed by hand: each instance ListInstances reports, billed from
/// ready to its end (or the cost's Until), at least a minute, at the snapshot's us-east-1
/// EC2 (on-demand or spot) and EMR prices.
async fn assert_cost_by_hand(harness: &Harness, output: &serde_json::Value) {
    use emrflow_core::cost::Snapshot;
    use emrflow_core::emr::{EmrApi, Market};
    let url = harness.emr.endpoint_url();
    let emr = emrflow_core::SdkEmr::with_endpoint_url(emrflow::local_emr_client(&url), &url);
    let cluster_id = output["ClusterId"].as_str().expect("ClusterId");
    let instances = emr.list_instances(cluster_id).await.expect("ListInstances");
    let cost = &output["Cost"];
    let until = chrono::DateTime::parse_from_rfc3339(cost["Until"].as_str().expect("Until"))
        .expect("an RFC 3339 Until")
        .with_timezone(&chrono::Utc);
    let snapshot = Snapshot::shipped();
    let prices = &snapshot.regions["us-east-1"];
    let (mut expected, mut seconds) = (0.0, 0);
    for instance in &instances {
        let ready = instance
            .ready_at
            .expect("every local instance became ready");
        let end = instance.ended_at.unwrap_or(until).min(until);
        let billed = (end - ready).num_seconds().max(60);
        let price = prices[instance.instance_type.as_str()];
        let ec2 = match instance.market {
            Market::OnDemand => price.ec2,
            Market::Spot => price.spot.expect("a spot price"),
        };
        expected += billed as f64 / 3600.0 * (ec2 + price.emr);
        seconds += billed;
    }
    // The fleets: one m5.xlarge, one c5.2xlarge on demand, two c5.4xlarge spot.
    assert_eq!(instances.len(), 4, "{instances:?}");
    // (whole seconds: each instance's share may round the other way than here, by 1 s)
    let reported = cost["InstanceSeconds"].as_i64().expect("InstanceSeconds");
    assert!(
        (reported - seconds).abs() <= instances.len() as i64,
        "{reported} instance-seconds reported, {seconds} by hand: {cost}"
    );
    let estimated = cost["EstimatedUSD"].as_f64().expect("EstimatedUSD");
    assert!(
        (estimated - expected).abs() < 0.002,
        "{estimated} ≠ {expected}: {cost}"
    );
    assert!(estimated > 0.0);
    assert_eq!(cost.get("Unknown"), None, "{cost}");
}
