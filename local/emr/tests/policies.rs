//! A cluster's policies (auto-termination, managed scaling) and ListReleaseLabels, through the
//! real aws-sdk-emr client and raw HTTP.

mod common;

use aws_sdk_emr::error::ProvideErrorMetadata;
use aws_sdk_emr::types::{
    AutoTerminationPolicy, ClusterState, ComputeLimits, ComputeLimitsUnitType,
    ManagedScalingPolicy, ReleaseLabelFilter,
};
use common::{emr_call, Harness, WAIT};

fn idle_timeout(seconds: i64) -> AutoTerminationPolicy {
    AutoTerminationPolicy::builder()
        .idle_timeout(seconds)
        .build()
}

#[tokio::test]
async fn given_a_cluster_when_its_auto_termination_policy_is_put_then_get_shows_it_and_remove_clears_it(
) {
    // GIVEN a waiting cluster without a policy
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("policy", vec![]).await;
    let get = || {
        harness
            .client
            .get_auto_termination_policy()
            .cluster_id(&cluster_id)
            .send()
    };
    assert_eq!(get().await.expect("get").auto_termination_policy, None);
    // WHEN a policy of an hour is put THEN Get shows it
    harness
        .client
        .put_auto_termination_policy()
        .cluster_id(&cluster_id)
        .auto_termination_policy(idle_timeout(3600))
        .send()
        .await
        .expect("put");
    let policy = get()
        .await
        .expect("get")
        .auto_termination_policy
        .expect("policy");
    assert_eq!(policy.idle_timeout, Some(3600));
    // AND an idle timeout under a minute is refused, as EMR refuses it
    let error = harness
        .client
        .put_auto_termination_policy()
        .cluster_id(&cluster_id)
        .auto_termination_policy(idle_timeout(10))
        .send()
        .await
        .expect_err("too short");
    assert_eq!(error.code(), Some("ValidationException"));
    assert!(error
        .message()
        .unwrap_or_default()
        .contains("between 60 and 604800"));
    // WHEN removed THEN Get shows none
    harness
        .client
        .remove_auto_termination_policy()
        .cluster_id(&cluster_id)
        .send()
        .await
        .expect("remove");
    assert_eq!(get().await.expect("get").auto_termination_policy, None);
}

#[tokio::test]
async fn given_a_put_idle_timeout_when_the_cluster_stays_idle_then_it_terminates() {
    // GIVEN a waiting cluster (a policy second lasts a millisecond here)
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("idle", vec![]).await;
    harness
        .wait_cluster(&cluster_id, &[ClusterState::Waiting], WAIT)
        .await;
    // WHEN an idle timeout of a minute is put THEN the cluster ends IDLE_TIMEOUT
    harness
        .client
        .put_auto_termination_policy()
        .cluster_id(&cluster_id)
        .auto_termination_policy(idle_timeout(60))
        .send()
        .await
        .expect("put");
    let cluster = harness
        .wait_cluster(&cluster_id, &[ClusterState::Terminated], WAIT)
        .await;
    let reason = cluster
        .status
        .and_then(|s| s.state_change_reason)
        .expect("reason");
    assert_eq!(
        reason.code.map(|code| code.as_str().to_string()).as_deref(),
        Some("IDLE_TIMEOUT")
    );
}

#[tokio::test]
async fn given_a_managed_scaling_policy_when_put_then_get_shows_it_until_removed() {
    // GIVEN a cluster and a policy of 2 to 10 instances
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("scaling", vec![]).await;
    let limits = ComputeLimits::builder()
        .unit_type(ComputeLimitsUnitType::Instances)
        .minimum_capacity_units(2)
        .maximum_capacity_units(10)
        .build();
    // WHEN it is put THEN Get shows the same limits
    harness
        .client
        .put_managed_scaling_policy()
        .cluster_id(&cluster_id)
        .managed_scaling_policy(
            ManagedScalingPolicy::builder()
                .compute_limits(limits.clone())
                .build(),
        )
        .send()
        .await
        .expect("put");
    let get = || {
        harness
            .client
            .get_managed_scaling_policy()
            .cluster_id(&cluster_id)
            .send()
    };
    let policy = get()
        .await
        .expect("get")
        .managed_scaling_policy
        .expect("policy");
    assert_eq!(policy.compute_limits, Some(limits));
    // AND limits whose minimum passes the maximum are refused
    let error = harness
        .client
        .put_managed_scaling_policy()
        .cluster_id(&cluster_id)
        .managed_scaling_policy(
            ManagedScalingPolicy::builder()
                .compute_limits(
                    ComputeLimits::builder()
                        .unit_type(ComputeLimitsUnitType::Vcpu)
                        .minimum_capacity_units(8)
                        .maximum_capacity_units(4)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("min over max");
    assert_eq!(error.code(), Some("ValidationException"));
    // WHEN removed THEN Get shows none
    harness
        .client
        .remove_managed_scaling_policy()
        .cluster_id(&cluster_id)
        .send()
        .await
        .expect("remove");
    assert_eq!(get().await.expect("get").managed_scaling_policy, None);
}

#[tokio::test]
async fn given_an_unknown_cluster_when_policies_are_called_then_emrs_invalid_request() {
    // GIVEN no cluster j-NOPE WHEN each policy operation names it raw
    let harness = Harness::start().await;
    for (operation, body) in [
        (
            "PutAutoTerminationPolicy",
            r#"{"ClusterId":"j-NOPE","AutoTerminationPolicy":{"IdleTimeout":3600}}"#,
        ),
        ("GetAutoTerminationPolicy", r#"{"ClusterId":"j-NOPE"}"#),
        ("RemoveAutoTerminationPolicy", r#"{"ClusterId":"j-NOPE"}"#),
        (
            "PutManagedScalingPolicy",
            r#"{"ClusterId":"j-NOPE","ManagedScalingPolicy":{"ComputeLimits":{"UnitType":"Instances","MinimumCapacityUnits":1,"MaximumCapacityUnits":2}}}"#,
        ),
        ("GetManagedScalingPolicy", r#"{"ClusterId":"j-NOPE"}"#),
        ("RemoveManagedScalingPolicy", r#"{"ClusterId":"j-NOPE"}"#),
    ] {
        let response = emr_call(harness.server.addr, operation, body).await;
        // THEN HTTP 400 InvalidRequestException naming the id, as for every cluster operation
        assert!(
            response.starts_with("HTTP/1.1 400"),
            "{operation}: {response}"
        );
        assert!(
            response.contains("InvalidRequestException"),
            "{operation}: {response}"
        );
        assert!(
            response.contains("Cluster id 'j-NOPE' is not valid."),
            "{operation}: {response}"
        );
    }
}

#[tokio::test]
async fn given_release_labels_when_listed_by_prefix_then_newest_first_in_pages() {
    // GIVEN the local EMR WHEN the emr-7 labels are listed three at a time, following NextToken
    let harness = Harness::start().await;
    let mut labels = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = harness
            .client
            .list_release_labels()
            .filters(ReleaseLabelFilter::builder().prefix("emr-7").build())
            .max_results(3)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("ListReleaseLabels");
        labels.extend(page.release_labels.unwrap_or_default());
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    // THEN every emr-7 label, newest first, the project's emr-7.5.0 among them
    assert!(
        labels.iter().all(|label| label.starts_with("emr-7.")),
        "{labels:?}"
    );
    assert_eq!(labels.first().map(String::as_str), Some("emr-7.10.0"));
    assert!(labels.contains(&"emr-7.5.0".to_string()));
    assert_eq!(labels.len(), 11);
}
