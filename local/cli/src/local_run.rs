//! `emrflow local run`: one execution of the real definition with the real handlers, shown
//! as it happens and kept under `<root>/executions/<name>/` (so `emrflow show --local` and
//! `watch --local` read it, while it runs too).
//!
//! Ctrl-C (SIGINT) or SIGTERM stops the execution as StopExecution does (ABORTED). Then, as
//! on AWS, the reaper runs — here in process, against the local EMR: it cancels the
//! execution's steps and terminates (or hands back) its cluster. Last, the embedded local EMR
//! stops and ends every step process. A FAILED or TIMED_OUT execution is reaped too, as the
//! EventBridge rule does on AWS. What runs after the execution is bounded, and says so when
//! it waits ([`after`]).

mod after;

pub use after::LOOK_BUDGET;

mod claim;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use emrflow_asl::{
    Clock, ExecutionResult, ExecutionStatus as AslStatus, FnObserver, HistoryEvent, Observer,
    RealClock, ScaledClock, StopHandle,
};
use emrflow_core::pipeline::StepCompletion;
use emrflow_core::{PipelineSpec, SdkEmr};
use emrflow_executions::{ExecutionDescription, ExecutionRecord, ExecutionStatus, LocalRecorder};
use emrflow_local_emr::{EmrThrottling, RunningLocalEmr};
use serde_json::{json, Value};

pub use crate::defaults::Pipelines;
use crate::defaults::RunFiles;
use crate::definition::{local_definition, local_execution_arn, local_state_machine_arn};
use crate::{
    local_emr, local_emr_client, local_handlers_of, render, seed_local_s3, LocalEvents,
    LocalExecution,
};

/// What `emrflow local run` was asked to do; what is not given is found in the current
/// directory ([`crate::defaults`]).
pub struct CliRun {
    pub input: Option<String>,
    /// `--pipeline FILE`: deploy only this file.
    pub pipeline: Option<PathBuf>,
    /// `--pipelines DIR`: deploy every pipeline of this folder.
    pub pipelines: Option<PathBuf>,
    /// The input's PipelineName, from `--pipeline-name`.
    pub pipeline_name: Option<String>,
    pub definition: Option<PathBuf>,
    pub root: PathBuf,
    pub s3_from: Option<PathBuf>,
    pub emr_endpoint: Option<String>,
    pub name: Option<String>,
    pub time_scale: f64,
    pub json: bool,
    pub throttle_like_emr: Option<EmrThrottling>,
    /// STARTING + BOOTSTRAPPING of the embedded local EMR's clusters, before --time-scale.
    pub provisioning_seconds: Option<f64>,
    pub step_completion: StepCompletion,
}

/// `--input` is a file when one exists at that path, JSON text otherwise; read strictly, as
/// the pipeline spec is (a key given twice is refused: the input reaches Step Functions as
/// parsed JSON, where the last one would win silently).
pub fn read_input(input: &str) -> Result<Value, String> {
    let (text, what) = if Path::new(input).is_file() {
        let text = std::fs::read_to_string(input)
            .map_err(|error| format!("cannot read {input}: {error}"))?;
        (text, format!("the execution input {input}"))
    } else {
        (input.to_string(), "the execution input".to_string())
    };
    emrflow_core::json::parse_strict(&text, &what).map_err(|error| error.to_string())
}

/// `input` with `PipelineName` set to `name` (`--pipeline-name`); an input naming another
/// pipeline is refused rather than silently overridden.
pub fn with_pipeline_name(mut input: Value, name: Option<&str>) -> Result<Value, String> {
    let Some(name) = name else {
        return Ok(input);
    };
    let object = input
        .as_object_mut()
        .ok_or("the execution input must be a JSON object")?;
    match object.get("PipelineName").and_then(Value::as_str) {
        Some(given) if given != name => Err(format!(
            "the input's PipelineName is '{given}' but --pipeline-name says '{name}': give one"
        )),
        _ => {
            object.insert("PipelineName".into(), Value::from(name));
            Ok(input)
        }
    }
}

/// `emrflow local run`: 0 when the execution succeeded, 1 when it did not.
pub async fn run_from_cli(run: CliRun) -> Result<ExitCode, String> {
    if run.time_scale.is_nan() || run.time_scale <= 0.0 {
        return Err("--time-scale must be greater than 0".to_string());
    }
    let here = std::env::current_dir()
        .map_err(|error| format!("cannot read the current directory: {error}"))?;
    let files = RunFiles::resolve(
        &here,
        run.pipeline.clone(),
        run.pipelines.clone(),
        run.input.clone(),
        run.s3_from.clone(),
    )?;
    if !files.found.is_empty() {
        anstream::eprintln!("using {} of {}", files.found.join(", "), here.display());
    }
    let input = with_pipeline_name(read_input(&files.input)?, run.pipeline_name.as_deref())?;
    let pipelines = files.pipelines.load()?;
    let machine = local_definition(run.definition.as_deref())?;
    if let Some(from) = &files.s3_from {
        let s3_root = emrflow_local_emr::local_s3_path(&run.root, "s3://");
        let seeded = seed_local_s3(from, &s3_root)?;
        let serving = match &run.emr_endpoint {
            Some(url) => format!(
                "; the local EMR at {url} must serve --root {}",
                run.root.display()
            ),
            None => String::new(),
        };
        anstream::eprintln!(
            "copied {} file(s) of {} into {} (bucket(s) {}){serving}",
            seeded.files,
            from.display(),
            s3_root.display(),
            seeded.buckets.join(", ")
        );
    }
    let recorder = match claim::claim_name(&run, &input)? {
        claim::Claim::New(recorder) => Arc::new(recorder),
        claim::Claim::Running(execution) => return claim::follow(&run.root, &execution).await,
    };
    let name = recorder.name();
    let (endpoint, embedded) = start_emr(&run).await.inspect_err(|_| recorder.discard())?;
    recorder.running_on(&endpoint);
    let clock: Arc<dyn Clock> = if run.time_scale == 1.0 {
        Arc::new(RealClock)
    } else {
        Arc::new(ScaledClock::new(run.time_scale))
    };
    anstream::eprintln!("execution {name}");
    // EMR's events reach the execution only from a local EMR in this process; with an
    // endpoint elsewhere every wait is the timer's.
    let events = embedded.as_ref().map(LocalEvents::of);
    if events.is_none() {
        note_no_event_feed(&pipelines, &input);
    }
    let stop = StopHandle::new();
    let signals = tokio::spawn(stop_on_signal(stop.clone(), recorder.clone()));
    let result = LocalExecution {
        machine,
        handlers: local_handlers_of(&endpoint, pipelines, &run.root)
            .with_step_completion(run.step_completion),
        name: name.clone(),
        input: input.clone(),
        clock,
        observer: observer(recorder.clone()),
        events,
        record: false,
    }
    .run_until_stopped(stop)
    .await;
    signals.abort();
    let record = finished_record(&result, &name, &input);
    recorder.finish(record.execution.clone());
    print_result(&result, run.json)?;
    let emr = SdkEmr::with_endpoint_url(local_emr_client(&endpoint), &endpoint);
    let after = after::AfterRun {
        emr: &emr,
        endpoint: &endpoint,
        record: &record,
        recorder: &recorder,
    };
    after.finish(embedded).await;
    Ok(if matches!(result.status, AslStatus::Succeeded) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The EMR endpoint to use: `--emr-endpoint`, or an embedded local EMR on a free port.
async fn start_emr(run: &CliRun) -> Result<(String, Option<RunningLocalEmr>), String> {
    if let Some(url) = &run.emr_endpoint {
        return Ok((url.clone(), None));
    }
    let provisioning = run
        .provisioning_seconds
        .map(|seconds| seconds * run.time_scale);
    let emr = local_emr(&run.root, run.throttle_like_emr, provisioning)?;
    let running = emr
        .spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|error| format!("cannot start the local EMR: {error}"))?;
    anstream::eprintln!(
        "local EMR on {} (S3 at {})",
        running.endpoint_url(),
        running.emr.s3_root().display()
    );
    Ok((running.endpoint_url(), Some(running)))
}

/// A pipeline that asks for EMR's events, run against a local EMR elsewhere: said once, and
/// the run waits with the timer (that endpoint's events reach no one here).
fn note_no_event_feed(pipelines: &BTreeMap<String, PipelineSpec>, input: &Value) {
    let deployed = match input.get("PipelineName").and_then(Value::as_str) {
        Some(name) => pipelines.get(name),
        None if pipelines.len() == 1 => pipelines.values().next(),
        None => None,
    };
    let asked = match input.pointer("/Pipeline/StepCompletion") {
        Some(given) => serde_json::from_value(given.clone()).ok(),
        None => deployed.and_then(|pipeline| pipeline.step_completion),
    };
    if asked == Some(StepCompletion::Events) {
        anstream::eprintln!(
            "note: the pipeline says StepCompletion EVENTS, but the events of a local EMR given with --emr-endpoint reach no one here: this run looks every PollIntervalSeconds instead"
        );
    }
}

/// Stops `stop`'s execution on the first SIGINT or SIGTERM, with the error and cause
/// `emrflow stop --local` asked for when it sent the SIGTERM. A signal while the execution
/// ends is swallowed (tokio keeps its handlers installed); one during the look at EMR after
/// it leaves that look ([`after`]).
async fn stop_on_signal(stop: StopHandle, recorder: Arc<LocalRecorder>) {
    let Some(signal) = next_signal().await else {
        tracing::warn!("cannot listen for Ctrl-C: stopping this run will leave its cluster to the idle timeout");
        return;
    };
    anstream::eprintln!("\n{signal}: stopping the execution; then its steps are cancelled and its cluster cleaned up");
    let (error, cause) = match recorder.stop_request() {
        Some(asked) => (asked.error, asked.cause),
        None => (
            Some(signal.to_string()),
            Some(format!("emrflow local run was stopped by {signal}")),
        ),
    };
    stop.stop(error, cause);
}

/// The next SIGINT (Ctrl-C) or SIGTERM, by name; None when they cannot be listened for.
async fn next_signal() -> Option<&'static str> {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return None;
    };
    Some(tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    })
}

/// Prints a progress line per event (timed from ExecutionStarted) and records it.
fn observer(recorder: Arc<LocalRecorder>) -> Arc<dyn Observer> {
    let started = Mutex::new(None::<DateTime<Utc>>);
    Arc::new(FnObserver(move |event: &HistoryEvent| {
        let Ok(event) = serde_json::to_value(event) else {
            return;
        };
        let start = {
            let mut start = started
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            *start.get_or_insert_with(|| {
                emrflow_executions::events::timestamp(&event).unwrap_or_else(Utc::now)
            })
        };
        if let Some(line) = render::progress_line(&event, Some(start)) {
            anstream::eprintln!("{line}");
        }
        recorder.event(event);
    }))
}

/// DescribeExecution's fields of a local execution.
pub(crate) fn describe(
    name: &str,
    input: &Value,
    status: ExecutionStatus,
    start_date: DateTime<Utc>,
    stop_date: Option<DateTime<Utc>>,
) -> ExecutionDescription {
    ExecutionDescription {
        execution_arn: local_execution_arn(name),
        state_machine_arn: local_state_machine_arn(),
        name: name.to_string(),
        status,
        start_date,
        stop_date,
        input: Some(input.to_string()),
        output: None,
        error: None,
        cause: None,
    }
}

/// The ended execution read as the reaper and `show` read any execution.
pub fn finished_record(result: &ExecutionResult, name: &str, input: &Value) -> ExecutionRecord {
    let status =
        ExecutionStatus::from_name(result.status.as_str()).unwrap_or(ExecutionStatus::Failed);
    let mut description = describe(
        name,
        input,
        status,
        result.start_date,
        Some(result.stop_date),
    );
    description.output = result.output.as_ref().map(Value::to_string);
    (description.error, description.cause) = match &result.status {
        AslStatus::Succeeded => (None, None),
        AslStatus::Failed { error, cause } | AslStatus::TimedOut { error, cause } => {
            (Some(error.clone()), Some(cause.clone()))
        }
        AslStatus::Aborted { error, cause } => (error.clone(), cause.clone()),
    };
    let events = result
        .history
        .iter()
        .filter_map(|event| serde_json::to_value(event).ok())
        .collect();
    ExecutionRecord::from_history(description, events)
}

fn print_result(result: &ExecutionResult, json: bool) -> Result<(), String> {
    let events: Vec<Value> = result
        .history
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()
        .map_err(|error| error.to_string())?;
    if json {
        let history = json!({"events": events, "status": result.status.as_str(),
                             "stateTransitions": result.state_transitions, "output": result.output});
        println!(
            "{}",
            serde_json::to_string_pretty(&history).map_err(|error| error.to_string())?
        );
        return Ok(());
    }
    println!("\nExecution history\n{}", render::history_table(&events));
    let seconds = (result.stop_date - result.start_date).num_milliseconds() as f64 / 1000.0;
    println!(
        "Status: {}   ({} state transitions, {seconds:.1}s)",
        result.status.as_str(),
        result.state_transitions
    );
    let (error, cause) = match &result.status {
        AslStatus::Succeeded => {
            let output = result.output.clone().unwrap_or(Value::Null);
            println!(
                "Output:\n{}",
                serde_json::to_string_pretty(&output).map_err(|error| error.to_string())?
            );
            return Ok(());
        }
        AslStatus::Failed { error, cause } | AslStatus::TimedOut { error, cause } => {
            (Some(error.as_str()), Some(cause.as_str()))
        }
        AslStatus::Aborted { error, cause } => (error.as_deref(), cause.as_deref()),
    };
    print!("{}", render::error_and_cause(error, cause));
    Ok(())
}
