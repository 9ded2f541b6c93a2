//! The real validate-input binary against a Lambda Runtime API emulator: how AWS sees it start,
//! answer and fail.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use emrflow_lambda::emulator::{wait_for_exit, RuntimeApi};
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_validate-input");
const WAIT: Duration = Duration::from_secs(30);

fn sample_pipeline() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/pipeline.json")
}

/// The function process as Lambda starts it (dummy credentials: validate-input calls no AWS API).
fn start(api: &RuntimeApi, pipeline_file: &str) -> Child {
    Command::new(BINARY)
        .env_clear()
        .envs(api.function_environment("validate-input"))
        .env("EMRFLOW_PIPELINE_FILE", pipeline_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the validate-input binary starts")
}

#[tokio::test]
async fn a_pipeline_file_that_cannot_be_read_is_an_init_error_with_a_contract_name() {
    // GIVEN a deployment whose pipeline file is missing
    let api = RuntimeApi::start().await.unwrap();
    let mut function = start(&api, "/nonexistent/pipeline.json");
    // WHEN the function starts
    let status = wait_for_exit(&mut function, WAIT).await;
    // THEN it reported the failure to /runtime/init/error as InvalidInput naming the file,
    // never reached /invocation/next, and ended (AWS shows the reported error, not an exit)
    let error = api.init_error().expect("an init error was reported");
    assert_eq!(error.error_type, "InvalidInput");
    assert!(
        error.error_message.contains("/nonexistent/pipeline.json"),
        "{error:?}"
    );
    assert!(api.first_poll(Duration::from_millis(10)).await.is_none());
    assert!(status.is_some_and(|status| !status.success()), "{status:?}");
}

#[tokio::test]
async fn invocations_answer_with_the_output_or_the_contract_error_name() {
    // GIVEN the function started with the sample pipeline
    let api = RuntimeApi::start().await.unwrap();
    let mut function = start(&api, sample_pipeline().to_str().unwrap());
    // WHEN it is invoked with a good and then a bad execution input
    let good = api
        .invoke(
            json!({"Input": {"ProcessingDate": "2026-11-21"}, "ExecutionName": "run-1",
                   "StartTime": "2026-11-22T06:00:00Z"}),
            WAIT,
        )
        .await
        .expect("an answer");
    let bad = api
        .invoke(
            json!({"Input": {"CreateClusters": true}, "ExecutionName": "run-2",
                   "StartTime": "2026-11-22T06:00:00Z"}),
            WAIT,
        )
        .await
        .expect("an answer");
    let _ = function.kill();
    let _ = function.wait();
    // THEN the good one is the normalized input and the bad one InvalidInput naming the key
    let output = good.expect("validate-input succeeds");
    assert_eq!(output["ProcessingDate"], "2026-11-21");
    let error = bad.expect_err("validate-input rejects the key");
    assert_eq!(error.error_type, "InvalidInput");
    assert!(error.error_message.contains("CreateClusters"), "{error:?}");
}
