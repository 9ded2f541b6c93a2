//! The real emr-events binary against emrflow-lambda's Runtime API emulator, with DynamoDB
//! and Step Functions served by moto: how AWS sees it start, answer and fail.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use emrflow_events::moto::MotoServer;
use emrflow_events::waiter::now_epoch_seconds;
use emrflow_events::{DynamoTokenStore, TokenStore, Waiter};
use emrflow_lambda::emulator::{wait_for_exit, RuntimeApi};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_emr-events");
const WAIT: Duration = Duration::from_secs(30);
const TABLE: &str = "emrflow-tokens";
const CLUSTER: &str = "j-2AXXXXXXGAPLF";

/// The function process as Lambda starts it, with `extra` environment on top.
fn start(api: &RuntimeApi, extra: &[(&str, String)]) -> Child {
    Command::new(BINARY)
        .env_clear()
        .envs(api.function_environment("emr-events"))
        .envs(extra.iter().map(|(key, value)| (*key, value.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("the emr-events binary does not start: {error}"))
}

/// Stops the function process when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn step_event(step_id: &str, state: &str) -> Value {
    json!({
        "version": "0", "id": "4c4b5a3e-0000-1111-2222-333344445555",
        "detail-type": "EMR Step Status Change", "source": "aws.emr",
        "account": "123456789012", "time": "2026-11-22T06:40:12Z", "region": "us-east-1",
        "resources": [],
        "detail": {"severity": "INFO", "actionOnFailure": "CONTINUE", "stepId": step_id,
                   "name": "curate", "clusterId": CLUSTER, "state": state,
                   "message": "Step s-… in Amazon EMR cluster j-… is done."}
    })
}

#[tokio::test]
async fn a_missing_token_table_is_an_init_error_named_invalid_input() {
    // GIVEN a deployment without EMRFLOW_TOKEN_TABLE
    let api = RuntimeApi::start().await.unwrap();
    let mut function = start(&api, &[]);
    // WHEN the function starts
    let status = wait_for_exit(&mut function, WAIT).await;
    // THEN it reported InvalidInput naming the variable to /runtime/init/error, never asked
    // for an invocation, and ended
    let error = api.init_error().expect("an init error was reported");
    assert_eq!(error.error_type, "InvalidInput");
    assert!(
        error.error_message.contains("EMRFLOW_TOKEN_TABLE"),
        "{error:?}"
    );
    assert!(api.first_poll(Duration::from_millis(10)).await.is_none());
    assert!(status.is_some_and(|status| !status.success()), "{status:?}");
}

#[tokio::test]
async fn the_binary_wakes_the_waiting_execution_through_dynamodb_and_step_functions() {
    // GIVEN moto as DynamoDB (with the token table) and as Step Functions, and an execution
    // waiting for step s-1
    let moto = MotoServer::start()
        .await
        .unwrap_or_else(|problem| panic!("{problem}"));
    moto.create_token_table(TABLE)
        .await
        .unwrap_or_else(|problem| panic!("{problem}"));
    let store =
        DynamoTokenStore::with_endpoint_url(moto.dynamodb_client(), TABLE, &moto.endpoint_url());
    let waiter = Waiter {
        waits_on: CLUSTER.into(),
        waiter: "daily-2026-11-21".into(),
        task_token: "AQCEAAAAKgAAAAMAAAAA".into(),
        step_ids: vec!["s-1".into()],
        expires_at: now_epoch_seconds() + 3_600,
    };
    store.put(&waiter).await.unwrap();
    // AND the function started as Lambda would, pointed at moto
    let api = RuntimeApi::start().await.unwrap();
    let _function = Running(start(
        &api,
        &[
            ("EMRFLOW_TOKEN_TABLE", TABLE.to_string()),
            ("AWS_ENDPOINT_URL_DYNAMODB", moto.endpoint_url()),
            ("AWS_ENDPOINT_URL_SFN", moto.endpoint_url()),
        ],
    ));
    // WHEN EventBridge delivers a RUNNING event, s-1's COMPLETED event, and a malformed one
    let running = api.invoke(step_event("s-1", "RUNNING"), WAIT).await;
    let completed = api.invoke(step_event("s-1", "COMPLETED"), WAIT).await;
    let malformed = api
        .invoke(json!({"detail-type": "EMR Step Status Change"}), WAIT)
        .await;
    // THEN it started without an init error; RUNNING is ignored; COMPLETED wakes the
    // execution and deletes its record; the malformed event is InvalidInput
    assert!(api.init_error().is_none(), "{:?}", api.init_error());
    let running = running.expect("an answer").expect("RUNNING is no error");
    assert!(
        running["Ignored"]
            .as_str()
            .is_some_and(|why| why.contains("RUNNING")),
        "{running}"
    );
    let completed = completed.expect("an answer").expect("the wake succeeds");
    assert_eq!(
        completed["Woken"],
        json!(["daily-2026-11-21"]),
        "{completed}"
    );
    assert!(store.waiters_of(CLUSTER).await.unwrap().is_empty());
    let error = malformed
        .expect("an answer")
        .expect_err("a malformed event fails");
    assert_eq!(error.error_type, "InvalidInput", "{error:?}");
}
