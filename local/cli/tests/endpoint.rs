//! `emrflow local run --emr-endpoint URL`: a local EMR in another process sends its events to
//! no one here, so a pipeline that asks for EVENTS is told so once and waits with the timer.

use std::path::Path;
use std::process::Command;

use emrflow_local_emr::{LocalEmr, LocalEmrConfig, Timings};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_asking_for_events_is_told_once_and_polls_an_endpoint_elsewhere() {
    // GIVEN a local EMR of our own and a one-step pipeline that says StepCompletion EVENTS
    let dir = tempfile::tempdir().expect("temp dir");
    let emr =
        LocalEmr::new(LocalEmrConfig::new(dir.path().join("emr")).with_timings(Timings::fast()))
            .spawn("127.0.0.1:0".parse().expect("address"))
            .await
            .expect("local EMR");
    let script = emr.emr.s3_root().join("jobs/quick.sh");
    std::fs::create_dir_all(script.parent().expect("folder")).expect("jobs folder");
    std::fs::write(&script, "#!/usr/bin/env bash\nsleep 1; echo ok\n").expect("script");
    let pipeline = dir.path().join("pipeline.json");
    let spec = json!({
        "Name": "elsewhere", "PollIntervalSeconds": 1, "StepCompletion": "EVENTS",
        "Cluster": {"ReleaseLabel": "emr-7.5.0", "Applications": ["Hadoop"],
            "ServiceRole": "EMR_DefaultRole", "JobFlowRole": "EMR_EC2_DefaultRole",
            "LogUri": "s3://logs/emr/",
            "InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]},
        "Steps": [{"Name": "quick", "Type": "Script", "Script": "s3://jobs/quick.sh"}]
    });
    std::fs::write(&pipeline, spec.to_string()).expect("pipeline");
    // WHEN it runs against that endpoint
    let output = Command::new(env!("CARGO_BIN_EXE_emrflow"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args(["local", "run", "--json", "--time-scale", "0.1"])
        .arg("--pipeline")
        .arg(&pipeline)
        .arg("--root")
        .arg(dir.path())
        .args(["--emr-endpoint", &emr.endpoint_url()])
        .env("NO_COLOR", "1")
        .output()
        .expect("emrflow runs");
    // THEN it succeeds, having said once that it polls
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stderr
            .matches("the pipeline says StepCompletion EVENTS")
            .count(),
        1,
        "{stderr}"
    );
    // AND it never entered the event wait, so no call failed for want of a function
    let history: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let text = history.to_string();
    assert!(!text.contains("Wait_For_Step_Events"), "{text}");
    assert!(!text.contains("ResourceNotFoundException"), "{text}");
    assert!(text.contains("Wait_For_Steps"), "{text}");
}
