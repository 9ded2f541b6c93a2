//! Cluster and step life cycles, through the real aws-sdk-emr client over HTTP.

mod common;

use std::time::Duration;

use aws_sdk_emr::types::{
    ActionOnFailure, AutoTerminationPolicy, ClusterState, JobFlowInstancesConfig, StepState, Tag,
};
use common::{failure_details, shell_step, Harness, WAIT};

#[tokio::test]
async fn given_a_keep_alive_cluster_when_it_starts_then_it_goes_starting_bootstrapping_waiting() {
    // GIVEN a local EMR with slow-enough start-up to observe the phases
    let harness = Harness::start_with(|mut config| {
        config.timings.startup = Duration::from_millis(400);
        config.timings.bootstrap = Duration::from_millis(400);
        config
    })
    .await;
    // WHEN a cluster is created
    let cluster_id = harness.run_cluster("lifecycle", vec![]).await;
    // THEN it is STARTING, then BOOTSTRAPPING, then WAITING with a ready time
    assert!(
        cluster_id.starts_with("j-") && cluster_id.len() == 15,
        "{cluster_id}"
    );
    assert!(cluster_id[2..]
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    assert_eq!(
        harness.cluster_state(&cluster_id).await,
        ClusterState::Starting
    );
    harness
        .wait_cluster(&cluster_id, &[ClusterState::Bootstrapping], WAIT)
        .await;
    let cluster = harness
        .wait_cluster(&cluster_id, &[ClusterState::Waiting], WAIT)
        .await;
    let timeline = cluster.status.and_then(|s| s.timeline).expect("timeline");
    assert!(
        timeline.ready_date_time.expect("ready") >= timeline.creation_date_time.expect("created")
    );
    assert_eq!(cluster.release_label.as_deref(), Some("emr-7.5.0"));
    assert_eq!(cluster.log_uri.as_deref(), Some("s3://logs-bucket/emr/"));
    assert_eq!(cluster.auto_terminate, Some(false));
    assert_eq!(cluster.step_concurrency_level, Some(1));
    assert!(cluster
        .cluster_arn
        .expect("arn")
        .ends_with(&format!("cluster/{cluster_id}")));
}

#[tokio::test]
async fn given_no_keep_alive_when_steps_complete_then_cluster_terminates_all_steps_completed() {
    let harness = Harness::start().await;
    // GIVEN a transient cluster with one step
    let cluster_id = harness
        .run_cluster_with(
            "transient",
            vec![shell_step("one", ActionOnFailure::Continue, "true")],
            |r| {
                r.instances(
                    JobFlowInstancesConfig::builder()
                        .keep_job_flow_alive_when_no_steps(false)
                        .build(),
                )
            },
        )
        .await;
    // WHEN the step completes
    let cluster = harness
        .wait_cluster(&cluster_id, &[ClusterState::Terminated], WAIT)
        .await;
    // THEN the cluster ends TERMINATED with ALL_STEPS_COMPLETED and an end time
    let status = cluster.status.expect("status");
    let reason = status.state_change_reason.expect("reason");
    assert_eq!(
        reason.code.map(|c| c.as_str().to_string()).as_deref(),
        Some("ALL_STEPS_COMPLETED")
    );
    assert!(status.timeline.and_then(|t| t.end_date_time).is_some());
    let steps = harness
        .client
        .list_steps()
        .cluster_id(&cluster_id)
        .send()
        .await
        .expect("ListSteps");
    assert_eq!(
        steps.steps()[0].status().and_then(|s| s.state()),
        Some(&StepState::Completed)
    );
}

#[tokio::test]
async fn given_an_idle_timeout_when_the_cluster_stays_idle_then_it_terminates() {
    let harness = Harness::start().await;
    // GIVEN a keep-alive cluster with IdleTimeout 60 (60 ms with test timings)
    let cluster_id = harness
        .run_cluster_with("idle", vec![], |r| {
            r.auto_termination_policy(AutoTerminationPolicy::builder().idle_timeout(60).build())
        })
        .await;
    // WHEN it stays WAITING past the timeout
    let cluster = harness
        .wait_cluster(&cluster_id, &[ClusterState::Terminated], WAIT)
        .await;
    // THEN it terminated for idleness
    let reason = cluster
        .status
        .and_then(|s| s.state_change_reason)
        .expect("reason");
    assert_eq!(
        reason.code.map(|c| c.as_str().to_string()).as_deref(),
        Some("IDLE_TIMEOUT")
    );
    assert!(reason.message.unwrap_or_default().contains("idle"));
}

#[tokio::test]
async fn given_concurrency_one_when_two_steps_are_added_then_they_run_strictly_in_order() {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("ordered", vec![]).await;
    // WHEN two sleeping steps are added at once
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![
                shell_step("first", ActionOnFailure::Continue, "sleep 0.3"),
                shell_step("second", ActionOnFailure::Continue, "sleep 0.1"),
            ],
        )
        .await;
    let first = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    let second = harness.wait_step_done(&cluster_id, &ids[1], WAIT).await;
    // THEN the second started only after the first ended
    let first_end = first
        .status
        .and_then(|s| s.timeline)
        .and_then(|t| t.end_date_time)
        .expect("end");
    let second_start = second
        .status
        .and_then(|s| s.timeline)
        .and_then(|t| t.start_date_time)
        .expect("start");
    assert!(
        second_start >= first_end,
        "{second_start:?} < {first_end:?}"
    );
    // AND ListSteps lists newest first
    let listed = harness
        .client
        .list_steps()
        .cluster_id(&cluster_id)
        .send()
        .await
        .expect("ListSteps");
    let names: Vec<_> = listed.steps().iter().filter_map(|s| s.name()).collect();
    assert_eq!(names, ["second", "first"]);
}

#[tokio::test]
async fn given_concurrency_two_when_two_steps_are_added_then_both_run_at_once() {
    let harness = Harness::start().await;
    let cluster_id = harness
        .run_cluster_with("parallel", vec![], |r| r.step_concurrency_level(2))
        .await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![
                shell_step("a", ActionOnFailure::Continue, "sleep 5"),
                shell_step("b", ActionOnFailure::Continue, "sleep 5"),
            ],
        )
        .await;
    // THEN both are RUNNING together and the cluster is RUNNING
    harness
        .emr()
        .inspect()
        .wait_until(WAIT, |clusters| {
            clusters[0]
                .steps
                .iter()
                .all(|s| s.state == emrflow_local_emr::StepState::Running)
        })
        .await
        .expect("both running");
    assert_eq!(
        harness.cluster_state(&cluster_id).await,
        ClusterState::Running
    );
    // AND terminating the cluster interrupts them
    harness
        .client
        .terminate_job_flows()
        .job_flow_ids(&cluster_id)
        .send()
        .await
        .expect("terminate");
    for id in &ids {
        let step = harness.wait_step_done(&cluster_id, id, WAIT).await;
        assert_eq!(
            step.status.and_then(|s| s.state),
            Some(StepState::Interrupted)
        );
    }
}

#[tokio::test]
async fn given_concurrency_above_one_when_cancel_and_wait_is_added_then_validation_error() {
    let harness = Harness::start().await;
    let cluster_id = harness
        .run_cluster_with("parallel", vec![], |r| r.step_concurrency_level(3))
        .await;
    // WHEN a CANCEL_AND_WAIT step is added
    let error = harness
        .client
        .add_job_flow_steps()
        .job_flow_id(&cluster_id)
        .steps(shell_step("bad", ActionOnFailure::CancelAndWait, "true"))
        .send()
        .await
        .expect_err("refused");
    // THEN EMR's ValidationException says the ActionOnFailure is not valid, nothing added
    let meta = aws_sdk_emr::error::ProvideErrorMetadata::meta(&error).clone();
    assert_eq!(meta.code(), Some("ValidationException"));
    assert!(meta
        .message()
        .unwrap_or_default()
        .contains("ActionOnFailure"));
    assert!(harness
        .emr()
        .inspect()
        .cluster(&cluster_id)
        .expect("cluster")
        .steps
        .is_empty());
    // AND CONTINUE is accepted
    harness
        .add_steps(
            &cluster_id,
            vec![shell_step("ok", ActionOnFailure::Continue, "true")],
        )
        .await;
}

#[tokio::test]
async fn given_cancel_and_wait_when_a_step_fails_then_pending_steps_cancel_and_cluster_waits() {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("caw", vec![]).await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![
                shell_step("fails", ActionOnFailure::CancelAndWait, "exit 3"),
                shell_step("after", ActionOnFailure::CancelAndWait, "true"),
            ],
        )
        .await;
    let failed = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    let after = harness.wait_step_done(&cluster_id, &ids[1], WAIT).await;
    // THEN the failed step says why, the next is CANCELLED, the cluster WAITING
    let details = failure_details(&failed);
    assert_eq!(
        details.reason.as_deref(),
        Some("Step failed with exit code 3")
    );
    // AND with nothing on stderr or stdout, the message repeats the reason
    assert_eq!(
        details.message.as_deref(),
        Some("Step failed with exit code 3")
    );
    assert_eq!(
        after.status.and_then(|s| s.state),
        Some(StepState::Cancelled)
    );
    harness
        .wait_cluster(&cluster_id, &[ClusterState::Waiting], WAIT)
        .await;
}

#[tokio::test]
async fn given_terminate_cluster_when_a_step_fails_then_cluster_terminates_with_errors() {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("tc", vec![]).await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![
                shell_step("fails", ActionOnFailure::TerminateCluster, "exit 1"),
                shell_step("never", ActionOnFailure::Continue, "true"),
            ],
        )
        .await;
    let cluster = harness
        .wait_cluster(&cluster_id, &[ClusterState::TerminatedWithErrors], WAIT)
        .await;
    // THEN STEP_FAILURE, and the pending step was cancelled
    let reason = cluster
        .status
        .and_then(|s| s.state_change_reason)
        .expect("reason");
    assert_eq!(
        reason.code.map(|c| c.as_str().to_string()).as_deref(),
        Some("STEP_FAILURE")
    );
    assert_eq!(
        harness.step_state(&cluster_id, &ids[1]).await,
        StepState::Cancelled
    );
    // AND a terminated cluster refuses new steps
    let error = harness
        .client
        .add_job_flow_steps()
        .job_flow_id(&cluster_id)
        .steps(shell_step("late", ActionOnFailure::Continue, "true"))
        .send()
        .await
        .expect_err("refused");
    let meta = aws_sdk_emr::error::ProvideErrorMetadata::meta(&error).clone();
    assert_eq!(meta.code(), Some("ValidationException"));
}

#[tokio::test]
async fn given_protection_when_a_terminate_cluster_step_fails_then_cluster_keeps_waiting() {
    let harness = Harness::start().await;
    let cluster_id = harness
        .run_cluster_with("protected", vec![], |r| {
            r.instances(
                JobFlowInstancesConfig::builder()
                    .keep_job_flow_alive_when_no_steps(true)
                    .termination_protected(true)
                    .build(),
            )
        })
        .await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![shell_step(
                "fails",
                ActionOnFailure::TerminateCluster,
                "exit 1",
            )],
        )
        .await;
    harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    // THEN the protected cluster survives, WAITING
    harness
        .wait_cluster(&cluster_id, &[ClusterState::Waiting], WAIT)
        .await;
}

#[tokio::test]
async fn given_termination_protection_when_terminate_job_flows_then_aws_error_until_protection_off()
{
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("protect-me", vec![]).await;
    harness
        .client
        .set_termination_protection()
        .job_flow_ids(&cluster_id)
        .termination_protected(true)
        .send()
        .await
        .expect("protect");
    assert_eq!(
        harness.cluster(&cluster_id).await.termination_protected,
        Some(true)
    );
    // WHEN terminating it
    let error = harness
        .client
        .terminate_job_flows()
        .job_flow_ids(&cluster_id)
        .send()
        .await
        .expect_err("protected");
    // THEN AWS's ValidationException text, and the cluster lives on
    let meta = aws_sdk_emr::error::ProvideErrorMetadata::meta(&error).clone();
    assert_eq!(meta.code(), Some("ValidationException"));
    assert_eq!(
        meta.message(),
        Some("Could not shut down one or more job flows since they are termination protected.")
    );
    assert!(matches!(
        harness.cluster_state(&cluster_id).await,
        ClusterState::Starting | ClusterState::Bootstrapping | ClusterState::Waiting
    ));
    // WHEN protection is off THEN it terminates by USER_REQUEST
    harness
        .client
        .set_termination_protection()
        .job_flow_ids(&cluster_id)
        .termination_protected(false)
        .send()
        .await
        .expect("unprotect");
    harness
        .client
        .terminate_job_flows()
        .job_flow_ids(&cluster_id)
        .send()
        .await
        .expect("terminate");
    let cluster = harness
        .wait_cluster(&cluster_id, &[ClusterState::Terminated], WAIT)
        .await;
    let reason = cluster
        .status
        .and_then(|s| s.state_change_reason)
        .expect("reason");
    assert_eq!(
        reason.code.map(|c| c.as_str().to_string()).as_deref(),
        Some("USER_REQUEST")
    );
}

#[tokio::test]
async fn given_unknown_ids_when_described_then_invalid_request_exception() {
    let harness = Harness::start().await;
    // WHEN describing an unknown cluster
    let error = harness
        .client
        .describe_cluster()
        .cluster_id("j-NOPE")
        .send()
        .await
        .expect_err("unknown");
    // THEN the modeled InvalidRequestException with EMR's text
    let service_error = error.into_service_error();
    assert!(
        service_error.is_invalid_request_exception(),
        "{service_error:?}"
    );
    assert_eq!(
        aws_sdk_emr::error::ProvideErrorMetadata::message(&service_error),
        Some("Cluster id 'j-NOPE' is not valid.")
    );
    // AND an unknown step of a known cluster too
    let cluster_id = harness.run_cluster("known", vec![]).await;
    let error = harness
        .client
        .describe_step()
        .cluster_id(&cluster_id)
        .step_id("s-NOPE")
        .send()
        .await
        .expect_err("unknown step");
    assert!(error.into_service_error().is_invalid_request_exception());
}

#[tokio::test]
async fn given_a_running_step_and_a_pending_one_when_cancelled_then_both_end_cancelled() {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("cancel", vec![]).await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![
                shell_step("long", ActionOnFailure::Continue, "sleep 30"),
                shell_step("queued", ActionOnFailure::Continue, "true"),
            ],
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
    // WHEN both are cancelled
    let output = harness
        .client
        .cancel_steps()
        .cluster_id(&cluster_id)
        .step_ids(&ids[0])
        .step_ids(&ids[1])
        .send()
        .await
        .expect("CancelSteps");
    // THEN both submitted, and both end CANCELLED (the process killed)
    assert_eq!(output.cancel_steps_info_list().len(), 2);
    for id in &ids {
        let step = harness.wait_step_done(&cluster_id, id, WAIT).await;
        assert_eq!(
            step.status.and_then(|s| s.state),
            Some(StepState::Cancelled)
        );
    }
}

#[tokio::test]
async fn given_many_clusters_when_listed_then_filters_and_paging_work() {
    let harness = Harness::start().await;
    // GIVEN 55 clusters, one of them terminated
    let mut ids = Vec::new();
    for n in 0..55 {
        ids.push(harness.run_cluster(&format!("c{n}"), vec![]).await);
    }
    harness
        .client
        .terminate_job_flows()
        .job_flow_ids(&ids[0])
        .send()
        .await
        .expect("terminate");
    harness
        .wait_cluster(&ids[0], &[ClusterState::Terminated], WAIT)
        .await;
    // WHEN listing all: two pages, newest first
    let first = harness.client.list_clusters().send().await.expect("page 1");
    assert_eq!(first.clusters().len(), 50);
    assert_eq!(first.clusters()[0].id(), Some(ids[54].as_str()));
    let second = harness
        .client
        .list_clusters()
        .marker(first.marker().expect("marker"))
        .send()
        .await
        .expect("page 2");
    assert_eq!(second.clusters().len(), 5);
    assert!(second.marker().is_none());
    // THEN the state filter finds the terminated one only
    let terminated = harness
        .client
        .list_clusters()
        .cluster_states(ClusterState::Terminated)
        .send()
        .await
        .expect("filtered");
    let found: Vec<_> = terminated
        .clusters()
        .iter()
        .filter_map(|c| c.id())
        .collect();
    assert_eq!(found, [ids[0].as_str()]);
    // AND a CreatedAfter in the future finds none
    let future = aws_smithy_types::DateTime::from_secs(chrono_now_secs() + 3600);
    let none = harness
        .client
        .list_clusters()
        .created_after(future)
        .send()
        .await
        .expect("after");
    assert!(none.clusters().is_empty());
}

fn chrono_now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

#[tokio::test]
async fn given_steps_when_listed_with_filters_then_only_matching_steps() {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("filters", vec![]).await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![
                shell_step("ok", ActionOnFailure::Continue, "true"),
                shell_step("bad", ActionOnFailure::Continue, "exit 1"),
            ],
        )
        .await;
    harness.wait_step_done(&cluster_id, &ids[1], WAIT).await;
    let failed = harness
        .client
        .list_steps()
        .cluster_id(&cluster_id)
        .step_states(StepState::Failed)
        .send()
        .await
        .expect("ListSteps");
    assert_eq!(
        failed
            .steps()
            .iter()
            .filter_map(|s| s.id())
            .collect::<Vec<_>>(),
        [ids[1].as_str()]
    );
    let by_id = harness
        .client
        .list_steps()
        .cluster_id(&cluster_id)
        .step_ids(&ids[0])
        .send()
        .await
        .expect("ListSteps");
    assert_eq!(
        by_id
            .steps()
            .iter()
            .filter_map(|s| s.name())
            .collect::<Vec<_>>(),
        ["ok"]
    );
}

#[tokio::test]
async fn given_a_cluster_when_tags_change_and_concurrency_is_modified_then_describe_shows_it() {
    let harness = Harness::start().await;
    let cluster_id = harness
        .run_cluster_with("tags", vec![], |r| {
            r.tags(Tag::builder().key("team").value("data").build())
        })
        .await;
    harness
        .client
        .add_tags()
        .resource_id(&cluster_id)
        .tags(
            Tag::builder()
                .key("emrflow:execution")
                .value("run-1")
                .build(),
        )
        .send()
        .await
        .expect("AddTags");
    harness
        .client
        .remove_tags()
        .resource_id(&cluster_id)
        .tag_keys("team")
        .send()
        .await
        .expect("RemoveTags");
    let modified = harness
        .client
        .modify_cluster()
        .cluster_id(&cluster_id)
        .step_concurrency_level(4)
        .send()
        .await
        .expect("ModifyCluster");
    assert_eq!(modified.step_concurrency_level, Some(4));
    let cluster = harness.cluster(&cluster_id).await;
    let tags: Vec<_> = cluster
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or(""), t.value().unwrap_or("")))
        .collect();
    assert_eq!(tags, [("emrflow:execution", "run-1")]);
    assert_eq!(cluster.step_concurrency_level, Some(4));
}

#[tokio::test]
async fn given_256_active_steps_when_one_more_is_added_then_refused() {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("limit", vec![]).await;
    let many: Vec<_> = (0..256)
        .map(|n| shell_step(&format!("s{n}"), ActionOnFailure::Continue, "sleep 30"))
        .collect();
    harness.add_steps(&cluster_id, many).await;
    let error = harness
        .client
        .add_job_flow_steps()
        .job_flow_id(&cluster_id)
        .steps(shell_step(
            "one too many",
            ActionOnFailure::Continue,
            "true",
        ))
        .send()
        .await
        .expect_err("limit");
    let meta = aws_sdk_emr::error::ProvideErrorMetadata::meta(&error).clone();
    assert_eq!(meta.code(), Some("ValidationException"));
    assert!(meta.message().unwrap_or_default().contains("active steps"));
    harness.server.shutdown();
}
