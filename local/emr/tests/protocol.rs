//! EMR's JSON 1.1 wire protocol as seen by any client (raw HTTP), and the ActionOnFailure
//! rules not covered elsewhere.

mod common;

use std::time::Duration;

use aws_sdk_emr::types::{ActionOnFailure, ClusterState, StepState};
use common::{emr_call, shell_step, Harness, WAIT};

fn body_json(response: &str) -> serde_json::Value {
    let body = response.split("\r\n\r\n").nth(1).expect("body");
    serde_json::from_str(body).expect("json body")
}

#[tokio::test]
async fn given_an_unknown_cluster_when_called_raw_then_400_with_type_and_message() {
    let harness = Harness::start().await;
    // WHEN DescribeCluster is sent for an unknown id
    let response = emr_call(
        harness.server.addr,
        "DescribeCluster",
        r#"{"ClusterId":"j-UNKNOWN"}"#,
    )
    .await;
    // THEN HTTP 400, JSON 1.1 content type, __type and message as EMR sends them
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response
        .to_ascii_lowercase()
        .contains("content-type: application/x-amz-json-1.1"));
    let body = body_json(&response);
    assert_eq!(body["__type"], "InvalidRequestException");
    assert_eq!(body["message"], "Cluster id 'j-UNKNOWN' is not valid.");
}

#[tokio::test]
async fn given_a_cluster_when_described_raw_then_timestamps_are_epoch_seconds() {
    let harness = Harness::start().await;
    let created = emr_call(
        harness.server.addr,
        "RunJobFlow",
        r#"{"Name":"raw","Instances":{"KeepJobFlowAliveWhenNoSteps":true}}"#,
    )
    .await;
    let cluster_id = body_json(&created)["JobFlowId"]
        .as_str()
        .expect("id")
        .to_string();
    let described = emr_call(
        harness.server.addr,
        "DescribeCluster",
        &format!(r#"{{"ClusterId":"{cluster_id}"}}"#),
    )
    .await;
    let created_at = &body_json(&described)["Cluster"]["Status"]["Timeline"]["CreationDateTime"];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let seconds = created_at.as_f64().expect("a JSON number");
    assert!((now - seconds).abs() < 60.0, "{seconds} vs {now}");
}

#[tokio::test]
async fn given_an_unknown_operation_when_called_then_unknown_operation_exception() {
    let harness = Harness::start().await;
    let response = emr_call(harness.server.addr, "StartNotebookExecution", "{}").await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert_eq!(body_json(&response)["__type"], "UnknownOperationException");
}

#[tokio::test]
async fn given_continue_when_a_step_fails_then_the_next_step_still_runs() {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("continue", vec![]).await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![
                shell_step("fails", ActionOnFailure::Continue, "exit 1"),
                shell_step("runs anyway", ActionOnFailure::Continue, "true"),
            ],
        )
        .await;
    assert_eq!(
        harness
            .wait_step_done(&cluster_id, &ids[0], WAIT)
            .await
            .status
            .and_then(|s| s.state),
        Some(StepState::Failed)
    );
    assert_eq!(
        harness
            .wait_step_done(&cluster_id, &ids[1], WAIT)
            .await
            .status
            .and_then(|s| s.state),
        Some(StepState::Completed)
    );
    harness
        .wait_cluster(&cluster_id, &[ClusterState::Waiting], WAIT)
        .await;
}

#[tokio::test]
async fn given_legacy_terminate_job_flow_when_a_step_fails_then_terminating_then_terminated_with_errors(
) {
    // GIVEN a TERMINATING phase long enough to observe
    let harness = Harness::start_with(|mut config| {
        config.timings.terminate = Duration::from_millis(300);
        config
    })
    .await;
    let cluster_id = harness.run_cluster("legacy", vec![]).await;
    harness
        .add_steps(
            &cluster_id,
            vec![shell_step(
                "fails",
                ActionOnFailure::TerminateJobFlow,
                "exit 1",
            )],
        )
        .await;
    // THEN the cluster passes through TERMINATING to TERMINATED_WITH_ERRORS
    harness
        .wait_cluster(&cluster_id, &[ClusterState::Terminating], WAIT)
        .await;
    harness
        .wait_cluster(&cluster_id, &[ClusterState::TerminatedWithErrors], WAIT)
        .await;
}

#[tokio::test]
async fn given_an_address_beyond_loopback_when_served_then_refused_before_listening() {
    // GIVEN a local EMR, and a listener on every interface
    let root = tempfile::tempdir().expect("root");
    let emr = emrflow_local_emr::LocalEmr::new(emrflow_local_emr::LocalEmrConfig::new(root.path()));
    // WHEN it is spawned on 0.0.0.0 THEN refused, saying why
    let refused = emr
        .clone()
        .spawn("0.0.0.0:0".parse().expect("addr"))
        .await
        .err()
        .expect("refused");
    assert!(
        refused.to_string().contains("only on loopback"),
        "{refused}"
    );
    // AND a listener already bound beyond loopback is refused by serve too
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0")
        .await
        .expect("bind");
    let refused = emr.serve(listener).await.expect_err("refused");
    assert!(
        refused.to_string().contains("remote command execution"),
        "{refused}"
    );
}
