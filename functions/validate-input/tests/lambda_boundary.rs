//! The real validate-input binary against a Lambda Runtime API emulator: how AWS sees it start,
//! answer and fail.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use emrflow_lambda::emulator::{wait_for_exit, RuntimeApi};
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_validate-input");
const WAIT: Duration = Duration::from_secs(30);

fn pipelines_folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../pipelines")
}

/// The function process as Lambda starts it (dummy credentials: validate-input calls no AWS API).
fn start(api: &RuntimeApi, pipelines_folder: &str) -> Child {
    Command::new(BINARY)
        .env_clear()
        .envs(api.function_environment("validate-input"))
        .env("EMRFLOW_PIPELINES_DIR", pipelines_folder)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the validate-input binary starts")
}

#[tokio::test]
async fn a_pipelines_folder_that_cannot_be_read_is_an_init_error_with_a_contract_name() {
    // GIVEN a deployment whose pipelines folder is missing
    let api = RuntimeApi::start().await.unwrap();
    let mut function = start(&api, "/nonexistent/pipelines");
    // WHEN the function starts
    let status = wait_for_exit(&mut function, WAIT).await;
    // THEN it reported the failure to /runtime/init/error as InvalidInput naming the file,
    // never reached /invocation/next, and ended (AWS shows the reported error, not an exit)
    let error = api.init_error().expect("an init error was reported");
    assert_eq!(error.error_type, "InvalidInput");
    assert!(
        error.error_message.contains("/nonexistent/pipelines"),
        "{error:?}"
    );
    assert!(api.first_poll(Duration::from_millis(10)).await.is_none());
    assert!(status.is_some_and(|status| !status.success()), "{status:?}");
}

#[tokio::test]
async fn invocations_answer_with_the_output_or_the_contract_error_name() {
    // GIVEN the function started with the repository's pipelines folder
    let api = RuntimeApi::start().await.unwrap();
    let mut function = start(&api, pipelines_folder().to_str().unwrap());
    // WHEN it is invoked with a good and then a bad execution input
    let good = api
        .invoke(
            json!({"Input": {"PipelineName": "daily-etl", "ProcessingDate": "2026-11-21"}, "ExecutionName": "run-1",
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
    assert_eq!(output["PipelineName"], "daily-etl");
    let error = bad.expect_err("validate-input rejects the key");
    assert_eq!(error.error_type, "InvalidInput");
    assert!(error.error_message.contains("CreateClusters"), "{error:?}");
}

#[tokio::test]
async fn two_pipelines_with_one_name_fail_the_cold_start_naming_both_files() {
    // GIVEN a pipelines folder where a copy of the sample keeps its Name
    let folder = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string(pipelines_folder().join("daily-etl.json")).unwrap();
    std::fs::write(folder.path().join("a.json"), &sample).unwrap();
    std::fs::write(folder.path().join("b.json"), &sample).unwrap();
    let api = RuntimeApi::start().await.unwrap();
    // WHEN the function starts on it
    let mut function = start(&api, folder.path().to_str().unwrap());
    let status = wait_for_exit(&mut function, WAIT).await;
    // THEN the init error is InvalidInput naming the second file, the key and the first file
    let error = api.init_error().expect("an init error was reported");
    assert_eq!(error.error_type, "InvalidInput");
    assert!(
        error
            .error_message
            .contains("b.json: pipeline spec: key 'Name': 'daily-etl'"),
        "{error:?}"
    );
    assert!(error.error_message.contains("a.json"), "{error:?}");
    assert!(status.is_some_and(|status| !status.success()), "{status:?}");
}
