//! The reaper against a real peer: moto's server runs the real definition (the handlers'
//! answers queued) and is the EMR the reaper cleans up. moto 5.2.5's EMR has no CancelSteps:
//! here the only running step belongs to another execution, which the reaper must leave
//! alone (a call would fail); cancelling is proved with aws-smithy-mocks and the local EMR.

use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_sdk_emr::types::{ClusterState, StepState};
use emrflow_core::Handler;
use emrflow_core::SdkEmr;
use emrflow_events::moto::MotoServer;
use emrflow_executions::fixtures::moto::{
    emr_cluster, emr_step, sdk_config, MotoStateMachine, Until,
};
use emrflow_executions::fixtures::{check_running, cluster, json_of, start_go, summary};
use emrflow_executions::handlers::ReapExecution;
use serde_json::{json, Value};

/// What the handlers answer up to a look that sees `curate` running.
fn answers(execution: &str, cluster_id: &str, created: bool) -> Vec<Value> {
    let reused = (!created).then_some(cluster_id);
    vec![
        json_of(&summary(execution, created, created, reused)),
        start_go(),
        json_of(&cluster(cluster_id, created, false)),
        json!({"ClusterId": cluster_id, "Protected": true, "Previous": false}),
        json!({"ClusterId": cluster_id, "StepIds": ["s-1"]}),
        json_of(&check_running(&["curate"], &["s-1"])),
    ]
}

fn status_change(machine: &str, execution_arn: &str) -> EventBridgeEvent {
    serde_json::from_value(json!({
        "detail-type": "Step Functions Execution Status Change", "source": "aws.states",
        "detail": {"executionArn": execution_arn, "stateMachineArn": machine, "status": "ABORTED"}
    }))
    .expect("an EventBridge event")
}

async fn cluster_state(emr: &aws_sdk_emr::Client, cluster_id: &str) -> (ClusterState, bool) {
    let described = emr
        .describe_cluster()
        .cluster_id(cluster_id)
        .send()
        .await
        .expect("DescribeCluster");
    let cluster = described.cluster().expect("cluster");
    (
        cluster
            .status()
            .and_then(|status| status.state())
            .cloned()
            .expect("state"),
        cluster.termination_protected().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_executions_leave_no_created_cluster_and_give_a_reused_one_its_protection_back() {
    // GIVEN moto as Step Functions and EMR, and the real definition
    let moto = MotoServer::start().await.expect("moto's server");
    let config = sdk_config(&moto.endpoint_url());
    let sfn = aws_sdk_sfn::Client::new(&config);
    let emr = aws_sdk_emr::Client::new(&config);
    let machine = MotoStateMachine::create(sfn.clone(), &moto.endpoint_url())
        .await
        .expect("state machine");
    // AND an execution that created a cluster, protected it, and was stopped while its steps
    // ran (the cluster also runs another execution's step)
    let created = emr_cluster(
        &emr,
        "emrflow-orders-stop-created",
        Some("stop-created"),
        true,
    )
    .await
    .expect("a created cluster");
    emr_step(&emr, &created, "curate [someone-else]")
        .await
        .expect("another execution's step");
    let stopped_created = machine
        .run(
            "stop-created",
            &json!({}),
            &answers("stop-created", &created, true),
            Until::StoppedWhileWaiting,
        )
        .await
        .expect("first execution");
    // AND one that reused an unprotected cluster, protected it, and was stopped
    let shared = emr_cluster(&emr, "shared", None, true)
        .await
        .expect("a shared cluster");
    let stopped_reused = machine
        .run(
            "stop-reused",
            &json!({}),
            &answers("stop-reused", &shared, false),
            Until::StoppedWhileWaiting,
        )
        .await
        .expect("second execution");
    let reaper = ReapExecution::on_step_functions(sfn, None, Arc::new(SdkEmr::new(emr.clone())));

    // WHEN the reaper gets their ABORTED events
    let first = reaper
        .handle(status_change(&machine.arn, &stopped_created))
        .await
        .expect("reaped the created cluster");
    let second = reaper
        .handle(status_change(&machine.arn, &stopped_reused))
        .await
        .expect("reaped the reused cluster");

    // THEN the created cluster lost its protection and is terminated, the other execution's
    // step untouched
    assert!(first.terminated, "{first:?}");
    assert_eq!(
        cluster_state(&emr, &created).await,
        (ClusterState::Terminated, false)
    );
    let steps = emr
        .list_steps()
        .cluster_id(&created)
        .send()
        .await
        .expect("ListSteps");
    assert_eq!(
        steps.steps()[0].status().and_then(|s| s.state()),
        Some(&StepState::Running)
    );
    // AND the reused cluster keeps running, unprotected again as its owner had it
    assert!(!second.terminated);
    assert_eq!(second.protection_set_to, Some(false));
    assert_eq!(
        cluster_state(&emr, &shared).await,
        (ClusterState::Waiting, false)
    );
    // AND the same event again changes nothing
    let again = reaper
        .handle(status_change(&machine.arn, &stopped_created))
        .await
        .expect("reaped again");
    assert!(again.actions.is_empty(), "{again:?}");
}
