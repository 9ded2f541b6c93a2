//! Failures that say why: FailureDetails.Message starts with the line that explains the
//! failure (the probable cause, from stderr or stdout), LogFile names the log it is in, and a
//! Spark application that is not there fails its step before spark-submit runs.

mod common;

use std::os::unix::fs::PermissionsExt;

use aws_sdk_emr::types::ActionOnFailure;
use common::{failure_details, shell_step, step, Harness, WAIT};

/// Spark's INFO noise, as a failing job writes it to stderr.
const INFO_NOISE: &str =
    "echo '26/12/07 19:20:47 INFO SparkContext: Invoking stop() from shutdown hook' >&2\n\
    echo '26/12/07 19:20:48 INFO MemoryStore: MemoryStore cleared' >&2\n\
    echo '26/12/07 19:20:49 INFO SparkContext: Successfully stopped SparkContext' >&2\n";

#[tokio::test]
async fn given_a_traceback_in_stdout_and_info_in_stderr_when_the_step_fails_then_the_exception_and_stdout(
) {
    // GIVEN a job that prints its Python traceback to stdout and Spark's INFO lines to stderr
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("pyspark-like", vec![]).await;
    let script = format!(
        "echo 'Traceback (most recent call last):'\n\
         echo '  File \"/mnt/job.py\", line 4, in <module>'\n\
         echo \"    df.select('nope').show()\"\n\
         echo 'pyspark.errors.exceptions.captured.AnalysisException: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column with name `nope` cannot be resolved.'\n\
         {INFO_NOISE}exit 1\n"
    );
    // WHEN it fails
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![shell_step("select", ActionOnFailure::Continue, &script)],
        )
        .await;
    let done = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    // THEN Message is the exception line, and LogFile the stdout where it is
    let details = failure_details(&done);
    assert_eq!(
        details.reason.as_deref(),
        Some("Step failed with exit code 1")
    );
    assert_eq!(
        details.message.as_deref(),
        Some("pyspark.errors.exceptions.captured.AnalysisException: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column with name `nope` cannot be resolved.")
    );
    let expected_log = format!(
        "s3://logs-bucket/emr/{cluster_id}/steps/{}/stdout.gz",
        ids[0]
    );
    assert_eq!(details.log_file.as_deref(), Some(expected_log.as_str()));
}

#[tokio::test]
async fn given_a_java_chain_in_stderr_when_the_step_fails_then_its_root_cause_and_stderr() {
    // GIVEN a job whose exception chain ends in the file it could not read, after INFO lines
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("java-like", vec![]).await;
    let script = format!(
        "{INFO_NOISE}echo 'Exception in thread \"main\" java.lang.RuntimeException: Quality check failed' >&2\n\
         printf '\\tat Main.main(Main.java:7)\\n' >&2\n\
         echo 'Caused by: java.io.FileNotFoundException: /data/events.csv (No such file or directory)' >&2\n\
         printf '\\tat Main.load(Main.java:3)\\n\\t... 9 more\\n' >&2\n\
         exit 1\n"
    );
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![shell_step("check", ActionOnFailure::Continue, &script)],
        )
        .await;
    let done = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    // THEN Message is the root cause, and LogFile stderr
    let details = failure_details(&done);
    assert_eq!(
        details.message.as_deref(),
        Some("Caused by: java.io.FileNotFoundException: /data/events.csv (No such file or directory)")
    );
    assert!(details.log_file.unwrap_or_default().ends_with("/stderr.gz"));
}

/// A spark-submit that leaves a mark when it runs.
fn marking_spark_submit(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("spark-submit");
    std::fs::write(
        &path,
        "#!/usr/bin/env bash\ntouch \"$EMRFLOW_LOCAL_S3_ROOT/spark-submit-ran\"\n",
    )
    .expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[tokio::test]
async fn given_a_missing_spark_application_when_the_step_runs_then_it_fails_at_once_naming_it() {
    // GIVEN a local EMR whose spark-submit leaves a mark, and no s3://code/missing.py
    let tools = tempfile::tempdir().expect("tools");
    let fake = marking_spark_submit(tools.path());
    let harness = Harness::start_with(|mut config| {
        config.spark_submit = Some(fake);
        config
    })
    .await;
    harness.put("s3://code/present.py", "print('here')\n");
    let cluster_id = harness.run_cluster("spark-apps", vec![]).await;
    let spark = |name: &str, application: &str| {
        step(
            name,
            ActionOnFailure::Continue,
            "command-runner.jar",
            &[
                "spark-submit",
                "--deploy-mode",
                "cluster",
                application,
                "s3://input/",
            ],
        )
    };
    // WHEN a step names a missing application, and another one with a one-slash s3:/ typo
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![
                spark("missing", "s3://code/missing.py"),
                spark("typo", "s3:/code/present.py"),
            ],
        )
        .await;
    // THEN both fail saying what is wrong, and spark-submit never ran
    let missing = failure_details(&harness.wait_step_done(&cluster_id, &ids[0], WAIT).await);
    assert_eq!(
        missing.reason.as_deref(),
        Some("Step failed: Spark application not found")
    );
    let message = missing.message.unwrap_or_default();
    assert!(
        message.starts_with("s3://code/missing.py does not exist (looked at "),
        "{message}"
    );
    let typo = failure_details(&harness.wait_step_done(&cluster_id, &ids[1], WAIT).await);
    assert_eq!(
        typo.message.as_deref(),
        Some("s3:/code/present.py is not an S3 location: write s3://bucket/key (two slashes)")
    );
    assert!(!harness.emr().s3_root().join("spark-submit-ran").exists());
    // AND an application that is there runs
    let ids = harness
        .add_steps(&cluster_id, vec![spark("present", "s3://code/present.py")])
        .await;
    harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    assert!(harness.emr().s3_root().join("spark-submit-ran").exists());
}
