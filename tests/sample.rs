//! The sample pipeline that `make run` runs, end to end: validate the raw day, then two
//! branches side by side (the Spark curation to Parquet, and the daily statistics), then the
//! publish copy (S3DistCp) that needs both, and a run report that runs whatever happened.

use std::path::{Path, PathBuf};

use emrflow::seed_local_s3;
use emrflow_tests::Harness;
use serde_json::Value;

fn example(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(relative)
}

fn read_json(path: PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON")
}

fn parquet_files(folder: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(folder)
        .unwrap_or_else(|error| panic!("{}: {error}", folder.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "parquet"))
        .collect()
}

fn seconds(attempt: &Value, key: &str) -> i64 {
    let text = attempt[key].as_str().expect("a time");
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339")
        .timestamp_millis()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_pipeline_curates_the_raw_orders_into_parquet() {
    // `make test` installs PySpark into .venv first; without it this test must fail, not skip.
    assert!(
        emrflow_local_emr::locate_spark_submit(None).is_some(),
        "no spark-submit: run `make spark-env` (PySpark into .venv)"
    );
    // GIVEN the sample pipeline, its input and its day of raw data in the local S3
    let harness = Harness::start().await;
    seed_local_s3(&example("s3"), &harness.emr.emr.s3_root()).expect("seeded");
    let pipeline = read_json(example("pipeline.json"));
    let input = read_json(example("input.json"));
    // WHEN the execution runs
    let run = harness.run(input, pipeline).await;
    // THEN it succeeds through the documented states with every step completed
    let output = run.assert_succeeded();
    assert!(run.entered("Terminate_Cluster"));
    let steps = output["Steps"].as_array().expect("steps");
    let states: Vec<(&str, &str)> = steps
        .iter()
        .filter_map(|step| Some((step["Name"].as_str()?, step["State"].as_str()?)))
        .collect();
    assert_eq!(
        states,
        [
            ("validate_raw", "COMPLETED"),
            ("curate_orders", "COMPLETED"),
            ("daily_stats", "COMPLETED"),
            ("publish", "COMPLETED"),
            ("run_report", "COMPLETED")
        ]
    );
    // AND the two branches ran side by side, and publish waited for both
    let attempt = |index: usize| &steps[index]["Attempts"][0];
    let (curate, stats, publish) = (attempt(1), attempt(2), attempt(3));
    assert!(
        seconds(curate, "StartedAt") < seconds(stats, "EndedAt")
            && seconds(stats, "StartedAt") < seconds(curate, "EndedAt"),
        "{curate} {stats}"
    );
    assert!(
        seconds(publish, "StartedAt") >= seconds(curate, "EndedAt").max(seconds(stats, "EndedAt"))
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
    harness.assert_no_cluster_left_alive().await;
}
