//! reap-execution's handler on EventBridge's event, over the real aws-sdk-sfn and aws-sdk-emr
//! clients answered by aws-smithy-mocks: which execution it reads, and the second look when a
//! task was in flight at the stop.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_sdk_emr::operation::describe_cluster::DescribeClusterOutput;
use aws_sdk_emr::operation::list_clusters::ListClustersOutput;
use aws_sdk_emr::operation::list_steps::ListStepsOutput;
use aws_sdk_emr::operation::terminate_job_flows::TerminateJobFlowsOutput;
use aws_sdk_emr::types as emr;
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::operation::get_execution_history::GetExecutionHistoryOutput;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent, HistoryEventType};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::DateTime;
use emrflow_core::Handler;
use emrflow_core::SdkEmr;
use emrflow_executions::fixtures::{sdk_events, summary, History, TaskFamily};
use emrflow_executions::handlers::ReapExecution;
use serde_json::json;

const MACHINE: &str = "arn:aws:states:us-east-1:111122223333:stateMachine:emrflow";
const EXECUTION: &str = "arn:aws:states:us-east-1:111122223333:execution:emrflow:manual-1";

/// An execution that validated, then was stopped while ensure-cluster was being called.
fn stopped_while_creating() -> Vec<HistoryEvent> {
    let events = History::new(chrono::Utc::now(), &json!({}), TaskFamily::Lambda)
        .task(
            "Validate_Input",
            "validate-input",
            &summary("manual-1", true, true, None),
        )
        .in_flight("Create_A_Cluster", "ensure-cluster")
        .aborted("", "");
    sdk_events(&events)
}

fn sfn_rules(history: Vec<HistoryEvent>) -> Vec<Rule> {
    let stopped = DateTime::from_secs(chrono::Utc::now().timestamp());
    vec![
        mock!(aws_sdk_sfn::Client::describe_execution)
            .match_requests(|input| input.execution_arn() == Some(EXECUTION))
            .then_output(move || {
                DescribeExecutionOutput::builder()
                    .execution_arn(EXECUTION)
                    .state_machine_arn(MACHINE)
                    .name("manual-1")
                    .status(ExecutionStatus::Aborted)
                    .start_date(DateTime::from_secs(stopped.secs() - 120))
                    .stop_date(stopped)
                    .build()
                    .expect("description")
            }),
        mock!(aws_sdk_sfn::Client::get_execution_history)
            .match_requests(|input| input.execution_arn() == Some(EXECUTION))
            .then_output(move || {
                GetExecutionHistoryOutput::builder()
                    .set_events(Some(history.clone()))
                    .build()
                    .expect("history")
            }),
    ]
}

/// EMR where the execution's cluster appears only from the `appears_at`-th ListClusters on
/// (ensure-cluster, still running after the stop, creates it late).
fn emr_rules(appears_at: usize, terminated: Arc<AtomicUsize>) -> Vec<Rule> {
    let looks = Arc::new(AtomicUsize::new(0));
    let name = "emrflow-orders-manual-1";
    let cluster = emr::Cluster::builder()
        .id("j-LATE")
        .name(name)
        .termination_protected(false)
        .status(
            emr::ClusterStatus::builder()
                .state(emr::ClusterState::Starting)
                .build(),
        )
        .tags(
            emr::Tag::builder()
                .key("emrflow:pipeline")
                .value("orders")
                .build(),
        )
        .tags(
            emr::Tag::builder()
                .key("emrflow:execution")
                .value("manual-1")
                .build(),
        )
        .build();
    vec![
        mock!(aws_sdk_emr::Client::list_clusters).then_compute_output(move |_| {
            let look = looks.fetch_add(1, Ordering::SeqCst) + 1;
            let summary = emr::ClusterSummary::builder()
                .id("j-LATE")
                .name(name)
                .status(
                    emr::ClusterStatus::builder()
                        .state(emr::ClusterState::Starting)
                        .build(),
                )
                .build();
            ListClustersOutput::builder()
                .set_clusters((look >= appears_at).then(|| vec![summary]))
                .build()
        }),
        mock!(aws_sdk_emr::Client::describe_cluster).then_output(move || {
            DescribeClusterOutput::builder()
                .cluster(cluster.clone())
                .build()
        }),
        mock!(aws_sdk_emr::Client::list_steps).then_output(|| ListStepsOutput::builder().build()),
        mock!(aws_sdk_emr::Client::terminate_job_flows).then_compute_output(move |input| {
            assert_eq!(input.job_flow_ids(), ["j-LATE"]);
            terminated.fetch_add(1, Ordering::SeqCst);
            TerminateJobFlowsOutput::builder().build()
        }),
    ]
}

fn reaper(sfn: &[Rule], emr: &[Rule]) -> ReapExecution {
    let sfn: Vec<&Rule> = sfn.iter().collect();
    let emr: Vec<&Rule> = emr.iter().collect();
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, &sfn);
    let emr = mock_client!(aws_sdk_emr, RuleMode::MatchAny, &emr);
    ReapExecution::on_step_functions(sfn, None, Arc::new(SdkEmr::new(emr)))
}

fn status_change() -> EventBridgeEvent {
    serde_json::from_value(json!({
        "version": "0", "id": "e-1", "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states", "account": "111122223333", "time": "2026-11-22T06:12:00Z",
        "region": "us-east-1", "resources": [EXECUTION],
        "detail": {"executionArn": EXECUTION, "stateMachineArn": MACHINE, "name": "manual-1",
                   "status": "ABORTED", "startDate": 1795327200000_i64, "stopDate": 1795327920000_i64}
    }))
    .expect("an EventBridge event")
}

#[tokio::test]
async fn a_cluster_created_after_the_stop_by_a_function_in_flight_is_found_on_the_second_look() {
    // GIVEN an execution stopped while ensure-cluster ran, whose cluster EMR lists only later
    let terminated = Arc::new(AtomicUsize::new(0));
    let sfn = sfn_rules(stopped_while_creating());
    let emr = emr_rules(2, terminated.clone());
    let reaper = reaper(&sfn, &emr).with_in_flight_grace(Duration::from_millis(1500));
    // WHEN the status change arrives
    let report = reaper.handle(status_change()).await.expect("reaped");
    // THEN the first look finds nothing, the second (after the grace) terminates j-LATE
    assert_eq!(terminated.load(Ordering::SeqCst), 1);
    assert!(report.terminated);
    assert_eq!(report.cluster_id.as_deref(), Some("j-LATE"));
    assert_eq!(
        sfn[0].num_calls(),
        2,
        "the execution is read again for the second look"
    );
}

#[tokio::test]
async fn without_a_task_in_flight_one_look_is_enough() {
    // GIVEN the same execution, but its history ends with ensure-cluster's call finished
    let mut history = stopped_while_creating();
    history.retain(|event| event.r#type() != &HistoryEventType::LambdaFunctionScheduled);
    let terminated = Arc::new(AtomicUsize::new(0));
    let sfn = sfn_rules(history);
    let emr = emr_rules(1, terminated.clone());
    // WHEN reaped (a long grace that must not be waited for)
    let reaper = reaper(&sfn, &emr).with_in_flight_grace(Duration::from_secs(600));
    let report = tokio::time::timeout(Duration::from_secs(30), reaper.handle(status_change()))
        .await
        .expect("no wait")
        .expect("reaped");
    // THEN one look found and terminated the cluster
    assert_eq!(sfn[0].num_calls(), 1);
    assert!(report.terminated);
}

#[tokio::test]
async fn an_event_without_an_execution_is_invalid_input() {
    // GIVEN a scheduled event sent to the reaper by mistake
    let reaper = reaper(&[], &[]);
    let mut event = status_change();
    event.detail = json!({});
    // WHEN handled THEN InvalidInput, in words
    let error = reaper.handle(event).await.expect_err("refused");
    assert_eq!(error.name().as_str(), "InvalidInput");
    assert!(
        error.message().contains("executionArn"),
        "{}",
        error.message()
    );
}
