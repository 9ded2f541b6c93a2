//! Seed 001's multi-tenant pipeline (`pipelines/multi-tenant.json`), end to end on
//! the local EMR with the real definition and handlers: per-tenant ETL (PySpark) → per-tenant
//! Hive analytics (spark-sql) → one privacy-preserving cross-tenant aggregation. What `make
//! multi-tenant` runs, for two of its three tenants (the input's Items), so the test starts
//! five Spark JVMs rather than seven; `tests/for_each.rs` runs all three, and the failure
//! paths, with quick scripts.

use std::io::Read;
use std::path::{Path, PathBuf};

use emrflow::seed_local_s3;
use emrflow_tests::examples::{
    assert_spark_submit_available, example, first_attempt, millis, pipeline_json, step_states,
};
use emrflow_tests::Harness;
use serde_json::{json, Value};

const DAY: &str = "2026-11-21";

/// The one CSV file Spark wrote into `folder`, as (header, rows) of cells.
fn csv(folder: &Path) -> Vec<Vec<String>> {
    let files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap_or_else(|error| panic!("{}: {error}", folder.display()))
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "csv"))
        .collect();
    assert_eq!(files.len(), 1, "one CSV in {}: {files:?}", folder.display());
    std::fs::read_to_string(&files[0])
        .expect("CSV")
        .lines()
        .map(|line| line.split(',').map(str::to_string).collect())
        .collect()
}

/// What a step attempt printed (its gzipped stdout where EMR puts step logs).
fn stdout_of(harness: &Harness, attempt: &Value) -> String {
    let location = attempt["LogLocation"].as_str().expect("a log location");
    let path = harness.emr.emr.local_path(&format!("{location}stdout.gz"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("stdout.gz"))
        .read_to_string(&mut text)
        .expect("gzip text");
    text
}

#[ignore = "slow: make test-slow"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_multi_tenant_pipeline_runs_each_tenants_chain_then_the_platform_aggregation() {
    assert_spark_submit_available();
    // GIVEN the example's jobs, rules and a day of raw orders per tenant in the local S3
    // (tenant_c has one order in a currency it does not sell in: 23 of 24 valid, above the
    // 0.95 quality threshold), and an execution for tenant_a and tenant_c
    let harness = Harness::start().await;
    let s3_root = harness.emr.emr.s3_root();
    seed_local_s3(&example("s3"), &s3_root).expect("seeded");
    let pipeline = pipeline_json("multi-tenant.json");

    // WHEN the day runs
    let run = harness
        .run(
            json!({"ProcessingDate": DAY, "Items": {"Tenants": ["tenant_a", "tenant_c"]}}),
            pipeline,
        )
        .await;

    // THEN it succeeds with one ETL and one analytics instance per tenant and the
    // aggregation, and the cluster is gone
    let output = run.assert_succeeded();
    assert_eq!(
        step_states(&output),
        [
            ("etl[tenant_a]", "COMPLETED"),
            ("etl[tenant_c]", "COMPLETED"),
            ("analytics[tenant_a]", "COMPLETED"),
            ("analytics[tenant_c]", "COMPLETED"),
            ("cross_tenant_aggregation", "COMPLETED"),
        ]
    );
    harness.assert_no_cluster_left_alive().await;

    // AND the two ETLs ran side by side, each tenant's analytics after its own ETL, and the
    // aggregation after both analytics
    let attempt = |name: &str| first_attempt(&output, name);
    let (etl_a, etl_c) = (attempt("etl[tenant_a]"), attempt("etl[tenant_c]"));
    assert!(
        millis(&etl_a, "StartedAt") < millis(&etl_c, "EndedAt")
            && millis(&etl_c, "StartedAt") < millis(&etl_a, "EndedAt"),
        "the ETLs did not overlap: {etl_a} {etl_c}"
    );
    for tenant in ["tenant_a", "tenant_c"] {
        assert!(
            millis(&attempt(&format!("analytics[{tenant}]")), "StartedAt")
                >= millis(&attempt(&format!("etl[{tenant}]")), "EndedAt"),
            "{tenant}"
        );
    }
    let analytics_end = ["tenant_a", "tenant_c"]
        .map(|tenant| millis(&attempt(&format!("analytics[{tenant}]")), "EndedAt"))
        .into_iter()
        .max();
    assert!(Some(millis(&attempt("cross_tenant_aggregation"), "StartedAt")) >= analytics_end);

    // AND each ETL applied its tenant's rules: tenant_c's order in yen is gone
    let etl_c_log = stdout_of(&harness, &etl_c);
    assert!(
        etl_c_log.contains("tenant_c: 24 orders, 0 dropped by rule, 23 of 24 valid"),
        "{etl_c_log}"
    );

    // AND each tenant's Hive analytics summarized its own day in its own database: orders,
    // customers, refunds, completed revenue in its currency, average completed order
    for (tenant, summary) in [
        (
            "tenant_a",
            "tenant_a\t8\t5\t1\t566.24\tEUR\t80.89\t2026-11-21",
        ),
        (
            "tenant_c",
            "tenant_c\t23\t9\t2\t1563.17\tEUR\t74.44\t2026-11-21",
        ),
    ] {
        let log = stdout_of(&harness, &attempt(&format!("analytics[{tenant}]")));
        assert!(log.contains(summary), "{tenant}: {log}");
        let table = harness.emr.emr.local_path(&format!(
            "s3://multi-tenant-example/tenant-analytics/{tenant}/daily_summary/date={DAY}/"
        ));
        assert!(table.is_dir(), "{}", table.display());
    }

    // AND tenant_b, not in this execution's Items, was not touched
    let tenant_b = |folder: &str| {
        harness
            .emr
            .emr
            .local_path(&format!("s3://multi-tenant-example/{folder}/tenant_b/"))
    };
    assert!(!tenant_b("tenant-data").join("processed").exists());
    assert!(!tenant_b("tenant-analytics").exists());

    // AND the platform figures count both tenants exactly and the day's 31 orders, 14
    // customers and 3 refunds with the Laplace noise of ε = 1 (a few units at most)
    let rows = csv(&harness.emr.emr.local_path(&format!(
        "s3://multi-tenant-example/platform-analytics/aggregated/date={DAY}/"
    )));
    assert_eq!(
        rows[0],
        [
            "date",
            "tenants",
            "orders",
            "customers",
            "refunds",
            "privacy_mode",
            "epsilon"
        ]
    );
    let figure = |column: usize| rows[1][column].parse::<i64>().expect("a count");
    assert_eq!((rows[1][0].as_str(), figure(1)), (DAY, 2));
    for (column, exact) in [(2, 31), (3, 14), (4, 3)] {
        assert!((figure(column) - exact).abs() <= 10, "{:?}", rows[1]);
    }
    assert_eq!(rows[1][5], "differential_privacy");
}
