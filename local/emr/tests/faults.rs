//! Fault injection and inspection, as the state-machine path tests use them.

mod common;

use std::time::Duration;

use aws_sdk_emr::error::ProvideErrorMetadata;
use aws_sdk_emr::types::{
    ActionOnFailure, BootstrapActionConfig, ClusterState, ScriptBootstrapActionConfig, StepState,
};
use common::{emr_call, failure_details, http, shell_step, Harness, WAIT};
use emrflow_local_emr::EmrThrottling;

#[tokio::test]
async fn given_throttle_next_when_called_then_throttling_exception_then_normal_again() {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("throttled", vec![]).await;
    // GIVEN the next 2 DescribeCluster calls are throttled
    harness.emr().faults().throttle_next("DescribeCluster", 2);
    let no_retries = harness.client_without_retries();
    // WHEN called without retries THEN ThrottlingException "Rate exceeded"
    let error = no_retries
        .describe_cluster()
        .cluster_id(&cluster_id)
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(error.code(), Some("ThrottlingException"));
    assert_eq!(error.message(), Some("Rate exceeded"));
    // AND a retrying client gets through after the second throttle
    harness.cluster(&cluster_id).await;
    assert_eq!(
        harness.emr().inspect().operation_count("DescribeCluster"),
        3
    );
}

#[tokio::test]
async fn given_a_token_bucket_when_calls_exceed_the_burst_then_they_are_throttled() {
    let harness = Harness::start().await;
    // GIVEN ListClusters allows 2 calls, refilling very slowly
    harness.emr().faults().rate_limit("ListClusters", 0.01, 2);
    let client = harness.client_without_retries();
    client.list_clusters().send().await.expect("first");
    client.list_clusters().send().await.expect("second");
    // WHEN a third call comes THEN it is throttled; other operations are not
    let error = client.list_clusters().send().await.expect_err("third");
    assert_eq!(error.code(), Some("ThrottlingException"));
    harness.run_cluster("unaffected", vec![]).await;
}

#[tokio::test]
async fn given_the_uniform_model_when_an_operation_bursts_then_the_sixth_call_is_throttled() {
    let harness = Harness::start().await;
    // GIVEN every operation throttled by the uniform model (burst 5, 0.5/s each)
    harness.emr().faults().rate_limit_like_emr_uniformly();
    let client = harness.client_without_retries();
    // WHEN six ListClusters calls come at once THEN five pass and the sixth is throttled
    for call in 1..=5 {
        client
            .list_clusters()
            .send()
            .await
            .unwrap_or_else(|e| panic!("call {call}: {e}"));
    }
    let error = client.list_clusters().send().await.expect_err("sixth");
    assert_eq!(error.code(), Some("ThrottlingException"));
    // AND each operation has a bucket of its own: DescribeCluster is answered, not throttled
    let error = client
        .describe_cluster()
        .cluster_id("j-NOSUCH")
        .send()
        .await
        .expect_err("unknown id");
    assert_eq!(error.code(), Some("InvalidRequestException"));
}

#[tokio::test]
async fn given_emrs_quotas_when_operations_burst_then_each_has_its_size_and_the_account_caps_all() {
    let harness = Harness::start().await;
    // GIVEN EMR's per-operation quotas, refilled slowly enough not to matter here
    harness
        .emr()
        .faults()
        .rate_limit_like_emr_with(EmrThrottling::PerOperation, 1000.0);
    let client = harness.client_without_retries();
    // WHEN 21 ListClusters calls come at once THEN 20 pass (its burst) and the 21st is throttled
    for call in 1..=20 {
        client
            .list_clusters()
            .send()
            .await
            .unwrap_or_else(|e| panic!("call {call}: {e}"));
    }
    let error = client.list_clusters().send().await.expect_err("21st");
    assert_eq!(error.code(), Some("ThrottlingException"));
    // AND DescribeCluster has a bucket of its own: answered, not throttled
    for _ in 0..5 {
        let error = client
            .describe_cluster()
            .cluster_id("j-NOSUCH")
            .send()
            .await
            .expect_err("unknown id");
        assert_eq!(error.code(), Some("InvalidRequestException"));
    }
    // AND with the account's 25 calls used, a full DescribeStep bucket does not help
    let error = client
        .describe_step()
        .cluster_id("j-NOSUCH")
        .step_id("s-NOSUCH")
        .send()
        .await
        .expect_err("account bucket empty");
    assert_eq!(error.code(), Some("ThrottlingException"));
    assert_eq!(error.message(), Some("Rate exceeded"));
}

#[tokio::test]
async fn given_every_operation_limited_when_the_bucket_refills_then_calls_pass_again() {
    let harness = Harness::start().await;
    // GIVEN every operation allows 1 call at once, refilled at 20 calls a second
    harness.emr().faults().rate_limit_every_operation(20.0, 1);
    let client = harness.client_without_retries();
    client.list_clusters().send().await.expect("first");
    let error = client.list_clusters().send().await.expect_err("burst used");
    assert_eq!(error.code(), Some("ThrottlingException"));
    // WHEN a refill interval has passed THEN the next call passes
    tokio::time::sleep(Duration::from_millis(120)).await;
    client.list_clusters().send().await.expect("refilled");
}

#[tokio::test]
async fn given_a_lost_response_when_run_job_flow_is_called_then_cluster_exists_but_client_sees_an_error(
) {
    let harness = Harness::start().await;
    harness.emr().faults().lose_next_response("RunJobFlow");
    let client = harness.client_without_retries();
    // WHEN RunJobFlow's response is lost
    let error = client
        .run_job_flow()
        .name("emrflow-daily-etl-exec-1")
        .instances(
            aws_sdk_emr::types::JobFlowInstancesConfig::builder()
                .keep_job_flow_alive_when_no_steps(true)
                .build(),
        )
        .send()
        .await
        .expect_err("lost");
    // THEN the client saw a transient server error, yet the cluster was created
    assert_eq!(error.code(), Some("InternalServerError"));
    let clusters = harness.emr().inspect().clusters();
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0].name, "emrflow-daily-etl-exec-1");
    // AND the next call is answered normally
    let listed = client.list_clusters().send().await.expect("list");
    assert_eq!(listed.clusters().len(), 1);
}

#[tokio::test]
async fn given_a_lost_add_steps_response_when_the_caller_checks_first_then_no_duplicate_step() {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("idempotent", vec![]).await;
    harness.emr().faults().lose_next_response("AddJobFlowSteps");
    let client = harness.client_without_retries();
    let lost = client
        .add_job_flow_steps()
        .job_flow_id(&cluster_id)
        .steps(shell_step(
            "load [exec-1]",
            ActionOnFailure::Continue,
            "true",
        ))
        .send()
        .await;
    assert!(lost.is_err());
    // WHEN an idempotent caller lists steps before re-adding
    let listed = client
        .list_steps()
        .cluster_id(&cluster_id)
        .send()
        .await
        .expect("list");
    // THEN it finds the step that was applied, and inspection shows exactly one
    assert_eq!(
        listed
            .steps()
            .iter()
            .filter_map(|s| s.name())
            .collect::<Vec<_>>(),
        ["load [exec-1]"]
    );
    let inspected = harness
        .emr()
        .inspect()
        .cluster(&cluster_id)
        .expect("cluster");
    assert_eq!(inspected.steps.len(), 1);
    assert_eq!(
        harness.emr().inspect().operation_count("AddJobFlowSteps"),
        1
    );
}

#[tokio::test]
async fn given_fail_next_bootstrap_when_a_cluster_starts_then_bootstrap_failure_and_next_cluster_is_fine(
) {
    let harness = Harness::start().await;
    harness.emr().faults().fail_next_bootstrap();
    let failing = harness
        .run_cluster(
            "bootstrap-fails",
            vec![shell_step("never", ActionOnFailure::Continue, "true")],
        )
        .await;
    let cluster = harness
        .wait_cluster(&failing, &[ClusterState::TerminatedWithErrors], WAIT)
        .await;
    let reason = cluster
        .status
        .and_then(|s| s.state_change_reason)
        .expect("reason");
    assert_eq!(
        reason.code.map(|c| c.as_str().to_string()).as_deref(),
        Some("BOOTSTRAP_FAILURE")
    );
    assert_eq!(
        harness.emr().inspect().cluster(&failing).expect("c").steps[0].state,
        emrflow_local_emr::StepState::Cancelled
    );
    let healthy = harness.run_cluster("healthy", vec![]).await;
    harness
        .wait_cluster(&healthy, &[ClusterState::Waiting], WAIT)
        .await;
}

#[tokio::test]
async fn given_bootstrap_actions_when_one_fails_then_bootstrap_failure_and_a_good_one_runs() {
    let harness = Harness::start().await;
    harness.put(
        "s3://boot/ok.sh",
        "echo \"$1\" > \"$EMRFLOW_LOCAL_S3_ROOT/boot/marker\"\n",
    );
    harness.put("s3://boot/fail.sh", "exit 1\n");
    let action = |name: &str, path: &str| {
        BootstrapActionConfig::builder()
            .name(name)
            .script_bootstrap_action(
                ScriptBootstrapActionConfig::builder()
                    .path(path)
                    .args("ran")
                    .build(),
            )
            .build()
    };
    let good = harness
        .run_cluster_with("good-boot", vec![], |r| {
            r.bootstrap_actions(action("ok", "s3://boot/ok.sh"))
        })
        .await;
    harness
        .wait_cluster(&good, &[ClusterState::Waiting], WAIT)
        .await;
    assert_eq!(harness.read("s3://boot/marker"), "ran\n");
    let bad = harness
        .run_cluster_with("bad-boot", vec![], |r| {
            r.bootstrap_actions(action("fail", "s3://boot/fail.sh"))
        })
        .await;
    let cluster = harness
        .wait_cluster(&bad, &[ClusterState::TerminatedWithErrors], WAIT)
        .await;
    let reason = cluster
        .status
        .and_then(|s| s.state_change_reason)
        .expect("reason");
    assert_eq!(
        reason.code.map(|c| c.as_str().to_string()).as_deref(),
        Some("BOOTSTRAP_FAILURE")
    );
    assert!(reason
        .message
        .unwrap_or_default()
        .contains("bootstrap action 1"));
}

#[tokio::test]
async fn given_fail_steps_named_when_steps_run_then_only_matching_steps_fail() {
    let harness = Harness::start().await;
    harness.emr().faults().fail_steps_named("transform");
    let cluster_id = harness.run_cluster("forced", vec![]).await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![
                shell_step("extract [e1]", ActionOnFailure::Continue, "true"),
                shell_step("transform [e1]", ActionOnFailure::Continue, "true"),
            ],
        )
        .await;
    let extract = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    let transform = harness.wait_step_done(&cluster_id, &ids[1], WAIT).await;
    assert_eq!(
        extract.status.and_then(|s| s.state),
        Some(StepState::Completed)
    );
    let details = failure_details(&transform);
    assert!(details
        .message
        .unwrap_or_default()
        .contains("fault injection"));
    assert!(details.log_file.unwrap_or_default().ends_with("/stderr.gz"));
}

#[tokio::test]
async fn given_a_running_step_when_the_cluster_is_killed_then_step_interrupted_and_cluster_failed()
{
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("doomed", vec![]).await;
    harness
        .client
        .set_termination_protection()
        .job_flow_ids(&cluster_id)
        .termination_protected(true)
        .send()
        .await
        .expect("protect");
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![shell_step("long", ActionOnFailure::Continue, "sleep 30")],
        )
        .await;
    harness
        .emr()
        .inspect()
        .wait_until(WAIT, |c| {
            c[0].steps[0].state == emrflow_local_emr::StepState::Running
        })
        .await
        .expect("running");
    // WHEN the cluster dies (even though protected)
    harness
        .emr()
        .faults()
        .kill_cluster(&cluster_id, "INSTANCE_FAILURE", "Master instance failed")
        .expect("kill");
    // THEN TERMINATED_WITH_ERRORS / INSTANCE_FAILURE, the step INTERRUPTED
    let cluster = harness
        .wait_cluster(&cluster_id, &[ClusterState::TerminatedWithErrors], WAIT)
        .await;
    let reason = cluster
        .status
        .and_then(|s| s.state_change_reason)
        .expect("reason");
    assert_eq!(
        reason.code.map(|c| c.as_str().to_string()).as_deref(),
        Some("INSTANCE_FAILURE")
    );
    assert_eq!(reason.message.as_deref(), Some("Master instance failed"));
    assert_eq!(
        harness.step_state(&cluster_id, &ids[0]).await,
        StepState::Interrupted
    );
}

#[tokio::test]
async fn given_calls_when_inspected_then_counts_and_clusters_with_steps_are_reported() {
    let harness = Harness::start().await;
    let cluster_id = harness
        .run_cluster(
            "inspected",
            vec![shell_step("only", ActionOnFailure::Continue, "true")],
        )
        .await;
    harness.cluster(&cluster_id).await;
    let clusters = harness
        .emr()
        .inspect()
        .wait_until(WAIT, |c| {
            c[0].steps[0].state == emrflow_local_emr::StepState::Completed
        })
        .await
        .expect("completed");
    assert_eq!(clusters.len(), 1);
    assert_eq!(
        clusters[0]
            .step_named("only")
            .map(|s| s.id.starts_with("s-")),
        Some(true)
    );
    let counts = harness.emr().inspect().operation_counts();
    assert_eq!(counts.get("RunJobFlow"), Some(&1));
    assert_eq!(counts.get("DescribeCluster"), Some(&1));
}

#[tokio::test]
async fn given_the_admin_routes_when_a_fault_is_posted_then_it_applies_and_state_is_listed() {
    let harness = Harness::start().await;
    let addr = harness.server.addr;
    // WHEN a throttle is posted over HTTP
    let posted = http(
        addr,
        "POST",
        "/_emrflow/faults",
        r#"{"Fault":"ThrottleNext","Operation":"ListClusters","Calls":1}"#,
    )
    .await;
    assert!(posted.starts_with("HTTP/1.1 200"), "{posted}");
    // THEN the next ListClusters is throttled
    let error = harness
        .client_without_retries()
        .list_clusters()
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(error.code(), Some("ThrottlingException"));
    // AND the clusters and counts can be read over HTTP
    harness.run_cluster("visible", vec![]).await;
    let clusters = http(addr, "GET", "/_emrflow/clusters", "").await;
    assert!(clusters.contains("\"Name\":\"visible\""), "{clusters}");
    let operations = http(addr, "GET", "/_emrflow/operations", "").await;
    assert!(operations.contains("\"ListClusters\":1"), "{operations}");
    let bad = http(addr, "POST", "/_emrflow/faults", r#"{"Fault":"Nope"}"#).await;
    assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[tokio::test]
async fn given_a_hang_when_requests_come_then_they_wait_until_released_and_admin_answers() {
    let harness = Harness::start().await;
    let addr = harness.server.addr;
    for (hang, release) in [("rust", "admin"), ("admin", "rust")] {
        // GIVEN the endpoint hung (through the Rust API or the admin route)
        if hang == "rust" {
            harness.emr().faults().hang();
        } else {
            let posted = http(addr, "POST", "/_emrflow/faults", r#"{"Fault":"Hang"}"#).await;
            assert!(posted.starts_with("HTTP/1.1 200"), "{posted}");
        }
        // WHEN an EMR request comes THEN it waits unanswered
        let pending = tokio::spawn(emr_call(addr, "ListClusters", "{}"));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!pending.is_finished(), "answered while hung ({hang})");
        // AND the admin routes still answer
        let clusters = http(addr, "GET", "/_emrflow/clusters", "").await;
        assert!(clusters.starts_with("HTTP/1.1 200"), "{clusters}");
        // WHEN released THEN the waiting request is answered
        if release == "rust" {
            harness.emr().faults().release();
        } else {
            let posted = http(addr, "POST", "/_emrflow/faults", r#"{"Fault":"Release"}"#).await;
            assert!(posted.starts_with("HTTP/1.1 200"), "{posted}");
        }
        let answered = tokio::time::timeout(WAIT, pending)
            .await
            .expect("answered after release")
            .expect("task");
        assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    }
}
