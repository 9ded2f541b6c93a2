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
//! - [`render`]: the terminal views (progress lines, history table, runs, show);
//! - [`console`]: `emrflow console`, the same views as web pages on loopback.

pub mod console;
pub mod defaults;
pub mod definition;
pub mod diagram;
pub mod events;
pub mod local_run;
pub mod operate;
pub mod render;
pub mod seed;
pub mod starter;

pub use local_run::{finished_record, run_from_cli, CliRun, Pipelines};
pub use seed::seed_local_s3;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_emr::config::retry::RetryConfig;
use aws_sdk_emr::config::{BehaviorVersion, Credentials, Region};
use emrflow_asl::{
    execute, Clock, ExecutionOptions, ExecutionResult, Observer, StateMachine, StopHandle,
    TaskError, TaskInvoker, TaskTokens,
};
use emrflow_core::objects::LocalObjects;
use emrflow_core::pipeline::StepCompletion;
use emrflow_core::{Deployment, Dispatch, EmrApi, Handler, PipelineSpec, SdkEmr};
use emrflow_executions::handlers::{CheckStart, ExecutionsOf};
use emrflow_executions::{Executions, LocalExecutions, LocalRecorder, LocalRun};
use emrflow_local_emr::{EmrThrottling, LocalEmr, LocalEmrConfig};
use serde_json::Value;

use definition::{
    function_name_of, function_of_resource, local_execution_arn, AWAIT_DATA, AWAIT_STEPS,
    CHECK_START, LOCAL_ACCOUNT, LOCAL_REGION, LOCAL_STATE_MACHINE,
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
        .timeout_config(emrflow_core::sdk::emr_timeouts())
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

/// What the local runner's handlers are built from, as the Lambda functions build theirs
/// (`emrflow_lambda::wiring`): EMR at an endpoint, the deployment — its pipelines, the
/// local Region, and the deployed stack's default of waiting on EMR's events — and the
/// local root, whose execution records the start queue reads (`<root>/executions`) and whose
/// S3 holds WaitFor's objects (`<root>/s3`).
#[derive(Clone)]
pub struct LocalHandlers {
    pub emr: Arc<dyn EmrApi>,
    pub deployment: Deployment,
    pub root: PathBuf,
}

impl LocalHandlers {
    /// The deployment's choice for pipelines that do not set StepCompletion.
    pub fn with_step_completion(mut self, step_completion: StepCompletion) -> Self {
        self.deployment.step_completion = step_completion;
        self
    }

    /// No event feed: every pipeline waits with the timer, whatever its StepCompletion.
    pub fn without_event_feed(mut self) -> Self {
        self.deployment = self.deployment.without_event_feed();
        self
    }

    /// The six pipeline handlers, invoked by function.
    pub fn dispatch(&self) -> Dispatch {
        Dispatch::new(self.emr.clone(), self.deployment.clone())
    }

    /// The local S3 (`<root>/s3`), where WaitFor's objects are looked for.
    pub fn objects(&self) -> LocalObjects {
        LocalObjects::new(self.root.join("s3"))
    }

    /// check-start over the local execution records and the local S3.
    pub fn check_start(&self) -> CheckStart {
        let executions: Arc<dyn Executions> = Arc::new(LocalExecutions::new(&self.root));
        let executions_of: ExecutionsOf = Arc::new(move |_: &str| executions.clone());
        CheckStart::new(
            executions_of,
            Arc::new(self.objects()),
            Arc::new(self.deployment.clone()),
        )
    }
}

/// The handlers as the local runner wires them, with EMR at `endpoint_url`, `pipeline`
/// the one deployed, and the local root `root` (the local EMR's: its S3 is `<root>/s3`).
pub fn local_handlers(endpoint_url: &str, pipeline: PipelineSpec, root: &Path) -> LocalHandlers {
    local_handlers_of(
        endpoint_url,
        BTreeMap::from([(pipeline.name.clone(), pipeline)]),
        root,
    )
}

/// The handlers with `pipelines` deployed (a pipelines folder, by Name).
pub fn local_handlers_of(
    endpoint_url: &str,
    pipelines: BTreeMap<String, PipelineSpec>,
    root: &Path,
) -> LocalHandlers {
    LocalHandlers {
        emr: Arc::new(SdkEmr::with_endpoint_url(
            local_emr_client(endpoint_url),
            endpoint_url,
        )),
        deployment: Deployment::new(LOCAL_REGION)
            .with_pipelines(pipelines)
            .with_step_completion(StepCompletion::Events),
        root: root.to_path_buf(),
    }
}

/// Calls the handler a Task's Resource names, in process, the way Lambda would: an error
/// reaches the state machine as its stable name, with Lambda's JSON error payload as cause.
pub struct HandlerInvoker {
    handlers: Dispatch,
    check_start: CheckStart,
    await_steps: Option<emrflow_events::AwaitSteps>,
    await_data: emrflow_events::AwaitData,
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
        match function_name_of(resource) {
            Some(AWAIT_STEPS) => {
                let await_steps = self.await_steps.as_ref().ok_or_else(not_found)?;
                return await_steps.invoke(payload).await.map_err(task_error);
            }
            Some(CHECK_START) => return self.check_start.invoke(payload).await.map_err(task_error),
            Some(AWAIT_DATA) => return self.await_data.invoke(payload).await.map_err(task_error),
            _ => {}
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
    pub handlers: LocalHandlers,
    pub name: String,
    pub input: Value,
    pub clock: Arc<dyn Clock>,
    pub observer: Arc<dyn Observer>,
    /// EMR's events of a local EMR in this process: the execution waits on them as the
    /// deployed one does. None (an endpoint elsewhere): every wait is the timer's, whatever
    /// the pipeline's StepCompletion.
    pub events: Option<LocalEvents>,
    /// Whether to keep the execution's record under `<root>/executions/<name>/` (what the
    /// start queue reads); false when the caller records it itself (`emrflow local run`).
    pub record: bool,
}

impl LocalExecution {
    pub async fn run(self) -> ExecutionResult {
        self.run_until_stopped(StopHandle::new()).await
    }

    /// Runs until the end, or until `stop` aborts it (as StopExecution: ABORTED).
    pub async fn run_until_stopped(self, stop: StopHandle) -> ExecutionResult {
        let tokens = TaskTokens::new();
        let (local, wiring) = match self.events {
            Some(events) => (self.handlers, Some(events::wire(events, &tokens))),
            None => (self.handlers.without_event_feed(), None),
        };
        let (await_steps, delivery) = match wiring {
            Some(wiring) => (Some(wiring.await_steps), Some(wiring.delivery)),
            None => (None, None),
        };
        // S3's events need no EMR: data waits are wired whatever the EMR endpoint.
        let data = events::wire_data(&local, &tokens);
        let invoker = HandlerInvoker {
            handlers: local.dispatch(),
            check_start: local.check_start(),
            await_steps,
            await_data: data.await_data,
        };
        let recorder = self
            .record
            .then(|| record_locally(&local.root, &self.name, &self.input))
            .flatten();
        let observer = match &recorder {
            Some(recorder) => recording(recorder.clone(), self.observer),
            None => self.observer,
        };
        let mut options =
            ExecutionOptions::new(self.name.clone(), self.input.clone(), Arc::new(invoker))
                .with_task_tokens(tokens);
        options.execution_arn = Some(local_execution_arn(&self.name));
        // One local account for every ARN the runner and the local EMR make up.
        options.account_id = LOCAL_ACCOUNT.to_string();
        options.role_arn = format!("arn:aws:iam::{LOCAL_ACCOUNT}:role/emrflow-local");
        let options = options
            .with_clock(self.clock)
            .with_observer(observer)
            .with_state_machine_name(LOCAL_STATE_MACHINE)
            .with_region(LOCAL_REGION)
            .with_stop_handle(stop);
        let result = execute(&self.machine, options).await;
        if let Some(delivery) = delivery {
            delivery.abort();
        }
        data.delivery.abort();
        if let Some(recorder) = recorder {
            recorder.finish(finished_record(&result, &self.name, &self.input).execution);
        }
        result
    }
}

/// The execution's record, RUNNING from now (None, with a warning, if it cannot be written).
fn record_locally(root: &Path, name: &str, input: &Value) -> Option<Arc<LocalRecorder>> {
    let description = local_run::describe(
        name,
        input,
        emrflow_executions::ExecutionStatus::Running,
        chrono::Utc::now(),
        None,
    );
    match LocalRecorder::create(root, description, LocalRun::default()) {
        Ok(recorder) => Some(Arc::new(recorder)),
        Err(error) => {
            tracing::warn!(%error, "the local execution record cannot be written: the start queue will not see this run");
            None
        }
    }
}

/// `observer`, and each event recorded.
fn recording(recorder: Arc<LocalRecorder>, observer: Arc<dyn Observer>) -> Arc<dyn Observer> {
    Arc::new(emrflow_asl::FnObserver(
        move |event: &emrflow_asl::HistoryEvent| {
            if let Ok(value) = serde_json::to_value(event) {
                recorder.event(value);
            }
            observer.on_event(event);
        },
    ))
}

/// A local EMR over `root`, throttled like EMR's quotas when asked. Which spark-submit its
/// steps run is the local EMR's own rule (`emrflow_local_emr::locate_spark_submit`).
pub(crate) fn local_emr(
    root: &Path,
    throttle_like_emr: Option<EmrThrottling>,
    provisioning_seconds: Option<f64>,
) -> Result<LocalEmr, String> {
    let mut config = LocalEmrConfig::new(root);
    if let Some(seconds) = provisioning_seconds {
        let total = Duration::try_from_secs_f64(seconds).map_err(|_| {
            "--provisioning-seconds must be a number of seconds, 0 or more".to_string()
        })?;
        config = config.with_provisioning(total);
    }
    let emr = LocalEmr::new(config);
    if let Some(throttling) = throttle_like_emr {
        emr.faults().rate_limit_like_emr_with(throttling, 1.0);
    }
    Ok(emr)
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

/// `emrflow local emr`: serves on `addr` (loopback only: the local EMR's one rule) until
/// SIGINT (Ctrl-C) or SIGTERM, then terminates its clusters (their step processes end with
/// them) and says which.
pub async fn serve_local_emr(
    addr: &str,
    root: PathBuf,
    throttle_like_emr: Option<EmrThrottling>,
    provisioning_seconds: Option<f64>,
) -> Result<ExitCode, String> {
    let addr = emrflow_local_emr::loopback::parse_listen_addr(addr)?;
    let emr = local_emr(&root, throttle_like_emr, provisioning_seconds)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    let addr = listener.local_addr().unwrap_or(addr);
    let s3_root = emr.s3_root();
    let stopped = emr
        .serve_until_signalled(listener, || {
            eprintln!(
                "local EMR on http://{addr} (S3 at {}; state is in memory and lost when it stops)\n  aws emr list-clusters --endpoint-url http://{addr}",
                s3_root.display()
            )
        })
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

/// The command's diagnostics: readable lines on stderr, level from EMRFLOW_LOG (default
/// warn, so progress output stays clean), in RUST_LOG's simple form (`info`,
/// `warn,emrflow_core=debug`). Coloured only as anstream colours the rest of the output:
/// on a terminal, without NO_COLOR.
///
/// By default two sources are quieter, because the command says the same in words once: a
/// handler's failure (the runner shows it as the Task's failure, and the run's cause), and
/// the AWS SDK's credential chain (whose warnings are Rust Debug text; the operate commands
/// say "no AWS credentials found" and what to set).
pub fn init_tracing() {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = std::env::var("EMRFLOW_LOG")
        .ok()
        .and_then(|text| text.parse::<Targets>().ok())
        .unwrap_or_else(|| {
            Targets::new()
                .with_default(LevelFilter::WARN)
                .with_target("emrflow_core::handlers", LevelFilter::ERROR)
                .with_target("aws_config", LevelFilter::ERROR)
        });
    let colour = anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never;
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(colour)
                .with_writer(std::io::stderr),
        )
        .try_init();
}
