//! check-steps: the verdict of one look (running, completed, failed, cancelled, interrupted,
//! cluster gone, timed out), the report a failed run carries, and how long the next wait is.

use crate::*;

#[tokio::test]
async fn check_steps_running_while_steps_pend_with_slower_polling_during_startup() {
    // GIVEN a STARTING cluster with pending steps
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    // WHEN checked
    let out = check(&handlers, &cluster_id).await.unwrap();
    // THEN RUNNING with every step outstanding, no report yet, and a longer wait while starting
    assert_eq!(out["Verdict"], "RUNNING");
    assert_eq!(out["ClusterState"], "STARTING");
    assert_eq!(out["NextCheckSeconds"], 120);
    assert_eq!(out["Outstanding"], json!(ids));
    assert_eq!(out.get("Steps"), None);
    // AND steps EMR has queued (PENDING) are counted as queued, not said to be running
    assert_eq!(out["Running"], json!([]));
    assert_eq!(out["Progress"]["Running"], 0);
    assert_eq!(out["Progress"]["Queued"], 3);
    // AND WHEN the first one runs THEN it alone is running
    fake.set_step(&cluster_id, &id(&ids, 0), "RUNNING", None);
    let out = check(&handlers, &cluster_id).await.unwrap();
    assert_eq!(out["Running"], json!(["ingest"]));
    assert_eq!(out["Progress"]["Running"], 1);
    assert_eq!(out["Progress"]["Queued"], 2);
    // AND WHEN the cluster runs and the pipeline polls every 45 s THEN that is used as is
    fake.update_cluster(&cluster_id, |c| c.state = ClusterState::Running);
    let out = check_with(
        &handlers,
        &cluster_id,
        execution_with_pipeline(|p| p["PollIntervalSeconds"] = json!(45)),
    )
    .await
    .unwrap();
    assert_eq!(out["NextCheckSeconds"], 45);
}

#[tokio::test]
async fn check_steps_completed_when_every_step_completed() {
    // GIVEN all steps completed
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| c.state = ClusterState::Waiting);
    for i in 0..3 {
        fake.set_step(&cluster_id, &id(&ids, i), "COMPLETED", None);
    }
    // WHEN checked THEN COMPLETED, every step reported with its attempt, timeline and logs
    let out = check(&handlers, &cluster_id).await.unwrap();
    assert_eq!(out["Verdict"], "COMPLETED");
    let steps = out["Steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[2]["Name"], "export");
    assert_eq!(steps[2]["State"], "COMPLETED");
    assert_eq!(steps[2]["ActionOnFailure"], "TERMINATE_CLUSTER");
    let attempt = &steps[2]["Attempts"][0];
    assert_eq!(attempt["StepId"], id(&ids, 2));
    assert_eq!(attempt["EndedAt"], "2026-11-22T01:05:00Z");
    assert_eq!(attempt["FailureDetails"], Value::Null);
    assert_eq!(
        steps[1]["Attempts"][0]["LogLocation"],
        format!(
            "s3://my-bucket/emr-logs/daily-etl/{cluster_id}/steps/{}/",
            id(&ids, 1)
        )
    );
}

#[tokio::test]
async fn check_steps_failed_step_is_step_failed_with_failure_details() {
    // GIVEN step 2 failed (others cancelled by CANCEL_AND_WAIT)
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| c.state = ClusterState::Waiting);
    fake.set_step(&cluster_id, &id(&ids, 0), "COMPLETED", None);
    fake.set_step(
        &cluster_id,
        &id(&ids, 1),
        "FAILED",
        Some(FailureDetails {
            reason: Some("Unknown Error".into()),
            message: Some("hive exited with 1".into()),
            log_file: Some("s3://my-bucket/emr-logs/x/stderr.gz".into()),
        }),
    );
    fake.set_step(&cluster_id, &id(&ids, 2), "CANCELLED", None);
    // WHEN checked
    let error = failure(check(&handlers, &cluster_id).await);
    // THEN StepFailed naming cluster, step, details and what happened to the others
    assert_eq!(error.name(), ErrorName::StepFailed);
    let message = error.to_string();
    for expected in [
        cluster_id.as_str(),
        "transform [",
        &id(&ids, 1),
        "Unknown Error",
        "hive exited with 1",
        "s3://my-bucket/emr-logs/x/stderr.gz",
        "CANCELLED",
    ] {
        assert!(
            message.contains(expected),
            "{expected} missing in {message}"
        );
    }
}

#[tokio::test]
async fn check_steps_cancelled_step_is_step_cancelled() {
    // GIVEN a step cancelled by a person, the others completed
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| c.state = ClusterState::Waiting);
    set_steps(
        &fake,
        &cluster_id,
        &ids,
        &["COMPLETED", "CANCELLED", "CANCELLED"],
    );
    // WHEN checked THEN StepCancelled naming the first cancelled step
    let error = failure(check(&handlers, &cluster_id).await);
    assert_eq!(error.name(), ErrorName::StepCancelled);
    assert!(error.to_string().contains(&id(&ids, 1)), "{error}");
}

#[tokio::test]
async fn check_steps_interrupted_step_is_step_interrupted() {
    // GIVEN a step interrupted (e.g. its node was lost), the others completed
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| c.state = ClusterState::Waiting);
    set_steps(
        &fake,
        &cluster_id,
        &ids,
        &["COMPLETED", "INTERRUPTED", "COMPLETED"],
    );
    // WHEN checked THEN StepInterrupted
    let error = failure(check(&handlers, &cluster_id).await);
    assert_eq!(error.name(), ErrorName::StepInterrupted);
    assert!(error.to_string().contains("transform ["), "{error}");
}

#[tokio::test]
async fn check_steps_cluster_dying_before_completion_is_cluster_failed() {
    // GIVEN the cluster terminated with errors while steps were still pending
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| {
        c.state = ClusterState::TerminatedWithErrors;
        c.state_change_reason_code = Some("INSTANCE_FAILURE".into());
        c.state_change_reason_message = Some("Master instance failed".into());
    });
    fake.set_step(&cluster_id, &id(&ids, 0), "COMPLETED", None);
    // WHEN checked THEN ClusterFailed with EMR's reason code and message
    let error = failure(check(&handlers, &cluster_id).await);
    assert_eq!(error.name(), ErrorName::ClusterFailed);
    let message = error.to_string();
    assert!(
        message.contains("INSTANCE_FAILURE") && message.contains("Master instance failed"),
        "{message}"
    );
    assert!(message.contains(&id(&ids, 1)), "{message}");
}

#[tokio::test]
async fn check_steps_steps_interrupted_by_a_dead_cluster_report_the_cluster() {
    // GIVEN the cluster died: EMR interrupted the running step and cancelled the pending one
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| {
        c.state = ClusterState::TerminatedWithErrors;
        c.state_change_reason_code = Some("INSTANCE_FAILURE".into());
        c.state_change_reason_message = Some("Master instance failed".into());
    });
    set_steps(
        &fake,
        &cluster_id,
        &ids,
        &["COMPLETED", "INTERRUPTED", "CANCELLED"],
    );
    // WHEN checked
    let error = failure(check(&handlers, &cluster_id).await);
    // THEN the cause reported is the cluster, not its interrupted step
    assert_eq!(error.name(), ErrorName::ClusterFailed);
    let message = error.to_string();
    assert!(message.contains("INSTANCE_FAILURE"), "{message}");
    assert!(
        message.contains("INTERRUPTED") && message.contains("CANCELLED"),
        "{message}"
    );
}

/// check-steps at `check_time` of an execution started at 00:30 and allowed 60 minutes.
async fn check_at(
    handlers: &emrflow_core::Dispatch,
    cluster_id: &str,
    check_time: &str,
) -> Result<Value, emrflow_core::EmrflowError> {
    handlers
        .invoke(
            Function::CheckSteps,
            json!({"ClusterId": cluster_id, "CheckTime": check_time,
                   "Execution": execution_with_pipeline(|p| p["MaxRunMinutes"] = json!(60))}),
        )
        .await
}

#[tokio::test]
async fn check_steps_past_max_run_minutes_is_pipeline_timed_out() {
    // GIVEN a step still running 61 minutes into a run allowed 60
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    set_steps(&fake, &cluster_id, &ids, &["COMPLETED", "RUNNING"]);
    // WHEN checked
    let error = failure(check_at(&handlers, &cluster_id, "2026-11-22T01:31:00Z").await);
    // THEN PipelineTimedOut names the limit and the step still running
    assert_eq!(error.name(), ErrorName::PipelineTimedOut);
    let message = error.to_string();
    assert!(
        message.contains("61 minutes") && message.contains("MaxRunMinutes of 60"),
        "{message}"
    );
    assert!(
        message.contains(&id(&ids, 1)) && message.contains("RUNNING"),
        "{message}"
    );
}

#[tokio::test]
async fn a_pipeline_timed_out_after_one_minute_says_so_in_the_singular() {
    // GIVEN a run allowed 1 minute, its step still running 61 seconds after the start
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    set_steps(&fake, &cluster_id, &ids, &["COMPLETED", "RUNNING"]);
    // WHEN checked
    let out = handlers
        .invoke(
            Function::CheckSteps,
            json!({"ClusterId": cluster_id, "CheckTime": "2026-11-22T00:31:01Z",
                   "Execution": execution_with_pipeline(|p| p["MaxRunMinutes"] = json!(1))}),
        )
        .await
        .expect("a verdict");
    // THEN the run failed, and the time it ran is said in words, nouns agreeing with numbers
    assert_eq!(out["Verdict"], "FAILED");
    assert_eq!(out["Error"], "PipelineTimedOut");
    let cause = out["Cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains("has run 1 minute 1 second on cluster"),
        "{cause}"
    );
}

#[tokio::test]
async fn check_steps_within_max_run_minutes_keeps_waiting() {
    // GIVEN the same running step 59 minutes in WHEN checked THEN still RUNNING
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.set_step(&cluster_id, &id(&ids, 0), "RUNNING", None);
    let report = check_at(&handlers, &cluster_id, "2026-11-22T01:29:00Z")
        .await
        .unwrap();
    assert_eq!(report["Verdict"], "RUNNING");
}

#[tokio::test]
async fn check_steps_all_completed_after_the_limit_still_completes() {
    // GIVEN every step completed, checked after the limit WHEN checked THEN COMPLETED
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    for index in 0..3 {
        fake.set_step(&cluster_id, &id(&ids, index), "COMPLETED", None);
    }
    let report = check_at(&handlers, &cluster_id, "2026-11-23T06:00:00Z")
        .await
        .unwrap();
    assert_eq!(report["Verdict"], "COMPLETED");
}

#[tokio::test]
async fn check_steps_with_an_unreadable_check_time_is_invalid_input_before_any_call() {
    let fake = FakeEmr::new();
    let (handlers, cluster_id, _) = cluster_with_steps(&fake).await;
    let calls_before = fake.calls().len();
    let error = check_at(&handlers, &cluster_id, "yesterday")
        .await
        .unwrap_err();
    assert_eq!(error.name(), ErrorName::InvalidInput);
    assert!(error.to_string().contains("CheckTime"), "{error}");
    assert_eq!(fake.calls().len(), calls_before);
}

#[tokio::test]
async fn check_steps_ignores_another_executions_steps_on_the_same_cluster() {
    // GIVEN our steps completed and another execution's copy of a step failed on the cluster
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    for index in 0..3 {
        fake.set_step(&cluster_id, &id(&ids, index), "COMPLETED", None);
    }
    fake.state().clusters[0]
        .steps
        .push(emrflow_core::emr::StepSummary {
            id: "s-THEIRS".into(),
            name: "ingest [someone-else]".into(),
            state: StepState::Failed,
            action_on_failure: None,
            created_at: Some("2026-11-22T01:00:00Z".into()),
            started_at: None,
            ended_at: None,
            failure_details: None,
        });
    // WHEN checked THEN only ours count: COMPLETED, three steps reported
    let out = check(&handlers, &cluster_id).await.unwrap();
    assert_eq!(out["Verdict"], "COMPLETED");
    assert_eq!(out["Steps"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn check_steps_failed_step_on_a_dying_cluster_is_step_failed() {
    // GIVEN a TERMINATE_CLUSTER step failed and the cluster is terminating with a step still pending
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    fake.update_cluster(&cluster_id, |c| {
        c.state = ClusterState::Terminating;
        c.state_change_reason_code = Some("STEP_FAILURE".into());
    });
    fake.set_step(
        &cluster_id,
        &id(&ids, 0),
        "FAILED",
        Some(FailureDetails::default()),
    );
    // WHEN checked THEN the step failure is reported, not just the cluster's end
    let error = failure(check(&handlers, &cluster_id).await);
    assert_eq!(error.name(), ErrorName::StepFailed);
    let message = error.to_string();
    assert!(
        message.contains("STEP_FAILURE") && message.contains("ingest ["),
        "{message}"
    );
}

#[tokio::test]
async fn check_steps_startup_polling_is_capped_but_never_below_the_interval() {
    // GIVEN a STARTING cluster with pending steps
    let fake = FakeEmr::new();
    let (handlers, cluster_id, _) = cluster_with_steps(&fake).await;
    let next = |poll: u32| {
        let handlers = &handlers;
        let cluster_id = &cluster_id;
        async move {
            let execution = execution_with_pipeline(|p| p["PollIntervalSeconds"] = json!(poll));
            check_with(handlers, cluster_id, execution).await.unwrap()["NextCheckSeconds"].clone()
        }
    };
    // WHEN checked with several intervals THEN 4x the interval, capped at 300, never below it
    assert_eq!(next(5).await, 20);
    assert_eq!(next(100).await, 300);
    assert_eq!(next(600).await, 600);
}

/// A graph over the sample's steps: ingest (TimeoutSeconds `timeout`) → transform → export,
/// waking on EMR's events; its handlers judge at `now` (UTC, on the fake's day).
fn timed_graph(
    fake: &std::sync::Arc<FakeEmr>,
    timeout: u32,
    now: &str,
) -> (emrflow_core::Dispatch, Value) {
    let execution = execution_with_pipeline(|p| {
        p["StepCompletion"] = json!("EVENTS");
        p["Steps"][0]["TimeoutSeconds"] = json!(timeout);
        p["Steps"][1]["DependsOn"] = json!(["ingest"]);
        p["Steps"][2]["DependsOn"] = json!(["transform"]);
    });
    let now: chrono::DateTime<chrono::Utc> = now.parse().unwrap();
    let handlers = emrflow_core::Dispatch::with_clock(
        fake.clone(),
        deployment(sample_spec()),
        std::sync::Arc::new(move || now),
    );
    (handlers, execution)
}

/// The graph's first step submitted: (cluster id, ingest's step id).
async fn submit_ingest(
    fake: &std::sync::Arc<FakeEmr>,
    handlers: &emrflow_core::Dispatch,
    execution: &Value,
) -> (String, String) {
    let (_, cluster_id) = created_cluster(fake).await;
    fake.update_cluster(&cluster_id, |c| c.state = ClusterState::Running);
    handlers
        .invoke(
            Function::AddSteps,
            json!({"ClusterId": cluster_id, "Execution": execution}),
        )
        .await
        .unwrap();
    let ingest = fake.cluster(&cluster_id).steps[0].id.clone();
    (cluster_id, ingest)
}

#[tokio::test]
async fn check_steps_failed_run_reports_every_step_with_timed_out_and_skipped_ones() {
    // GIVEN a graph whose first step was cancelled after running its whole TimeoutSeconds
    // (01:00 to 01:05, 300 s), so the two after it can never run
    let fake = FakeEmr::new();
    let (handlers, execution) = timed_graph(&fake, 300, "2026-11-22T01:06:00Z");
    let (cluster_id, ingest) = submit_ingest(&fake, &handlers, &execution).await;
    fake.set_step(&cluster_id, &ingest, "CANCELLED", None);
    // WHEN checked
    let out = check_with(&handlers, &cluster_id, execution).await.unwrap();
    // THEN the verdict is FAILED with the error and cause the execution ends with
    assert_eq!(out["Verdict"], "FAILED");
    assert_eq!(out["Error"], "StepTimedOut");
    let cause = out["Cause"].as_str().unwrap();
    assert!(cause.contains("TimeoutSeconds of 300"), "{cause}");
    // AND every step is reported: the attempt TIMED_OUT (not CANCELLED), the others SKIPPED
    // with the reason
    let steps = out["Steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[0]["State"], "TIMED_OUT");
    assert_eq!(steps[0]["Attempts"][0]["State"], "TIMED_OUT");
    assert_eq!(steps[0]["Attempts"][0]["StepId"], ingest);
    for skipped in &steps[1..] {
        assert_eq!(skipped["State"], "SKIPPED");
        assert_eq!(skipped["Attempts"], json!([]));
        assert!(skipped["SkipReason"].as_str().is_some(), "{skipped}");
    }
    assert!(
        steps[1]["SkipReason"].as_str().unwrap().contains("ingest"),
        "{}",
        steps[1]
    );
}

#[tokio::test]
async fn check_steps_waits_for_events_until_a_running_steps_deadline_not_a_poll() {
    // GIVEN a step with a TimeoutSeconds of 600 running since 01:00, checked at 01:02
    let fake = FakeEmr::new();
    let (handlers, execution) = timed_graph(&fake, 600, "2026-11-22T01:02:00Z");
    let (cluster_id, ingest) = submit_ingest(&fake, &handlers, &execution).await;
    // WHEN it is still PENDING THEN a timer (no event says when it starts running)
    let out = check_with(&handlers, &cluster_id, execution.clone())
        .await
        .unwrap();
    assert_eq!(out["WakeOn"], "TIMER");
    // WHEN it runs THEN the execution waits for EMR's events, at the latest until the step's
    // deadline (01:10: 480 s), not PollIntervalSeconds
    fake.set_step(&cluster_id, &ingest, "RUNNING", None);
    let out = check_with(&handlers, &cluster_id, execution).await.unwrap();
    assert_eq!(out["Verdict"], "RUNNING");
    assert_eq!(out["WakeOn"], "EVENTS");
    assert_eq!(out["NextCheckSeconds"], 480);
}

#[tokio::test]
async fn check_steps_polls_where_no_event_can_wake_the_execution() {
    // GIVEN a pipeline that says EVENTS, served where EMR's events reach no one
    let fake = FakeEmr::new();
    let (_, cluster_id) = created_cluster(&fake).await;
    let handlers =
        emrflow_core::Dispatch::new(fake.clone(), deployment(sample_spec()).without_event_feed());
    let execution = execution_with_pipeline(|p| p["StepCompletion"] = json!("EVENTS"));
    handlers
        .invoke(
            Function::AddSteps,
            json!({"ClusterId": cluster_id, "Execution": execution}),
        )
        .await
        .unwrap();
    fake.update_cluster(&cluster_id, |c| c.state = ClusterState::Running);
    // WHEN checked THEN it waits with the timer, never for events
    let out = check_with(&handlers, &cluster_id, execution).await.unwrap();
    assert_eq!(out["WakeOn"], "TIMER");
}
