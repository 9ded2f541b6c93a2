//! The reaper's EMR calls, exactly as sent (aws-smithy-mocks behind the real aws-sdk-emr
//! client, through emrflow-core's SdkEmr): which cluster it touches, which steps it cancels,
//! what it does to protection and termination, for each kind of ended execution.

use std::sync::{Arc, Mutex};

use aws_sdk_emr::config::retry::RetryConfig;
use aws_sdk_emr::operation::cancel_steps::CancelStepsOutput;
use aws_sdk_emr::operation::describe_cluster::DescribeClusterOutput;
use aws_sdk_emr::operation::list_clusters::ListClustersOutput;
use aws_sdk_emr::operation::list_steps::ListStepsOutput;
use aws_sdk_emr::operation::set_termination_protection::SetTerminationProtectionOutput;
use aws_sdk_emr::operation::terminate_job_flows::TerminateJobFlowsOutput;
use aws_sdk_emr::types as emr;
use aws_sdk_emr::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use emrflow_core::SdkEmr;
use emrflow_executions::fixtures::{
    check_running, cluster, description, six_am, summary, History, TaskFamily,
};
use emrflow_executions::record::{CHECK_STEPS, CREATE_A_CLUSTER, VALIDATE_INPUT};
use emrflow_executions::{reap, ExecutionRecord, ExecutionStatus};
use serde_json::json;

const EXECUTION: &str = "daily-2026-11-21";

/// Every request the mocked EMR saw, in order, in words.
type Calls = Arc<Mutex<Vec<String>>>;

/// A cluster EMR describes, and the steps it lists.
struct World {
    id: &'static str,
    state: emr::ClusterState,
    protected: bool,
    tags: Vec<(&'static str, &'static str)>,
    steps: Vec<(&'static str, &'static str, emr::StepState)>,
}

impl World {
    fn ours(protected: bool) -> World {
        World {
            id: "j-OURS",
            state: emr::ClusterState::Running,
            protected,
            tags: vec![
                ("emrflow:pipeline", "orders"),
                ("emrflow:execution", EXECUTION),
            ],
            steps: vec![
                ("s-3", "report [daily-2026-11-21]", emr::StepState::Pending),
                ("s-2", "curate [daily-2026-11-21]", emr::StepState::Running),
                ("s-9", "curate [daily-2026-11-20]", emr::StepState::Running),
                (
                    "s-1",
                    "validate [daily-2026-11-21]",
                    emr::StepState::Completed,
                ),
            ],
        }
    }

    /// Rules for every operation the reaper may call, each logging its request.
    fn rules(&self, calls: &Calls) -> Vec<Rule> {
        let log = |calls: &Calls, text: String| calls.lock().unwrap().push(text);
        let (c1, c2, c3, c4, c5, c6) = (
            calls.clone(),
            calls.clone(),
            calls.clone(),
            calls.clone(),
            calls.clone(),
            calls.clone(),
        );
        let cluster = emr::Cluster::builder()
            .id(self.id)
            .name(format!("emrflow-orders-{EXECUTION}"))
            .termination_protected(self.protected)
            .step_concurrency_level(1)
            .status(
                emr::ClusterStatus::builder()
                    .state(self.state.clone())
                    .build(),
            )
            .set_tags(Some(
                self.tags
                    .iter()
                    .map(|(k, v)| emr::Tag::builder().key(*k).value(*v).build())
                    .collect(),
            ))
            .build();
        let summary = emr::ClusterSummary::builder()
            .id(self.id)
            .name(format!("emrflow-orders-{EXECUTION}"))
            .status(
                emr::ClusterStatus::builder()
                    .state(self.state.clone())
                    .build(),
            )
            .build();
        // Steps the reaper cancelled read CANCELLED from then on, as EMR ends them.
        let cancelled: Calls = Calls::default();
        let (cancelling, listing) = (cancelled.clone(), cancelled);
        let listed = self.steps.clone();
        let steps = move || -> Vec<emr::StepSummary> {
            let cancelled = listing.lock().unwrap().clone();
            listed
                .iter()
                .map(|(id, name, state)| {
                    let state = if cancelled.iter().any(|c| c == id) {
                        emr::StepState::Cancelled
                    } else {
                        state.clone()
                    };
                    emr::StepSummary::builder()
                        .id(*id)
                        .name(*name)
                        .status(
                            emr::StepStatus::builder()
                                .state(state.clone())
                                .timeline(
                                    emr::StepTimeline::builder()
                                        .creation_date_time(aws_smithy_types::DateTime::from_secs(
                                            1_795_327_300,
                                        ))
                                        .build(),
                                )
                                .build(),
                        )
                        .build()
                })
                .collect()
        };
        vec![
            mock!(Client::describe_cluster).then_compute_output(move |input| {
                log(
                    &c1,
                    format!("DescribeCluster {}", input.cluster_id().unwrap_or("")),
                );
                DescribeClusterOutput::builder()
                    .cluster(cluster.clone())
                    .build()
            }),
            mock!(Client::list_clusters).then_compute_output(move |input| {
                let after = input.created_after().map(|t| t.secs()).unwrap_or_default();
                log(&c2, format!("ListClusters created after {after}"));
                ListClustersOutput::builder()
                    .clusters(summary.clone())
                    .build()
            }),
            mock!(Client::list_steps).then_compute_output(move |input| {
                log(
                    &c3,
                    format!("ListSteps {}", input.cluster_id().unwrap_or("")),
                );
                ListStepsOutput::builder().set_steps(Some(steps())).build()
            }),
            mock!(Client::cancel_steps).then_compute_output(move |input| {
                cancelling
                    .lock()
                    .unwrap()
                    .extend(input.step_ids().iter().cloned());
                log(
                    &c4,
                    format!(
                        "CancelSteps {} {} {}",
                        input.cluster_id().unwrap_or(""),
                        input.step_ids().join(","),
                        input
                            .step_cancellation_option()
                            .map(|option| option.as_str())
                            .unwrap_or("")
                    ),
                );
                CancelStepsOutput::builder().build()
            }),
            mock!(Client::set_termination_protection).then_compute_output(move |input| {
                log(
                    &c5,
                    format!(
                        "SetTerminationProtection {} {}",
                        input.job_flow_ids().join(","),
                        input.termination_protected().unwrap_or_default()
                    ),
                );
                SetTerminationProtectionOutput::builder().build()
            }),
            mock!(Client::terminate_job_flows).then_compute_output(move |input| {
                log(
                    &c6,
                    format!("TerminateJobFlows {}", input.job_flow_ids().join(",")),
                );
                TerminateJobFlowsOutput::builder().build()
            }),
        ]
    }

    async fn reap(
        &self,
        record: &ExecutionRecord,
    ) -> (emrflow_executions::ReapReport, Vec<String>) {
        let calls = Calls::default();
        let rules = self.rules(&calls);
        let rule_refs: Vec<&Rule> = rules.iter().collect();
        let client = mock_client!(aws_sdk_emr, RuleMode::MatchAny, &rule_refs, |config| config
            .retry_config(RetryConfig::disabled()));
        let report = reap(&SdkEmr::new(client), record).await.expect("reaped");
        let calls = calls.lock().unwrap().clone();
        (report, calls)
    }
}

/// An execution stopped while its steps ran on cluster `j-OURS` (created, or reused).
fn stopped_record(status: ExecutionStatus, create: bool, terminate: bool) -> ExecutionRecord {
    let input = json!({"ProcessingDate": "2026-11-21"});
    let reused = (!create).then_some("j-OURS");
    let events = History::new(six_am(), &input, TaskFamily::Lambda)
        .task(
            VALIDATE_INPUT,
            "validate-input",
            &summary(EXECUTION, create, terminate, reused),
        )
        .task(
            CREATE_A_CLUSTER,
            "ensure-cluster",
            &cluster("j-OURS", create, !create),
        )
        .task(
            CHECK_STEPS,
            "check-steps",
            &check_running(&["curate"], &["s-2"]),
        )
        .aborted("", "");
    ExecutionRecord::from_history(description(EXECUTION, status, six_am(), &input), events)
}

#[tokio::test]
async fn an_aborted_execution_that_created_its_cluster_has_it_unprotected_and_terminated() {
    // GIVEN an execution that created j-OURS (TerminateCluster true), stopped mid-run, with
    // protection on and two of its steps active beside another execution's running step
    let world = World::ours(true);
    // WHEN reaped
    let (report, calls) = world
        .reap(&stopped_record(ExecutionStatus::Aborted, true, true))
        .await;
    // THEN exactly: look, list, cancel only its own active steps (killing the process),
    // see them ended, protection off, terminate
    assert_eq!(
        calls,
        [
            "DescribeCluster j-OURS",
            "ListSteps j-OURS",
            "CancelSteps j-OURS s-3,s-2 TERMINATE_PROCESS",
            "ListSteps j-OURS",
            "SetTerminationProtection j-OURS false",
            "TerminateJobFlows j-OURS",
        ]
    );
    assert_eq!(report.steps_cancelled, ["s-3", "s-2"]);
    assert!(report.terminated);
    assert_eq!(report.protection_set_to, Some(false));
    assert!(
        report.outcome.contains("j-OURS is terminating"),
        "{}",
        report.outcome
    );
}

#[tokio::test]
async fn a_timed_out_execution_on_a_reused_cluster_leaves_it_running_with_its_protection_back() {
    // GIVEN a reused cluster the owner kept unprotected, protected by the execution
    let mut world = World::ours(true);
    world.tags = vec![("emrflow:pipeline", "orders")];
    let mut record = stopped_record(ExecutionStatus::TimedOut, false, false);
    if let Some(cluster) = record.cluster.as_mut() {
        cluster.termination_protected = false;
    }
    // WHEN reaped
    let (report, calls) = world.reap(&record).await;
    // THEN its steps are cancelled and protection goes back off; it is never terminated
    assert_eq!(
        calls,
        [
            "DescribeCluster j-OURS",
            "ListSteps j-OURS",
            "CancelSteps j-OURS s-3,s-2 TERMINATE_PROCESS",
            "SetTerminationProtection j-OURS false",
        ]
    );
    assert!(!report.terminated);
    assert!(
        report.outcome.contains("keeps running (reused)"),
        "{}",
        report.outcome
    );
}

#[tokio::test]
async fn a_cluster_whose_create_response_was_lost_is_found_by_its_name_and_tags() {
    // GIVEN an execution stopped while ensure-cluster ran: no cluster id in the history
    let input = json!({});
    let events = History::new(six_am(), &input, TaskFamily::Lambda)
        .task(
            VALIDATE_INPUT,
            "validate-input",
            &summary(EXECUTION, true, true, None),
        )
        .in_flight(CREATE_A_CLUSTER, "ensure-cluster")
        .aborted("", "");
    let record = ExecutionRecord::from_history(
        description(EXECUTION, ExecutionStatus::Aborted, six_am(), &input),
        events,
    );
    // WHEN reaped against EMR, where the cluster exists, unprotected
    let (report, calls) = World::ours(false).reap(&record).await;
    // THEN it is searched among clusters created since five minutes before the start, its
    // tags read, its steps cancelled and it is terminated; the task in flight is reported
    let start = six_am().timestamp() - 300;
    assert_eq!(calls[0], format!("ListClusters created after {start}"));
    assert_eq!(calls[1], "DescribeCluster j-OURS");
    assert_eq!(
        calls.last().map(String::as_str),
        Some("TerminateJobFlows j-OURS")
    );
    assert!(!calls
        .iter()
        .any(|call| call.starts_with("SetTerminationProtection")));
    assert_eq!(report.task_in_flight.as_deref(), Some(CREATE_A_CLUSTER));
    assert_eq!(report.cluster_id.as_deref(), Some("j-OURS"));
}

#[tokio::test]
async fn a_failed_execution_whose_cleanup_succeeded_costs_one_look() {
    // GIVEN a FAILED execution whose cluster cleanup already terminated
    let mut world = World::ours(false);
    world.state = emr::ClusterState::Terminated;
    // WHEN reaped (the rule's second line of defence)
    let (report, calls) = world
        .reap(&stopped_record(ExecutionStatus::Failed, true, true))
        .await;
    // THEN one DescribeCluster and nothing else
    assert_eq!(calls, ["DescribeCluster j-OURS"]);
    assert!(report.actions.is_empty());
    assert!(report.outcome.contains("TERMINATED"), "{}", report.outcome);
}

#[tokio::test]
async fn a_created_cluster_without_the_executions_tags_is_left_alone() {
    // GIVEN a history naming a created cluster that does not carry this execution's tags
    let mut world = World::ours(true);
    world.tags = vec![
        ("emrflow:pipeline", "orders"),
        ("emrflow:execution", "someone-else"),
    ];
    // WHEN reaped
    let (report, calls) = world
        .reap(&stopped_record(ExecutionStatus::Aborted, true, true))
        .await;
    // THEN its own steps are cancelled but the cluster is neither unprotected nor terminated
    assert!(!calls
        .iter()
        .any(|call| call.starts_with("TerminateJobFlows")
            || call.starts_with("SetTerminationProtection")));
    assert!(report.outcome.contains("left alone"), "{}", report.outcome);
}

#[tokio::test]
async fn running_or_unvalidated_executions_make_no_emr_call() {
    // GIVEN a RUNNING execution, and an ABORTED one stopped before validate-input answered
    let input = json!({});
    let running = stopped_record(ExecutionStatus::Running, true, true);
    let early = ExecutionRecord::from_history(
        description(EXECUTION, ExecutionStatus::Aborted, six_am(), &input),
        History::new(six_am(), &input, TaskFamily::Lambda)
            .in_flight(VALIDATE_INPUT, "validate-input")
            .aborted("", ""),
    );
    for record in [running, early] {
        // WHEN reaped THEN EMR is not called
        let (report, calls) = World::ours(true).reap(&record).await;
        assert!(calls.is_empty(), "{calls:?}");
        assert!(!report.outcome.is_empty());
    }
}
