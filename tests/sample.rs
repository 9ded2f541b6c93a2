//! The sample pipeline that `make run` runs, end to end: the Script step validates the raw
//! CSV, the Spark step writes curated Parquet partitioned by date.

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

fn spark_submit_available() -> bool {
    std::env::var_os("EMRFLOW_SPARK_SUBMIT").is_some_and(|path| Path::new(&path).exists())
        || std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|dir| dir.join("spark-submit").is_file())
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_pipeline_curates_the_raw_orders_into_parquet() {
    if !spark_submit_available() {
        eprintln!("SKIPPED: no spark-submit (make test installs pyspark into .venv and sets EMRFLOW_SPARK_SUBMIT)");
        return;
    }
    // GIVEN the sample pipeline, its input and its day of raw data in the local S3
    let harness = Harness::start().await;
    seed_local_s3(&example("s3"), &harness.emr.emr.s3_root()).expect("seeded");
    let pipeline = read_json(example("pipeline.json"));
    let input = read_json(example("input.json"));
    // WHEN the execution runs
    let run = harness.run(input, pipeline).await;
    // THEN it succeeds through the documented states with both steps completed
    let output = run.assert_succeeded();
    assert!(run.entered("Terminate_Cluster"));
    let states: Vec<&str> = output["Steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|step| step["State"].as_str())
        .collect();
    assert_eq!(states, ["COMPLETED", "COMPLETED"]);
    // AND the curated Parquet of the processing date is on disk
    let partition = harness
        .emr
        .emr
        .local_path("s3://emrflow-example/curated/orders/date=2026-11-21/");
    let parquet: Vec<PathBuf> = std::fs::read_dir(&partition)
        .expect("partition folder")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "parquet"))
        .collect();
    assert!(!parquet.is_empty(), "no Parquet in {}", partition.display());
    assert!(parquet.iter().all(|file| std::fs::metadata(file)
        .map(|m| m.len() > 0)
        .unwrap_or(false)));
    harness.assert_no_cluster_left_alive().await;
}
