//! The `emrflow` command's library: runs the real state machine definition with the real
//! handler code against a local EMR endpoint, shows runs like the console does, and
//! operates executions on AWS or locally.
//!
//! - this file: the local EMR client, the in-process handler invoker, one local execution,
//!   `emrflow local emr`;
//! - [`local_run`]: `emrflow local run` (recording, Ctrl-C, the reaper, shutdown);
//! - [`definition`]: the definition with local ARNs for its substitutions;
//! - [`events`]: EMR's events of the embedded local EMR waking the execution (await-steps,
//!   emr-events in process); [`diagram`]: `emrflow diagram` (Mermaid);
//! - [`operate`]: `start`, `runs`, `show`, `watch`, `logs`, `stop`, one file per command;
//! - [`render`]: the terminal views (progress lines, history table, runs, show).

pub mod definition;
pub mod diagram;
pub mod events;
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
    TaskError, TaskInvoker, TaskTokens,
};
use emrflow_core::pipeline::StepCompletion;
use emrflow_core::{Handlers, PipelineSpec, SdkEmr};
use emrflow_local_emr::{LocalEmr, LocalEmrConfig};
use serde_json::Value;

use definition::{
    function_name_of, function_of_resource, local_execution_arn, AWAIT_STEPS, LOCAL_ACCOUNT,
    LOCAL_REGION, LOCAL_STATE_MACHINE,
};
pub use events::LocalEvents;

/// An aws-sdk-emr client for a local endpoint: dummy credentials, nothing leaves the machine.
/// The SDK retries as on AWS (3 attempts) but backs off in milliseconds, not seconds: a local
/// endpoint recovers at once, and a scaled clock would otherwise time the Task out. Its
/// timeouts are the deployed functions' (`emr_timeouts`): an endpoint that accepts a
/// connection and never answers (a stopped local EMR) ends a call with AwsTransient.
pub fn local_emr_client(endpoint_url: &str) -> aws_sdk_emr::Client {
    let config = aws_sdk_emr::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .timeout_config(emrflow_core::runtime::emr_timeouts())
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

/// The handlers exactly as the Lambda functions build them, with EMR at `endpoint_url`, and
/// the deployed stack's default: waiting on EMR's events.
pub fn local_handlers(endpoint_url: &str, default_pipeline: PipelineSpec) -> Handlers {
    Handlers::new(
        Arc::new(SdkEmr::with_endpoint_url(
            local_emr_client(endpoint_url),
            endpoint_url,
        )),
        default_pipeline,
        LOCAL_REGION.to_string(),
    )
    .with_step_completion(StepCompletion::Events)
}

/// Calls the handler a Task's Resource names, in process, the way Lambda would: an error
/// reaches the state machine as its stable name, with Lambda's JSON error payload as cause.
pub struct HandlerInvoker {
    handlers: Handlers,
    await_steps: Option<emrflow_events::AwaitSteps>,
}

impl HandlerInvoker {
    pub fn new(handlers: Handlers) -> Self {
        HandlerInvoker {
            handlers,
            await_steps: None,
        }
    }
}

fn task_error(error: emrflow_core::EmrflowError) -> TaskError {
    let lambda = error.lambda_error();
    TaskError::new(lambda.error_type.clone(), lambda.cause_text())
}

#[async_trait]
impl TaskInvoker for HandlerInvoker {
    async fn invoke(&self, resource: &str, payload: Value) -> Result<Value, TaskError> {
        let not_found = || {
            TaskError::new(
                "Lambda.ResourceNotFoundException",
                format!("no local function for the resource {resource}"),
            )
        };
        if function_name_of(resource) == Some(AWAIT_STEPS) {
            let await_steps = self.await_steps.as_ref().ok_or_else(not_found)?;
            let summary = await_steps.handle(payload).await.map_err(task_error)?;
            return serde_json::to_value(summary).map_err(|error| {
                task_error(emrflow_core::EmrflowError::internal(error.to_string()))
            });
        }
        let function = function_of_resource(resource).ok_or_else(not_found)?;
        self.handlers
            .invoke(function, payload)
            .await
            .map_err(task_error)
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
    /// EMR's events of a local EMR in this process: the execution waits on them as the
    /// deployed one does. None (an endpoint elsewhere): the timer loop only.
    pub events: Option<LocalEvents>,
}

impl LocalExecution {
    pub async fn run(self) -> ExecutionResult {
        self.run_until_stopped(StopHandle::new()).await
    }

    /// Runs until the end, or until `stop` aborts it (as StopExecution: ABORTED).
    pub async fn run_until_stopped(self, stop: StopHandle) -> ExecutionResult {
        let tokens = TaskTokens::new();
        let (handlers, wiring) = match self.events {
            Some(events) => (self.handlers, Some(events::wire(events, &tokens))),
            None => (
                self.handlers.with_step_completion(StepCompletion::Polling),
                None,
            ),
        };
        let (await_steps, delivery) = match wiring {
            Some(wiring) => (Some(wiring.await_steps), Some(wiring.delivery)),
            None => (None, None),
        };
        let invoker = HandlerInvoker {
            handlers,
            await_steps,
        };
        let mut options = ExecutionOptions::new(self.name.clone(), self.input, Arc::new(invoker))
            .with_task_tokens(tokens);
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
        let result = execute(&self.machine, options).await;
        if let Some(delivery) = delivery {
            delivery.abort();
        }
        result
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

/// `emrflow diagram`: the pipeline's step graph or the state machine, as Mermaid.
pub fn print_diagram(
    pipeline: Option<PathBuf>,
    definition: Option<PathBuf>,
) -> Result<ExitCode, String> {
    let text = match (pipeline, definition) {
        (Some(path), _) => {
            let spec = PipelineSpec::load(&path).map_err(|error| error.to_string())?;
            diagram::pipeline_diagram(&spec)
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            let definition = emrflow_core::json::parse_strict(&text, "the definition")
                .map_err(|error| error.to_string())?;
            diagram::definition_diagram(&definition)
        }
        (None, None) => return Err("give --pipeline FILE or --definition FILE".to_string()),
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
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
