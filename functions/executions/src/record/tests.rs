use serde_json::json;

use super::*;
use crate::fixtures::{
    check_completed, check_running, cluster, description, six_am, summary, History, TaskFamily,
};
use crate::port::ExecutionStatus;

fn aborted_while_running(family: TaskFamily) -> ExecutionRecord {
    let input = json!({"ProcessingDate": "2026-11-21"});
    let events = History::new(six_am(), &input, family)
        .task(
            VALIDATE_INPUT,
            "validate-input",
            &summary("daily-1", true, true, None),
        )
        .pass("Should_Create_Cluster", "Choice")
        .task(
            CREATE_A_CLUSTER,
            "ensure-cluster",
            &cluster("j-1", true, false),
        )
        .task(
            CHECK_STEPS,
            "check-steps",
            &check_running(&["curate"], &["s-2"]),
        )
        .pass("Wait_For_Steps", "Wait")
        .task(
            CHECK_STEPS,
            "check-steps",
            &check_running(&["curate"], &["s-2"]),
        )
        .aborted("Stopped", "stopped from the console");
    ExecutionRecord::from_history(
        description("daily-1", ExecutionStatus::Aborted, six_am(), &input),
        events,
    )
}

#[test]
fn the_same_facts_are_read_from_local_and_aws_histories() {
    // GIVEN the same aborted run in the local runner's events and in AWS's Lambda events
    for family in [TaskFamily::Task, TaskFamily::Lambda] {
        // WHEN each is read
        let record = aborted_while_running(family);
        // THEN the summary, the cluster and the last look are there
        let summary = record.summary.as_ref().expect("validate-input's summary");
        assert!(summary.create_cluster && summary.terminate_cluster);
        assert_eq!(record.cluster_id(), Some("j-1"));
        let cluster = record.cluster.as_ref().expect("the cluster");
        assert!(cluster.created && !cluster.termination_protected);
        assert_eq!(
            record
                .last_check
                .as_ref()
                .map(|check| check.running.clone()),
            Some(vec!["curate".to_string()])
        );
        // AND Check_Steps counts its two visits, and nothing was left in flight
        let check = record.states.iter().find(|s| s.name == CHECK_STEPS);
        assert_eq!(check.map(|s| s.visits), Some(2));
        assert_eq!(record.task_in_flight, None);
        assert!(record.unreadable.is_empty(), "{:?}", record.unreadable);
        assert_eq!(record.processing_date().as_deref(), Some("2026-11-21"));
        // AND the stop's error and cause are the failure
        let failure = record.failure().expect("a failure");
        assert_eq!(failure.error.as_deref(), Some("Stopped"));
        assert_eq!(failure.cause.as_deref(), Some("stopped from the console"));
    }
}

#[test]
fn a_task_stopped_before_its_function_answered_is_in_flight() {
    // GIVEN a run stopped while ensure-cluster was being called
    let input = json!({});
    let events = History::new(six_am(), &input, TaskFamily::Lambda)
        .task(
            VALIDATE_INPUT,
            "validate-input",
            &summary("daily-1", true, true, None),
        )
        .in_flight(CREATE_A_CLUSTER, "ensure-cluster")
        .aborted("", "");
    // WHEN read
    let record = ExecutionRecord::from_history(
        description("daily-1", ExecutionStatus::Aborted, six_am(), &input),
        events,
    );
    // THEN the Task is in flight, no cluster is known, and the state is still open
    assert_eq!(record.task_in_flight.as_deref(), Some(CREATE_A_CLUSTER));
    assert!(record.cluster.is_none());
    assert_eq!(
        record.events.iter().rev().find_map(entered_state),
        Some(CREATE_A_CLUSTER)
    );
    assert!(record
        .states
        .iter()
        .any(|s| s.name == CREATE_A_CLUSTER && s.open));
    // AND an abort without error or cause has no failure to show
    assert_eq!(record.failure(), None);
}

#[test]
fn a_finished_run_has_every_step_report_and_a_result_of_another_shape_is_named() {
    // GIVEN a run whose last look saw both steps end, and a validate-input result of an
    // unknown shape
    let input = json!({"ProcessingDate": "2026-11-20"});
    let events = History::new(six_am(), &input, TaskFamily::Task)
        .task(
            VALIDATE_INPUT,
            "validate-input",
            &json!({"Unexpected": true}),
        )
        .task(
            CREATE_A_CLUSTER,
            "ensure-cluster",
            &cluster("j-1", true, false),
        )
        .task(
            CHECK_STEPS,
            "check-steps",
            &check_completed(
                "j-1",
                &[
                    ("validate", "s-1", "COMPLETED"),
                    ("curate", "s-2", "FAILED"),
                ],
            ),
        )
        .failed("StepFailed", "{\"errorMessage\":\"step 'curate' failed\"}");
    // WHEN read
    let record = ExecutionRecord::from_history(
        description("daily-1", ExecutionStatus::Failed, six_am(), &input),
        events,
    );
    // THEN the steps come from the report, with their log locations
    let steps = record.final_steps().expect("final steps");
    assert_eq!(steps.len(), 2);
    assert_eq!(
        steps[1]
            .failed_attempt()
            .and_then(|a| a.log_location.clone()),
        Some("s3://logs/emr/j-1/steps/s-2/".to_string())
    );
    // AND the unreadable summary is named, and the date falls back to the input's
    assert!(record.summary.is_none());
    assert!(
        record.unreadable[0].starts_with("the result of Validate_Input could not be read"),
        "{:?}",
        record.unreadable
    );
    assert_eq!(record.processing_date().as_deref(), Some("2026-11-20"));
    assert_eq!(
        record.failure().and_then(|f| f.cause),
        Some("step 'curate' failed".into())
    );
}

#[test]
fn the_states_the_record_reads_are_tasks_of_the_real_definition() {
    // GIVEN the deployed definition
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/emrflow.asl.json"
    );
    let text = std::fs::read_to_string(path).expect("the definition");
    let definition: Value = serde_json::from_str(&text).expect("JSON");
    // WHEN the states whose results the record reads are looked up
    for (state, resource) in [
        (VALIDATE_INPUT, "${ValidateInputFunctionArn}"),
        (CREATE_A_CLUSTER, "${EnsureClusterFunctionArn}"),
        (CHECK_EXISTING_CLUSTER, "${EnsureClusterFunctionArn}"),
        (CHECK_STEPS, "${CheckStepsFunctionArn}"),
    ] {
        // THEN each is a Task calling the handler whose result type the record parses
        let found = &definition["States"][state];
        assert_eq!(found["Type"], "Task", "{state}");
        assert_eq!(found["Resource"], resource, "{state}");
    }
}
