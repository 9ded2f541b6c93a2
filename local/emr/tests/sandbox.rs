//! The `s3://` mapping stays inside the local S3: bad bucket names and keys that climb out
//! of their bucket are refused as EMR refuses a bad location, before anything runs.

mod common;

use std::time::Duration;

use aws_sdk_emr::error::ProvideErrorMetadata;
use aws_sdk_emr::types::{
    ActionOnFailure, BootstrapActionConfig, ScriptBootstrapActionConfig, StepState,
};
use common::{step, Harness, WAIT};

/// The call failed as EMR fails a bad location, with a message that starts with `start`.
fn assert_refused(error: &impl ProvideErrorMetadata, start: &str) {
    assert_eq!(error.code(), Some("ValidationException"));
    let message = error.message().unwrap_or_default();
    assert!(message.starts_with(start), "{message}");
}

#[tokio::test]
async fn given_a_bucket_of_dots_when_a_step_names_a_host_binary_through_it_then_refused() {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("escape", vec![]).await;
    let marker = harness.root.path().join("touched");
    // GIVEN a command that, mapped naively, is <root>/s3/../../../../../../../../usr/bin/touch
    let host_binary = format!("s3://{}usr/bin/touch", "../".repeat(8));
    // WHEN it is added as a step
    let error = harness
        .client
        .add_job_flow_steps()
        .job_flow_id(&cluster_id)
        .steps(step(
            "escape",
            ActionOnFailure::Continue,
            "command-runner.jar",
            &[&host_binary, &marker.display().to_string()],
        ))
        .send()
        .await
        .expect_err("refused");
    // THEN EMR's ValidationException names the location, no step exists, nothing ran
    assert_refused(
        &error,
        &format!("The S3 location '{host_binary}' is not valid: '..' is not a valid bucket name"),
    );
    let cluster = harness
        .emr()
        .inspect()
        .cluster(&cluster_id)
        .expect("cluster");
    assert!(cluster.steps.is_empty());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!marker.exists());
}

#[tokio::test]
async fn given_keys_that_climb_out_of_their_bucket_when_steps_are_added_then_refused_but_inner_dots_run(
) {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("keys", vec![]).await;
    harness.put("s3://data/in.txt", "inside\n");
    harness.put("s3://data/sub/other.txt", "");
    // WHEN a key climbs out with ../../ (in an argument, a JAR, a property) THEN refused
    let refused = [
        (
            "s3://data/../../etc/passwd",
            step(
                "args",
                ActionOnFailure::Continue,
                "command-runner.jar",
                &["cat", "s3://data/../../etc/passwd"],
            ),
        ),
        (
            "s3://data/../../x.jar",
            step(
                "jar",
                ActionOnFailure::Continue,
                "s3://data/../../x.jar",
                &[],
            ),
        ),
        (
            "s3://data/../../y",
            step(
                "comma list",
                ActionOnFailure::Continue,
                "command-runner.jar",
                &[
                    "s3-dist-cp",
                    "--src=s3://data/x,s3://data/../../y",
                    "--dest=s3://out/",
                ],
            ),
        ),
    ];
    for (uri, config) in refused {
        let error = harness
            .client
            .add_job_flow_steps()
            .job_flow_id(&cluster_id)
            .steps(config)
            .send()
            .await
            .expect_err("refused");
        assert_refused(
            &error,
            &format!(
                "The S3 location '{uri}' is not valid: its '..' segments leave the bucket 'data'"
            ),
        );
    }
    // AND `..` that stays inside the bucket is fine
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![step(
                "inside",
                ActionOnFailure::Continue,
                "command-runner.jar",
                &["cat", "s3://data/sub/../in.txt"],
            )],
        )
        .await;
    let done = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    assert_eq!(
        done.status.and_then(|s| s.state),
        Some(StepState::Completed)
    );
}

#[tokio::test]
async fn given_a_bad_log_uri_bootstrap_path_or_configuration_when_a_cluster_is_created_then_refused(
) {
    let harness = Harness::start().await;
    let bootstrap = |path: &str| {
        BootstrapActionConfig::builder()
            .name("boot")
            .script_bootstrap_action(ScriptBootstrapActionConfig::builder().path(path).build())
            .build()
    };
    // WHEN RunJobFlow carries a LogUri on an IP-address bucket, or a bootstrap path escaping
    for (uri, request) in [
        (
            "s3://10.0.0.1/logs/",
            harness.client.run_job_flow().log_uri("s3://10.0.0.1/logs/"),
        ),
        (
            "s3://boot/../../x.sh",
            harness
                .client
                .run_job_flow()
                .bootstrap_actions(bootstrap("s3://boot/../../x.sh")),
        ),
        (
            "s3://../events",
            harness.client.run_job_flow().configurations(
                aws_sdk_emr::types::Configuration::builder()
                    .classification("spark-defaults")
                    .properties("spark.eventLog.dir", "s3://../events")
                    .build(),
            ),
        ),
    ] {
        let error = request
            .name("refused")
            .instances(aws_sdk_emr::types::JobFlowInstancesConfig::builder().build())
            .send()
            .await
            .expect_err("refused");
        // THEN ValidationException naming it, and no cluster
        assert_refused(&error, &format!("The S3 location '{uri}' is not valid"));
    }
    assert!(harness.emr().inspect().clusters().is_empty());
}
