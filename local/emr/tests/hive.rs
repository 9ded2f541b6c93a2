//! Hive steps run on spark-sql from the project's PySpark, against one metastore per cluster;
//! the AWS CLI's `--steps Type=Hive` runs too. Spark starts cost seconds: a few end-to-end
//! tests carry all the assertions.

mod common;

use std::path::Path;
use std::time::Duration;

use aws_sdk_emr::types::{ActionOnFailure, Configuration, StepState};
use common::{step, Harness};
use emrflow_local_emr::{locate_spark_submit, nearest_in_ancestors};
use emrflow_vocabulary::logs::LogStream;

const SPARK_WAIT: Duration = Duration::from_secs(300);

/// Whether local Spark is here; the tests skip (saying so) without it.
fn spark_available() -> bool {
    let found = locate_spark_submit(None).is_some();
    if !found {
        println!("SKIPPED: no spark-submit (make spark-env installs the project's PySpark)");
    }
    found
}

/// The text of every `part-*` file Spark wrote in `dir`, in name order.
fn parts(dir: &Path) -> String {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("part-"))
        })
        .collect();
    names.sort();
    names
        .iter()
        .map(|path| std::fs::read_to_string(path).expect("part"))
        .collect()
}

fn hive_step(name: &str, hive_args: &[&str]) -> aws_sdk_emr::types::StepConfig {
    let mut args = vec!["hive-script", "--run-hive-script", "--args"];
    args.extend_from_slice(hive_args);
    step(name, ActionOnFailure::Continue, "command-runner.jar", &args)
}

const CREATE: &str = "\
CREATE EXTERNAL TABLE IF NOT EXISTS raw_sales (id INT, amount DOUBLE)
  ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://raw/sales/';
CREATE TABLE IF NOT EXISTS sales (id INT, amount DOUBLE) PARTITIONED BY (dt STRING) STORED AS PARQUET;
INSERT OVERWRITE TABLE sales PARTITION (dt='${processing_date}')
  SELECT id, amount * ${hivevar:mult} FROM raw_sales;
INSERT OVERWRITE DIRECTORY 's3://out/${hiveconf:result}/'
  ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
  SELECT id, amount, dt, '${hiveconf:emrflow.source}' FROM sales ORDER BY id;
";

#[ignore = "slow: make test-slow"]
#[tokio::test]
async fn given_hive_steps_on_one_cluster_when_they_run_then_tables_persist_between_steps_and_errors_are_named(
) {
    if !spark_available() {
        return;
    }
    let harness = Harness::start().await;
    // GIVEN data, three scripts, and a cluster whose hive-site sets a variable (and an
    // external metastore the local EMR does not use)
    harness.put("s3://raw/sales/day.csv", "1,10.5\n2,20.0\n");
    harness.put("s3://code/create.hql", CREATE);
    harness.put(
        "s3://code/init.hql",
        "CREATE TEMPORARY VIEW by_day AS SELECT dt, count(*) AS n FROM sales GROUP BY dt;\n",
    );
    harness.put(
        "s3://code/read.hql",
        "INSERT OVERWRITE DIRECTORY 's3://out/count/' ROW FORMAT DELIMITED FIELDS TERMINATED BY ','\n  SELECT dt, n FROM by_day;\n",
    );
    harness.put("s3://code/bad.hql", "SELEC oops;\n");
    let cluster_id = harness
        .run_cluster_with("hive", vec![], |request| {
            request.configurations(
                Configuration::builder()
                    .classification("hive-site")
                    .properties("emrflow.source", "cluster-hive-site")
                    .properties(
                        "javax.jdo.option.ConnectionURL",
                        "jdbc:mysql://db:3306/hive",
                    )
                    .build(),
            )
        })
        .await;
    // WHEN a step creates a partitioned table with -d / --hivevar / --hiveconf, a second one
    // reads it (through an -i init script), and a third has a syntax error
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![
                hive_step(
                    "create",
                    &[
                        "-f",
                        "s3://code/create.hql",
                        "-d",
                        "processing_date=2026-11-21",
                        "--hivevar",
                        "mult=4.0",
                        "--hiveconf",
                        "result=scaled",
                    ],
                ),
                hive_step(
                    "read",
                    &["-i", "s3://code/init.hql", "-f", "s3://code/read.hql"],
                ),
                hive_step("bad", &["-f", "s3://code/bad.hql"]),
            ],
        )
        .await;
    let mut done = Vec::new();
    for id in &ids {
        done.push(harness.wait_step_done(&cluster_id, id, SPARK_WAIT).await);
    }
    let state = |index: usize| done[index].status.as_ref().and_then(|s| s.state.clone());
    let stderr = |index: usize| harness.step_log(&cluster_id, &ids[index], LogStream::Stderr);
    // THEN the first wrote its result under the local S3, variables substituted
    assert_eq!(state(0), Some(StepState::Completed), "{}", stderr(0));
    assert_eq!(
        parts(&harness.emr().local_path("s3://out/scaled")),
        "1,42.0,2026-11-21,cluster-hive-site\n2,80.0,2026-11-21,cluster-hive-site\n"
    );
    let partition = harness
        .emr()
        .root()
        .join("work")
        .join(&cluster_id)
        .join("hive/warehouse/sales/dt=2026-11-21");
    assert!(partition.is_dir(), "{}", partition.display());
    // AND the second read the table the first created
    assert_eq!(state(1), Some(StepState::Completed), "{}", stderr(1));
    assert_eq!(
        parts(&harness.emr().local_path("s3://out/count")),
        "2026-11-21,2\n"
    );
    // AND the third FAILED naming the HiveQL error line, its log at EMR's path
    assert_eq!(state(2), Some(StepState::Failed));
    let details = done[2]
        .status
        .as_ref()
        .and_then(|s| s.failure_details.clone())
        .expect("failure details");
    let message = details.message.unwrap_or_default();
    assert!(
        message.starts_with("[PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'"),
        "{message}"
    );
    assert!(details
        .log_file
        .unwrap_or_default()
        .ends_with(&format!("/{}/stderr.gz", ids[2])));
    // AND the logs are gzipped where EMR puts them; the controller says what was not applied
    let logs = harness.log_dir(&cluster_id, &ids[0]);
    for stream in LogStream::ALL {
        assert!(logs.join(stream.file_name()).is_file(), "{stream:?}");
        assert!(!logs.join(stream.name()).exists(), "plain {stream:?} left");
    }
    let controller = harness.step_log(&cluster_id, &ids[0], LogStream::Controller);
    assert!(
        controller.contains(
            "Configuration hive-site: javax.jdo.option.ConnectionURL is not applied locally"
        ),
        "{controller}"
    );
    // WHEN the cluster terminates THEN its metastore and warehouse go with it
    harness.terminate(&cluster_id, SPARK_WAIT).await;
    assert!(!harness.emr().root().join("work").join(&cluster_id).exists());
}

/// The project's AWS CLI (`make aws-cli`: `.tools/awscli-venv`), else `aws` on PATH.
fn aws_cli() -> Option<std::path::PathBuf> {
    nearest_in_ancestors(Path::new(".tools/awscli-venv/bin/aws")).or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join("aws"))
            .find(|path| path.is_file())
    })
}

#[ignore = "slow: make test-slow"]
#[tokio::test]
async fn given_the_aws_cli_when_it_adds_a_hive_step_then_the_script_runs_with_its_variables() {
    let Some(aws) = aws_cli() else {
        println!("SKIPPED: no AWS CLI (make aws-cli installs it into .tools/awscli-venv)");
        return;
    };
    if !spark_available() {
        return;
    }
    let harness = Harness::start().await;
    harness.put(
        "s3://code/cli.hql",
        "INSERT OVERWRITE DIRECTORY 's3://out/cli/' SELECT '${GREETING}';\n",
    );
    let cluster_id = harness.run_cluster("aws-cli", vec![]).await;
    // WHEN the AWS CLI adds a Type=Hive step with -f and -d, against the local EMR
    let output = tokio::process::Command::new(&aws)
        .args(["emr", "add-steps", "--cluster-id", &cluster_id, "--steps"])
        .arg("Type=Hive,Name=cli,ActionOnFailure=CONTINUE,Args=[-f,s3://code/cli.hql,-d,GREETING=hello]")
        .args(["--endpoint-url", &harness.server.endpoint_url(), "--output", "json"])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .await
        .expect("aws runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let step_id = answer["StepIds"][0]
        .as_str()
        .expect("a step id")
        .to_string();
    // THEN the step is EMR's hive-script shape, and the script ran with its variable
    let done = harness
        .wait_step_done(&cluster_id, &step_id, SPARK_WAIT)
        .await;
    let args = done
        .config
        .as_ref()
        .map(|c| c.args().to_vec())
        .unwrap_or_default();
    assert_eq!(
        args,
        [
            "hive-script",
            "--run-hive-script",
            "--args",
            "-f",
            "s3://code/cli.hql",
            "-d",
            "GREETING=hello"
        ]
    );
    assert_eq!(
        done.status.and_then(|s| s.state),
        Some(StepState::Completed),
        "{}",
        harness.step_log(&cluster_id, &step_id, LogStream::Stderr)
    );
    assert_eq!(parts(&harness.emr().local_path("s3://out/cli")), "hello\n");
}
