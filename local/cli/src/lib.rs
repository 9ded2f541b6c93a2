//! The `emrflow` command's library: runs the real state machine definition with the real
//! handler code against a local EMR endpoint, shows runs like the console does, and
//! operates executions on AWS or locally.
//!
//! - this file: the local EMR client, the in-process handler invoker, one local execution,
//!   `emrflow local emr`;
//! - [`local_run`]: `emrflow local run` (recording, Ctrl-C, the reaper, shutdown);
//! - [`definition`]: the definition with local ARNs for its substitutions;
//! - [`operate`]: `start`, `runs`, `show`, `watch`, `logs`, `stop`, one file per command;
//! - [`render`]: the terminal views (progress lines, history table, runs, show).

pub mod definition;
pub mod local_run;
pub mod operate;
pub mod render;

pub use local_run::{finished_record, run_from_cli, CliRun};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_emr::config::retry::RetryConfig;
use aws_sdk_emr::config::{BehaviorVersion, Credentials, Region};
use emrflow_asl::{
    execute, Clock, ExecutionOptions, ExecutionResult, Observer, StateMachine, StopHandle,
    TaskError, TaskInvoker,
};
use emrflow_core::{Handlers, PipelineSpec, SdkEmr};
use emrflow_local_emr::{LocalEmr, LocalEmrConfig};
use serde_json::Value;

use definition::{
    function_of_resource, local_execution_arn, LOCAL_ACCOUNT, LOCAL_REGION, LOCAL_STATE_MACHINE,
};

/// An aws-sdk-emr client for a local endpoint: dummy credentials, nothing leaves the machine.
/// The SDK retries as on AWS (3 attempts) but backs off in milliseconds, not seconds: a local
/// endpoint recovers at once, and a scaled clock would otherwise time the Task out.
pub fn local_emr_client(endpoint_url: &str) -> aws_sdk_emr::Client {
    let config = aws_sdk_emr::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .retry_config(
            RetryConfig::standard().with_initial_backoff(std::time::Duration::from_millis(10)),
        )
        .region(Region::new(LOCAL_REGION))
        .endpoint_url(endpoint_url)
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "emrflow-local",
        ))
        .build();
    aws_sdk_emr::Client::from_conf(config)
}

/// The handlers exactly as the Lambda functions build them, with EMR at `endpoint_url`.
pub fn local_handlers(endpoint_url: &str, default_pipeline: PipelineSpec) -> Handlers {
    Handlers::new(
        Arc::new(SdkEmr::with_endpoint_url(
            local_emr_client(endpoint_url),
            endpoint_url,
        )),
        default_pipeline,
        LOCAL_REGION.to_string(),
    )
}

/// Calls the handler a Task's Resource names, in process, the way Lambda would: an error
/// reaches the state machine as its stable name, with Lambda's JSON error payload as cause.
pub struct HandlerInvoker {
    handlers: Handlers,
}

impl HandlerInvoker {
    pub fn new(handlers: Handlers) -> Self {
        HandlerInvoker { handlers }
    }
}

#[async_trait]
impl TaskInvoker for HandlerInvoker {
    async fn invoke(&self, resource: &str, payload: Value) -> Result<Value, TaskError> {
        let function = function_of_resource(resource).ok_or_else(|| {
            TaskError::new(
                "Lambda.ResourceNotFoundException",
                format!("no local function for the resource {resource}"),
            )
        })?;
        self.handlers
            .invoke(function, payload)
            .await
            .map_err(|error| {
                let lambda = error.lambda_error();
                TaskError::new(lambda.error_type.clone(), lambda.cause_text())
            })
    }
}

/// One execution of the real definition with the real handlers against `endpoint_url`.
pub struct LocalExecution {
    pub machine: StateMachine,
    pub handlers: Handlers,
    pub name: String,
    pub input: Value,
    pub clock: Arc<dyn Clock>,
    pub observer: Arc<dyn Observer>,
}

impl LocalExecution {
    pub async fn run(self) -> ExecutionResult {
        self.run_until_stopped(StopHandle::new()).await
    }

    /// Runs until the end, or until `stop` aborts it (as StopExecution: ABORTED).
    pub async fn run_until_stopped(self, stop: StopHandle) -> ExecutionResult {
        let mut options = ExecutionOptions::new(
            self.name.clone(),
            self.input,
            Arc::new(HandlerInvoker::new(self.handlers)),
        );
        options.execution_arn = Some(local_execution_arn(&self.name));
        // One local account for every ARN the runner and the local EMR make up.
        options.account_id = LOCAL_ACCOUNT.to_string();
        options.role_arn = format!("arn:aws:iam::{LOCAL_ACCOUNT}:role/emrflow-local");
        let options = options
            .with_clock(self.clock)
            .with_observer(self.observer)
            .with_state_machine_name(LOCAL_STATE_MACHINE)
            .with_region(LOCAL_REGION)
            .with_stop_handle(stop);
        execute(&self.machine, options).await
    }
}

/// Copies `from/<bucket>/<key>` into the local S3 (`<root>/s3`), keeping what is there.
pub fn seed_local_s3(from: &Path, s3_root: &Path) -> Result<(), String> {
    let copy_error =
        |path: &Path, error: std::io::Error| format!("cannot copy {}: {error}", path.display());
    let mut pending = vec![from.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|error| copy_error(&dir, error))? {
            let path = entry.map_err(|error| copy_error(&dir, error))?.path();
            let target = s3_root.join(path.strip_prefix(from).map_err(|error| error.to_string())?);
            if path.is_dir() {
                std::fs::create_dir_all(&target).map_err(|error| copy_error(&target, error))?;
                pending.push(path);
            } else {
                std::fs::copy(&path, &target).map_err(|error| copy_error(&path, error))?;
            }
        }
    }
    Ok(())
}

/// A local EMR over `root`, throttled like EMR's defaults when asked. Which spark-submit its
/// steps run is the local EMR's own rule (`emrflow_local_emr::locate_spark_submit`).
pub(crate) fn local_emr(root: &Path, throttle_like_emr: bool) -> LocalEmr {
    let emr = LocalEmr::new(LocalEmrConfig::new(root));
    if throttle_like_emr {
        emr.faults().rate_limit_like_emr();
    }
    emr
}

/// `emrflow local emr`: serves until SIGINT (Ctrl-C) or SIGTERM, then terminates its
/// clusters (their step processes end with them) and says which.
pub async fn serve_local_emr(
    addr: SocketAddr,
    root: PathBuf,
    throttle_like_emr: bool,
) -> Result<ExitCode, String> {
    let emr = local_emr(&root, throttle_like_emr);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    eprintln!(
        "local EMR on http://{addr} (S3 at {}; state is in memory and lost when it stops)\n  aws emr list-clusters --endpoint-url http://{addr}",
        emr.s3_root().display()
    );
    let stopped = emr
        .serve_until_signalled(listener)
        .await
        .map_err(|error| error.to_string())?;
    let by = stopped.signal.unwrap_or("an error");
    match stopped.clusters.as_slice() {
        [] => eprintln!("stopped by {by}: no cluster was running"),
        clusters => eprintln!(
            "stopped by {by}: terminated local cluster(s) {} and ended their step processes",
            clusters.join(", ")
        ),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn init_tracing() {
    emrflow_core::logging::init_tracing(emrflow_core::logging::LogFormat::Terminal);
}
