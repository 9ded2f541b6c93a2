//! One named test per path through the state machine: the real definition, the real handler
//! code, the local EMR running real step processes. Each asserts the states that ran, the
//! errors seen, the final status, and what is left alive on the (local) EMR.

use std::sync::Arc;
use std::time::Duration;

use emrflow::local_emr_client;
use emrflow_asl::{FnObserver, HistoryEvent};
use emrflow_local_emr::{ClusterState, StepState};
use emrflow_tests::{pipeline, script_step, two_good_steps, Harness};
use serde_json::json;

const HAPPY_PATH: [&str; 12] = [
    "Validate_Input",
    "Check_Start_Conditions",
    "Ready_To_Start",
    "Should_Create_Cluster",
    "Create_A_Cluster",
    "Enable_Termination_Protection",
    "Submit_Pipeline_Steps",
    "Check_Steps",
    "Disable_Termination_Protection",
    "Should_Terminate_Cluster",
    "Terminate_Cluster",
    "Wrapping_Up",
];

fn without_poll_loop(states: &[String]) -> Vec<String> {
    let mut path: Vec<String> = Vec::new();
    for state in states {
        let polling = matches!(
            state.as_str(),
            "Steps_Finished" | "Wait_For_Steps" | "Wait_For_Step_Events"
        );
        if !polling && path.last() != Some(state) {
            path.push(state.clone());
        }
    }
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_run_and_terminate() {
    // GIVEN a pipeline of two script steps and the default input
    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    // WHEN the execution runs
    let run = harness
        .run(json!({"ProcessingDate": "2026-11-21"}), spec)
        .await;
    // THEN it passes through the documented states, in order, and succeeds
    let output = run.assert_succeeded();
    assert_eq!(without_poll_loop(&run.states_entered()), HAPPY_PATH);
    assert!(run.errors_seen().is_empty(), "{:?}", run.errors_seen());
    // AND the output names the cluster, every step with its state and logs, and the termination
    assert_eq!(output["ClusterTerminated"], true);
    assert_eq!(output["ClusterCreated"], true);
    let steps = output["Steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 2);
    assert!(
        steps.iter().all(|step| step["State"] == "COMPLETED"),
        "{steps:?}"
    );
    assert!(steps[0]["Attempts"][0]["LogLocation"]
        .as_str()
        .is_some_and(|log| log.starts_with("s3://logs/emr/")));
    // AND exactly one cluster existed, with each step once, and it is gone
    let clusters = harness.clusters();
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0].id, output["ClusterId"]);
    assert_eq!(clusters[0].steps.len(), 2);
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reuse_and_keep_restores_the_earlier_protection() {
    // GIVEN a running cluster whose owner keeps it termination protected
    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    let cluster_id = harness.existing_cluster(true).await;
    // WHEN the pipeline reuses it and keeps it
    let run = harness
        .run(
            json!({"CreateCluster": false, "TerminateCluster": false, "ClusterId": cluster_id}),
            spec,
        )
        .await;
    // THEN it succeeds without creating or terminating anything
    let output = run.assert_succeeded();
    assert!(run.entered("Check_Existing_Cluster") && !run.entered("Create_A_Cluster"));
    assert!(run.entered("Restore_Termination_Protection"));
    assert!(!run.entered("Disable_Termination_Protection"));
    assert!(run.entered("Keep_Cluster") && !run.entered("Terminate_Cluster"));
    assert_eq!(output["ClusterTerminated"], false);
    assert_eq!(
        harness.operation_count("RunJobFlow"),
        1,
        "only the test's own cluster"
    );
    // AND the cluster is still up, still protected as before, with the steps done
    let cluster = harness
        .emr
        .emr
        .inspect()
        .cluster(&cluster_id)
        .expect("cluster");
    assert!(cluster.state.accepts_steps(), "{:?}", cluster.state);
    assert!(cluster.termination_protected);
    assert!(cluster
        .steps
        .iter()
        .all(|step| step.state == StepState::Completed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reuse_and_terminate_a_protected_cluster_when_asked() {
    // GIVEN a running cluster its owner protected, and an input that asks to terminate it
    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    let cluster_id = harness.existing_cluster(true).await;
    // WHEN the pipeline reuses it with TerminateCluster true
    let run = harness
        .run(
            json!({"CreateCluster": false, "TerminateCluster": true, "ClusterId": cluster_id}),
            spec,
        )
        .await;
    // THEN protection is turned off before Terminate_Cluster, as in the documented flow
    let output = run.assert_succeeded();
    assert!(run.entered("Disable_Termination_Protection") && run.entered("Terminate_Cluster"));
    assert_eq!(output["ClusterTerminated"], true);
    assert_eq!(output["ClusterCreated"], false);
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reuse_of_an_unknown_cluster_fails_with_cluster_not_found() {
    // GIVEN a ClusterId that EMR does not know
    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    // WHEN the pipeline is asked to reuse it
    let run = harness
        .run(
            json!({"CreateCluster": false, "ClusterId": "j-NOSUCHCLUSTER1"}),
            spec,
        )
        .await;
    // THEN it fails with ClusterNotFound naming the id, after the cleanup path, creating nothing
    let (error, cause) = run.failure();
    assert_eq!(error, "ClusterNotFound");
    assert!(cause.contains("j-NOSUCHCLUSTER1"), "{cause}");
    assert!(run.entered("Execution_Failed"));
    assert!(
        !run.entered("Cleanup_Terminate_Cluster")
            && !run.entered("Cleanup_Terminate_Orphan_Cluster")
    );
    assert_eq!(harness.operation_count("RunJobFlow"), 0);
    assert_eq!(harness.operation_count("AddJobFlowSteps"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reuse_of_a_terminated_cluster_fails_with_cluster_not_usable() {
    // GIVEN a cluster that has been terminated
    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    let cluster_id = harness.existing_cluster(false).await;
    local_emr_client(&harness.emr.endpoint_url())
        .terminate_job_flows()
        .job_flow_ids(&cluster_id)
        .send()
        .await
        .expect("terminated");
    harness
        .emr
        .emr
        .inspect()
        .wait_for_cluster_state(
            &cluster_id,
            &[ClusterState::Terminated],
            Duration::from_secs(10),
        )
        .await
        .expect("terminated");
    // WHEN the pipeline is asked to reuse it
    let run = harness
        .run(
            json!({"CreateCluster": false, "ClusterId": cluster_id}),
            spec,
        )
        .await;
    // THEN it fails with ClusterNotUsable naming its state; no step was added anywhere
    let (error, cause) = run.failure();
    assert_eq!(error, "ClusterNotUsable");
    assert!(cause.contains("TERMINATED"), "{cause}");
    assert_eq!(harness.operation_count("AddJobFlowSteps"), 0);
    assert_eq!(harness.clusters().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_step_with_cancel_and_wait_fails_the_execution_after_cleanup() {
    // GIVEN a first step that fails with a message on stderr, and a second step behind it
    let harness = Harness::start().await;
    harness.script(
        "extract.sh",
        r#"echo "raw file for $1 is missing" >&2; exit 3"#,
    );
    harness.script("load.sh", "echo never");
    let spec = pipeline(json!([
        script_step("extract", "extract.sh", "CANCEL_AND_WAIT"),
        script_step("load", "load.sh", "CANCEL_AND_WAIT"),
    ]));
    // WHEN the execution runs
    let run = harness
        .run(json!({"ProcessingDate": "2026-11-21"}), spec)
        .await;
    // THEN it fails with StepFailed whose cause carries the step and EMR's FailureDetails
    let (error, cause) = run.failure();
    assert_eq!(error, "StepFailed");
    assert!(cause.contains("extract"), "{cause}");
    assert!(
        cause.contains("raw file for 2026-11-21 is missing"),
        "{cause}"
    );
    assert!(cause.contains("stderr"), "the log file is named: {cause}");
    // AND the cleanup ran: protection restored, the created cluster terminated
    for state in [
        "Cleanup_Restore_Protection",
        "Cleanup_Terminate_Cluster",
        "Execution_Failed",
    ] {
        assert!(
            run.entered(state),
            "{state} did not run: {:?}",
            run.states_entered()
        );
    }
    assert!(!run.entered("Wrapping_Up"));
    let cluster = &harness.clusters()[0];
    assert_eq!(
        cluster
            .step_named("load [test-execution]")
            .map(|step| step.state),
        Some(StepState::Cancelled)
    );
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_continue_step_lets_later_steps_run_but_the_execution_still_fails() {
    // GIVEN a failing step marked CONTINUE followed by a good step
    let harness = Harness::start().await;
    harness.script(
        "optional.sh",
        r#"echo "optional enrichment unavailable" >&2; exit 1"#,
    );
    harness.script("load.sh", r#"echo "load for $1""#);
    let spec = pipeline(json!([
        script_step("optional", "optional.sh", "CONTINUE"),
        script_step("load", "load.sh", "CANCEL_AND_WAIT"),
    ]));
    // WHEN the execution runs
    let run = harness.run(json!({}), spec).await;
    // THEN the later step ran to completion
    let cluster = &harness.clusters()[0];
    assert_eq!(
        cluster
            .step_named("load [test-execution]")
            .map(|step| step.state),
        Some(StepState::Completed)
    );
    // AND a failed step never ends in Succeeded: StepFailed names the CONTINUE step
    let (error, cause) = run.failure();
    assert_eq!(error, "StepFailed");
    assert!(cause.contains("optional"), "{cause}");
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_dying_during_a_step_fails_with_cluster_failed() {
    // GIVEN a long step
    let harness = Harness::start().await;
    harness.script("long.sh", "sleep 60");
    let spec = pipeline(json!([script_step("long", "long.sh", "CANCEL_AND_WAIT")]));
    // WHEN the cluster dies while the step runs
    let inspector = harness.emr.emr.inspect();
    let faults = harness.emr.emr.faults();
    let killer = tokio::spawn(async move {
        let clusters = inspector
            .wait_until(Duration::from_secs(20), |clusters| {
                clusters.iter().any(|cluster| {
                    cluster
                        .steps
                        .iter()
                        .any(|step| step.state == StepState::Running)
                })
            })
            .await
            .expect("the step starts");
        faults
            .kill_cluster(
                &clusters[0].id,
                "INSTANCE_FAILURE",
                "The master node was lost.",
            )
            .expect("cluster killed");
    });
    let run = harness.run(json!({}), spec).await;
    killer.await.expect("killer task");
    // THEN the execution fails with ClusterFailed carrying EMR's reason
    let (error, cause) = run.failure();
    assert_eq!(error, "ClusterFailed");
    assert!(
        cause.contains("INSTANCE_FAILURE") || cause.contains("master node was lost"),
        "{cause}"
    );
    assert!(run.entered("Execution_Failed"));
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_that_hangs_past_max_run_minutes_times_out_and_the_cluster_is_terminated() {
    // GIVEN a step that never ends, in a pipeline allowed one minute: a real minute, as
    // check-steps judges MaxRunMinutes on the execution's recorded (wall-clock) times; so the
    // clock runs in real time too (scaled, its one-second polls would spin through the
    // history's quota before that minute is up)
    let mut harness = Harness::start().await;
    harness.time_scale = 1.0;
    harness.script("hang.sh", "sleep 600");
    let mut spec = pipeline(json!([script_step("hang", "hang.sh", "CANCEL_AND_WAIT")]));
    spec["MaxRunMinutes"] = json!(1);
    // WHEN the execution runs
    let run = harness.run(json!({}), spec).await;
    // THEN it fails with PipelineTimedOut naming the step, and cleanup terminates the cluster
    let (error, cause) = run.failure();
    assert_eq!(error, "PipelineTimedOut");
    assert!(
        cause.contains("hang [test-execution]") && cause.contains("RUNNING"),
        "{cause}"
    );
    assert!(run.entered("Cleanup_Terminate_Cluster"));
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_bursts_are_absorbed_by_retries() {
    // GIVEN EMR throttles the first calls of every operation the workflow makes
    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    let faults = harness.emr.emr.faults();
    for operation in [
        "ListClusters",
        "RunJobFlow",
        "DescribeCluster",
        "SetTerminationProtection",
        "ListSteps",
        "AddJobFlowSteps",
        "TerminateJobFlows",
    ] {
        faults.throttle_next(operation, 2);
    }
    // WHEN the execution runs
    let run = harness.run(json!({}), spec).await;
    // THEN it succeeds, the throttling having been seen and retried
    run.assert_succeeded();
    assert!(
        run.errors_seen()
            .iter()
            .any(|error| error == "EmrThrottled"),
        "{:?}",
        run.errors_seen()
    );
    assert_eq!(harness.clusters().len(), 1);
    assert_eq!(harness.clusters()[0].steps.len(), 2);
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_create_response_still_makes_one_cluster() {
    // GIVEN EMR creates the cluster but the response never reaches the handler
    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    harness.emr.emr.faults().lose_next_response("RunJobFlow");
    // WHEN the execution runs
    let run = harness.run(json!({}), spec).await;
    // THEN the retried Create_A_Cluster found the cluster instead of making a second one
    run.assert_succeeded();
    assert!(
        !run.errors_seen().is_empty(),
        "the lost response was seen as an error"
    );
    assert_eq!(harness.clusters().len(), 1, "{:?}", harness.clusters());
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_create_response_then_a_bootstrap_failure_never_makes_a_second_cluster() {
    // GIVEN EMR creates the cluster, loses the response, and the cluster fails its bootstrap
    // while Create_A_Cluster backs off before its retry
    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    let faults = harness.emr.emr.faults();
    faults.lose_next_response("RunJobFlow");
    faults.fail_next_bootstrap();
    let inspector = harness.emr.emr.inspect();
    let observer = Arc::new(FnObserver(move |event: &HistoryEvent| {
        let event = serde_json::to_value(event).expect("event serializes");
        if event.pointer("/taskFailedEventDetails/error") == Some(&json!("AwsTransient")) {
            // The back-off outlasts the (shortened) bootstrap: be sure it has ended by the retry.
            let ended = std::thread::spawn({
                let inspector = inspector.clone();
                move || {
                    tokio::runtime::Runtime::new().expect("runtime").block_on(
                        inspector.wait_until(Duration::from_secs(10), |clusters| {
                            clusters.iter().all(|cluster| cluster.state.is_terminated())
                        }),
                    )
                }
            });
            ended.join().expect("waiter").expect("the cluster ends");
        }
    }));
    // WHEN the execution runs
    let run = harness.run_observed(json!({}), spec, observer).await;
    // THEN it fails with ClusterFailed giving EMR's reason, and EMR saw one RunJobFlow only
    let (error, cause) = run.failure();
    assert_eq!(error, "ClusterFailed");
    assert!(cause.contains("BOOTSTRAP_FAILURE"), "{cause}");
    assert_eq!(harness.operation_count("RunJobFlow"), 1);
    assert_eq!(harness.clusters().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_add_steps_response_adds_no_duplicate_step() {
    // GIVEN EMR adds the steps but the response never reaches the handler
    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    harness
        .emr
        .emr
        .faults()
        .lose_next_response("AddJobFlowSteps");
    // WHEN the execution runs
    let run = harness.run(json!({}), spec).await;
    // THEN every step exists once and ran once
    run.assert_succeeded();
    assert!(
        !run.errors_seen().is_empty(),
        "the lost response was seen as an error"
    );
    let cluster = &harness.clusters()[0];
    let names: Vec<&str> = cluster
        .steps
        .iter()
        .map(|step| step.name.as_str())
        .collect();
    assert_eq!(names, ["extract [test-execution]", "load [test-execution]"]);
    harness.assert_no_cluster_left_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_rejected_before_anything_exists() {
    // GIVEN contradictory input: a ClusterId while asking to create a cluster
    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    // WHEN the execution runs
    let run = harness
        .run(
            json!({"CreateCluster": true, "ClusterId": "j-ABCDEFGHIJKLM"}),
            spec,
        )
        .await;
    // THEN it fails with InvalidInput at once, and EMR was never called
    let (error, cause) = run.failure();
    assert_eq!(error, "InvalidInput");
    assert!(cause.contains("ClusterId"), "{cause}");
    assert_eq!(run.states_entered(), ["Validate_Input", "Input_Rejected"]);
    assert!(harness
        .emr
        .emr
        .inspect()
        .operation_counts()
        .values()
        .all(|count| *count == 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_that_fails_after_the_cluster_exists_terminates_the_orphan() {
    // GIVEN EMR creates the cluster but loses the response, and then throttles every lookup
    // until Create_A_Cluster has used up its retries: the cluster id never reaches the state
    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    let faults = harness.emr.emr.faults();
    faults.lose_next_response("RunJobFlow");
    let observer = Arc::new(FnObserver(move |event: &HistoryEvent| {
        let event = serde_json::to_value(event).expect("event serializes");
        if event.pointer("/taskFailedEventDetails/error") == Some(&json!("AwsTransient")) {
            faults.throttle_next("ListClusters", 1_000);
        }
        if event.pointer("/stateEnteredEventDetails/name")
            == Some(&json!("Cleanup_Should_Terminate_Cluster"))
        {
            faults.clear();
        }
    }));
    // WHEN the execution runs
    let run = harness.run_observed(json!({}), spec, observer).await;
    // THEN it fails with the create error, and cleanup finds and terminates the orphan
    let (error, _) = run.failure();
    assert_eq!(error, "EmrThrottled");
    assert!(
        run.entered("Cleanup_Terminate_Orphan_Cluster"),
        "{:?}",
        run.states_entered()
    );
    assert!(!run.entered("Enable_Termination_Protection"));
    assert_eq!(harness.clusters().len(), 1);
    harness.assert_no_cluster_left_alive().await;
}
