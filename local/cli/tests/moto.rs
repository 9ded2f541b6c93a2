//! `emrflow runs`, `show`, `watch` and `logs` against a real peer of the AWS APIs: moto's server as
//! Step Functions (running the real definition, the handlers' answers queued), EMR and S3.
//! The commands use the production wiring (`Backend::aws`) with moto as the endpoint.
//!
//! What moto 5.2.5 does not offer, and where it is covered instead: GetExecutionHistory is
//! one page (its pagination: functions/executions/tests/sfn_requests.rs, with
//! aws-smithy-mocks); StopExecution answers no stopDate; its EMR has no CancelSteps (the reaper's cancel: aws-smithy-mocks
//! and the local EMR path tests).

use std::io::Write;
use std::path::PathBuf;

use aws_config::SdkConfig;
use emrflow::operate::{
    logs, runs, show, watch, Backend, LogsArgs, RunsArgs, ShowArgs, Target, WatchArgs,
};
use emrflow_events::moto::MotoServer;
use emrflow_executions::fixtures::moto::{
    emr_cluster, emr_step, sdk_config, MotoStateMachine, Until,
};
use emrflow_executions::fixtures::{
    check_completed, check_running, cluster, json_of, start_go, summary,
};
use flate2::write::GzEncoder;
use serde_json::{json, Value};

fn target(json: bool) -> Target {
    Target {
        local: false,
        root: PathBuf::from(".local"),
        state_machine: None,
        stack: "emrflow".into(),
        region: None,
        profile: None,
        json,
    }
}

/// What the handlers answer, in the order the definition calls them, up to `check`.
fn answers(execution: &str, cluster_id: &str, check: Value, finished: bool) -> Vec<Value> {
    let mut results = vec![
        json_of(&summary(execution, true, true, None)),
        start_go(),
        json_of(&cluster(cluster_id, true, false)),
        json!({"ClusterId": cluster_id, "Protected": true, "Previous": false}),
        json!({"ClusterId": cluster_id, "StepIds": ["s-1", "s-2"]}),
        check,
    ];
    if finished {
        results.push(json!({"ClusterId": cluster_id, "Protected": false, "Previous": true}));
        results.push(json!({"ClusterId": cluster_id, "Terminated": true, "State": "TERMINATING", "Note": "terminated"}));
    }
    results
}

/// `emrflow logs EXECUTION --step curate`.
fn curate_stderr(execution: &str) -> LogsArgs {
    LogsArgs {
        execution: execution.into(),
        step: Some("curate".into()),
        stream: emrflow::operate::logs::Stream::Stderr,
        attempt: None,
        tail: None,
        target: target(false),
    }
}

async fn put_gzipped_log(config: &SdkConfig, key: &str, lines: usize) {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    );
    let _ = s3.create_bucket().bucket("logs").send().await;
    let mut gzip = GzEncoder::new(Vec::new(), flate2::Compression::default());
    for line in 1..=lines {
        writeln!(gzip, "curate: line {line}").expect("gzip");
    }
    s3.put_object()
        .bucket("logs")
        .key(key)
        .body(gzip.finish().expect("gzip").into())
        .send()
        .await
        .expect("PutObject");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_show_and_logs_read_what_moto_holds() {
    // GIVEN moto running the real definition: one execution that succeeded on j-DONE, whose
    // curate step's stderr.gz is in S3, and one stopped while it waited for its steps
    let moto = MotoServer::start().await.expect("moto's server");
    let config = sdk_config(&moto.endpoint_url());
    let machine = MotoStateMachine::create(aws_sdk_sfn::Client::new(&config), &moto.endpoint_url())
        .await
        .expect("state machine");
    put_gzipped_log(&config, "emr/j-DONE/steps/s-2/stderr.gz", 60).await;
    let done = check_completed(
        "j-DONE",
        &[
            ("validate", "s-1", "COMPLETED"),
            ("curate", "s-2", "COMPLETED"),
        ],
    );
    machine
        .run(
            "daily-2026-11-21",
            &json!({"ProcessingDate": "2026-11-21"}),
            &answers("daily-2026-11-21", "j-DONE", json_of(&done), true),
            Until::End,
        )
        .await
        .expect("the first execution");
    let emr = aws_sdk_emr::Client::new(&config);
    let stopped_cluster = emr_cluster(
        &emr,
        "emrflow-orders-daily-2026-11-22",
        Some("daily-2026-11-22"),
        true,
    )
    .await
    .expect("a cluster");
    emr_step(&emr, &stopped_cluster, "curate [daily-2026-11-22]")
        .await
        .expect("its step");
    let waiting = check_running(&["curate"], &["s-9"]);
    machine
        .run(
            "daily-2026-11-22",
            &json!({}),
            &answers(
                "daily-2026-11-22",
                &stopped_cluster,
                json_of(&waiting),
                false,
            ),
            Until::StoppedWhileWaiting,
        )
        .await
        .expect("the second execution");
    let backend = Backend::aws(&config, machine.arn.clone());

    // WHEN the executions are listed
    let listed = runs(
        &backend,
        &RunsArgs {
            limit: 10,
            status: None,
            pipeline: None,
            target: target(true),
        },
    )
    .await
    .expect("runs");
    // THEN both, newest first, with their status, date and cluster
    let rows: Value = serde_json::from_str(&listed.stdout).expect("JSON");
    assert_eq!(rows[0]["name"], "daily-2026-11-22");
    assert_eq!(rows[0]["status"], "ABORTED");
    assert_eq!(rows[0]["clusterId"], stopped_cluster.as_str());
    assert_eq!(rows[1]["status"], "SUCCEEDED");
    assert_eq!(rows[1]["processingDate"], "2026-11-21");
    assert_eq!(rows[1]["clusterId"], "j-DONE");
    assert_eq!(rows[1]["pipeline"], "orders");

    // WHEN only one pipeline's are asked for THEN each execution is read
    // (DescribeExecution; its input names none, so Validate_Input's answer) and assigned
    for (pipeline, expected) in [("orders", 2), ("clicks", 0)] {
        let listed = runs(
            &backend,
            &RunsArgs {
                limit: 10,
                status: None,
                pipeline: Some(pipeline.into()),
                target: target(true),
            },
        )
        .await
        .expect("runs --pipeline");
        let rows: Value = serde_json::from_str(&listed.stdout).expect("JSON");
        assert_eq!(
            rows.as_array().map(Vec::len),
            Some(expected),
            "{pipeline}: {rows}"
        );
    }

    // WHEN the succeeded one is shown THEN its states and its steps' log folders
    let shown = show(
        &backend,
        &ShowArgs {
            execution: "daily-2026-11-21".into(),
            target: target(false),
        },
    )
    .await
    .expect("show");
    assert!(shown.stdout.contains("Wrapping_Up"), "{}", shown.stdout);
    assert!(
        shown.stdout.contains("s3://logs/emr/j-DONE/steps/s-2/"),
        "{}",
        shown.stdout
    );
    assert!(
        shown
            .stdout
            .contains("console    https://us-east-1.console.aws.amazon.com/"),
        "{}",
        shown.stdout
    );
    // AND the stopped one shows its step as moto's EMR lists it
    let stopped = show(
        &backend,
        &ShowArgs {
            execution: "daily-2026-11-22".into(),
            target: target(true),
        },
    )
    .await
    .expect("show");
    let view: Value = serde_json::from_str(&stopped.stdout).expect("JSON");
    assert_eq!(view["execution"]["status"], "ABORTED");
    assert_eq!(view["steps"][0]["Name"], "curate");
    assert_eq!(view["steps"][0]["State"], "RUNNING");

    // WHEN the succeeded one is watched (it has ended: one look)
    let mut watched = Vec::new();
    let ended = watch(
        &backend,
        &WatchArgs {
            execution: "daily-2026-11-21".into(),
            interval: Some(0.1),
            target: target(false),
        },
        &mut watched,
    )
    .await
    .expect("watch");
    // THEN every state's progress line, first to last, and the status it ended with
    let watched = String::from_utf8(watched).expect("text");
    let at = |line: &str| {
        watched
            .find(line)
            .unwrap_or_else(|| panic!("{line}: {watched}"))
    };
    assert!(at("▶ Validate_Input") < at("▶ Wrapping_Up"), "{watched}");
    assert!(ended.stdout.contains("SUCCEEDED"), "{}", ended.stdout);

    // WHEN curate's stderr is asked for THEN the gzipped log, read whole
    let read = logs(&backend, &curate_stderr("daily-2026-11-21"))
        .await
        .expect("logs");
    assert!(read.stdout.contains("(60 lines)"), "{}", read.stdout);
    assert!(
        read.stdout.trim_end().ends_with("curate: line 60"),
        "{}",
        read.stdout
    );
    // AND a log S3 does not have yet is said so
    let missing = logs(&backend, &curate_stderr("daily-2026-11-22"))
        .await
        .expect("logs");
    assert!(
        missing.stdout.contains("about every five minutes"),
        "{}",
        missing.stdout
    );
}
