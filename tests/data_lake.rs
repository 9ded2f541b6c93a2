//! Seed 001's data-lake pipeline (`pipelines/data-lake.json`), end to end on the
//! local EMR with the real definition and handlers: validation → deduplication → the Hive
//! business transformation → customer ∥ product analytics → quality monitoring (a custom
//! JAR, RunIf ALL_DONE) and the archive copy (S3DistCp). What `make data-lake` runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use emrflow::seed_local_s3;
use emrflow_tests::examples::{
    assert_spark_submit_available, example, first_attempt, millis, pipeline_json, step_states,
};
use emrflow_tests::Harness;
use serde_json::{json, Value};

const DAY: &str = "2026-11-21";

/// Runs a JDK tool; a missing JDK fails the test with what to install (never a skip).
fn jdk(tool: &str, args: &[&str]) {
    let status = Command::new(tool)
        .args(args)
        .status()
        .unwrap_or_else(|error| {
            panic!("{tool}: {error}: the quality monitor needs a JDK 17+ (javac and jar)")
        });
    assert!(status.success(), "{tool} {args:?}: {status}");
}

/// What `make data-lake` does: the monitor's class compiled and packed into the local S3,
/// where the pipeline's CustomJar step names it.
fn build_quality_monitor_jar(s3_root: &Path) {
    let classes = tempfile::tempdir().expect("temp dir");
    let classes = classes.path().to_str().expect("UTF-8 path");
    let source =
        example("s3/data-lake-example/monitoring-apps/src/com/company/QualityMonitor.java");
    let jar = s3_root.join("data-lake-example/monitoring-apps/quality-monitor.jar");
    jdk(
        "javac",
        &[
            "--release",
            "17",
            "-d",
            classes,
            source.to_str().expect("UTF-8 path"),
        ],
    );
    jdk(
        "jar",
        &[
            "--create",
            "--file",
            jar.to_str().expect("UTF-8 path"),
            "-C",
            classes,
            ".",
        ],
    );
}

/// Files under `folder` (any depth) whose name ends with `suffix`, sorted.
fn files_ending(folder: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let entries =
        std::fs::read_dir(folder).unwrap_or_else(|error| panic!("{}: {error}", folder.display()));
    for path in entries.map(|entry| entry.expect("entry").path()) {
        if path.is_dir() {
            found.extend(files_ending(&path, suffix));
        } else if path.to_string_lossy().ends_with(suffix) {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// A Parquet file starts and ends with the magic `PAR1`.
fn is_parquet(bytes: &[u8]) -> bool {
    bytes.len() > 8 && bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1")
}

/// The rows of the one CSV file Spark wrote into `folder`, by header name. The analytics
/// write no quoted commas, so splitting is enough.
fn csv_rows(folder: &Path) -> Vec<HashMap<String, String>> {
    let files = files_ending(folder, ".csv");
    assert_eq!(files.len(), 1, "one CSV in {}: {files:?}", folder.display());
    let text = std::fs::read_to_string(&files[0]).expect("CSV");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    lines
        .map(|line| {
            let cells = line.split(',').map(str::to_string);
            header
                .iter()
                .map(|name| name.to_string())
                .zip(cells)
                .collect()
        })
        .collect()
}

fn total(rows: &[HashMap<String, String>], column: &str) -> f64 {
    rows.iter()
        .map(|row| row[column].parse::<f64>().expect("a number"))
        .sum()
}

fn row<'a>(
    rows: &'a [HashMap<String, String>],
    key: &str,
    id: &str,
) -> &'a HashMap<String, String> {
    rows.iter()
        .find(|row| row[key] == id)
        .unwrap_or_else(|| panic!("no {key} {id} in {rows:?}"))
}

#[ignore = "slow: make test-slow"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_lake_pipeline_runs_from_raw_events_to_analytics_report_and_archive() {
    assert_spark_submit_available();
    // GIVEN the example's jobs, reference data and one day of raw events (36 rows: 31 events,
    // 5 of them delivered twice, 2 of those corrected by the second delivery, 1 without a
    // customer) in the local S3, the monitor's JAR built, and the pipeline as shipped
    let harness = Harness::start().await;
    let s3_root = harness.emr.emr.s3_root();
    seed_local_s3(&example("s3"), &s3_root).expect("seeded");
    build_quality_monitor_jar(&s3_root);
    let pipeline = pipeline_json("data-lake.json");

    // WHEN the day runs
    let run = harness
        .run(json!({ "ProcessingDate": DAY }), pipeline)
        .await;

    // THEN it succeeds with every step completed, and the cluster is gone
    let output = run.assert_succeeded();
    assert_eq!(
        step_states(&output),
        [
            ("data_validation", "COMPLETED"),
            ("data_deduplication", "COMPLETED"),
            ("business_transformation", "COMPLETED"),
            ("customer_analytics", "COMPLETED"),
            ("product_analytics", "COMPLETED"),
            ("quality_monitoring", "COMPLETED"),
            ("data_archive", "COMPLETED"),
        ]
    );
    harness.assert_no_cluster_left_alive().await;

    // AND the two analytics ran side by side, after the transformation, and the monitor and
    // the archive started only once both had ended
    let attempt = |name: &str| first_attempt(&output, name);
    let (transform, customers, products) = (
        attempt("business_transformation"),
        attempt("customer_analytics"),
        attempt("product_analytics"),
    );
    assert!(
        millis(&customers, "StartedAt") < millis(&products, "EndedAt")
            && millis(&products, "StartedAt") < millis(&customers, "EndedAt"),
        "the analytics did not overlap: {customers} {products}"
    );
    assert!(
        millis(&customers, "StartedAt").min(millis(&products, "StartedAt"))
            >= millis(&transform, "EndedAt")
    );
    let analytics_end = millis(&customers, "EndedAt").max(millis(&products, "EndedAt"));
    for merge in ["quality_monitoring", "data_archive"] {
        assert!(
            millis(&attempt(merge), "StartedAt") >= analytics_end,
            "{merge} started early"
        );
    }

    let local = |uri: &str| harness.emr.emr.local_path(uri);
    // AND the validation counted every raw row, found the one without a customer, and passed
    // (1 of 36 is under the 5 % threshold)
    let report_file = files_ending(
        &local(&format!(
            "s3://data-lake-example/validation-results/{DAY}/report/"
        )),
        ".json",
    );
    let validation: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_file[0]).expect("report"))
            .expect("JSON");
    assert_eq!(
        (
            &validation["rows"],
            &validation["invalid_rows"],
            &validation["passed"]
        ),
        (&json!(36), &json!(1), &json!(true)),
        "{validation}"
    );

    // AND the cleansed day is Parquet by region, and the Hive step wrote both business
    // tables' partitions of the day as Parquet under their S3 locations
    let cleansed = files_ending(
        &local(&format!(
            "s3://data-lake-example/cleansed-data/daily/date={DAY}/"
        )),
        ".parquet",
    );
    assert_eq!(cleansed.len(), 3, "one file per region: {cleansed:?}");
    for table in ["customer_interactions", "product_interactions"] {
        let files = files_ending(
            &local(&format!(
                "s3://data-lake-example/warehouse/business_data/{table}/date={DAY}/"
            )),
            ".parquet",
        );
        assert!(!files.is_empty(), "no Parquet for {table}");
        assert!(files
            .iter()
            .all(|file| is_parquet(&std::fs::read(file).expect("file"))));
    }

    // AND the analytics count each of the 30 clean events once (duplicates and the invalid
    // row gone) and use the corrected deliveries (E012: 2 poles, E025: 24.90, not 249.00)
    let customers = csv_rows(&local(&format!(
        "s3://data-lake-example/analytics-results/customer-insights/{DAY}/"
    )));
    let products = csv_rows(&local(&format!(
        "s3://data-lake-example/analytics-results/product-insights/{DAY}/"
    )));
    assert_eq!((customers.len(), products.len()), (8, 6));
    for rows in [&customers, &products] {
        assert_eq!(total(rows, "events"), 30.0);
        assert!((total(rows, "revenue") - 646.10).abs() < 0.001, "{rows:?}");
    }
    assert_eq!(row(&customers, "customer_id", "C003")["revenue"], "24.90");
    assert_eq!(
        row(&customers, "customer_id", "C005")["segment"],
        "high_value"
    );
    assert_eq!(row(&products, "product_id", "P105")["units_sold"], "3");
    assert_eq!(row(&products, "product_id", "P105")["reorder"], "true");

    // AND the quality monitor found both outputs complete and consistent, with no alert
    let quality: Value = serde_json::from_str(
        &std::fs::read_to_string(local(&format!(
            "s3://data-lake-example/quality-reports/{DAY}/quality-report.json"
        )))
        .expect("quality report"),
    )
    .expect("JSON");
    assert_eq!(
        quality["metrics"],
        json!({"completeness": 1.0, "accuracy": 1.0, "consistency": 1.0, "timeliness": 1.0}),
        "{quality}"
    );
    assert_eq!(quality["alerts"], json!([]));
    assert_eq!(quality["outputs"]["product-insights"]["events"], json!(30));

    // AND the archive holds each cleansed Parquet file gzipped (and nothing else: the .crc
    // files beside them do not match the SrcPattern)
    let archive = local("s3://data-lake-example/data-archive/20261121/");
    let archived = files_ending(&archive, "");
    assert_eq!(archived.len(), cleansed.len(), "{archived:?}");
    for source in &cleansed {
        let relative = source
            .strip_prefix(local(&format!(
                "s3://data-lake-example/cleansed-data/daily/date={DAY}/"
            )))
            .expect("under the day");
        let mut gzipped = archive.join(relative).into_os_string();
        gzipped.push(".gz");
        let unzipped = Command::new("gzip")
            .arg("-dc")
            .arg(&gzipped)
            .output()
            .expect("gzip runs");
        assert!(unzipped.status.success(), "{gzipped:?} is not gzip");
        assert_eq!(
            unzipped.stdout,
            std::fs::read(source).expect("source"),
            "{gzipped:?}"
        );
    }
}
