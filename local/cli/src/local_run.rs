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
use emrflow_executions::{
    ExecutionDescription, ExecutionRecord, ExecutionStatus, LocalRecorder, LocalRun,
};
use emrflow_local_emr::RunningLocalEmr;
use serde_json::{json, Value};

use crate::definition::{load_local_definition, local_execution_arn, local_state_machine_arn};
use crate::{
    local_emr, local_emr_client, local_handlers, render, seed_local_s3, LocalEvents, LocalExecution,
};

/// What `emrflow local run` was asked to do.
pub struct CliRun {
    pub input: String,
    pub pipeline: PathBuf,
    pub definition: PathBuf,
    pub root: PathBuf,
    pub s3_from: Option<PathBuf>,
    pub emr_endpoint: Option<String>,
    pub name: Option<String>,
    pub time_scale: f64,
    pub json: bool,
    pub throttle_like_emr: bool,
    pub step_completion: StepCompletion,
}

/// `--input` is a file when one exists at that path, JSON text otherwise.
pub fn read_input(input: &str) -> Result<Value, String> {
    let text = if Path::new(input).is_file() {
        std::fs::read_to_string(input).map_err(|error| format!("cannot read {input}: {error}"))?
    } else {
        input.to_string()
    };
    serde_json::from_str(&text).map_err(|error| format!("the execution input is not JSON: {error}"))
}

/// `emrflow local run`: 0 when the execution succeeded, 1 when it did not.
pub async fn run_from_cli(run: CliRun) -> Result<ExitCode, String> {
    if run.time_scale.is_nan() || run.time_scale <= 0.0 {
        return Err("--time-scale must be greater than 0".to_string());
    }
    let input = read_input(&run.input)?;
    let pipeline = PipelineSpec::load(&run.pipeline)
        .map_err(|error| format!("{}: {error}", run.pipeline.display()))?;
    let machine = load_local_definition(&run.definition)?;
    let (endpoint, embedded) = start_emr(&run).await?;
    let clock: Arc<dyn Clock> = if run.time_scale == 1.0 {
        Arc::new(RealClock)
    } else {
        Arc::new(ScaledClock::new(run.time_scale))
    };
    let name = run
        .name
        .unwrap_or_else(|| format!("local-{}", Utc::now().format("%Y%m%dT%H%M%SZ")));
    anstream::eprintln!("execution {name}");
    let recorder = Arc::new(
        LocalRecorder::create(
            &run.root,
            describe(&name, &input, ExecutionStatus::Running, Utc::now(), None),
            LocalRun {
                pid: Some(std::process::id()),
                emr_endpoint: Some(endpoint.clone()),
            },
        )
        .map_err(|error| error.to_string())?,
    );
    // EMR's events reach the execution only from a local EMR in this process; an endpoint
    // elsewhere (or --step-completion POLLING) waits with the timer loop.
    let events = match (&embedded, run.step_completion) {
        (Some(running), StepCompletion::Events) => Some(LocalEvents::of(running)),
        _ => None,
    };
    let stop = StopHandle::new();
    let signals = tokio::spawn(stop_on_signal(stop.clone()));
    let result = LocalExecution {
        machine,
        handlers: local_handlers(&endpoint, pipeline),
        name: name.clone(),
        input: input.clone(),
        clock,
        observer: observer(recorder.clone()),
        events,
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
    let emr = local_emr(&run.root, run.throttle_like_emr);
    if let Some(from) = &run.s3_from {
        seed_local_s3(from, &emr.s3_root())?;
    }
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

/// Stops `stop`'s execution on the first SIGINT or SIGTERM. A signal while the execution ends
/// is swallowed (tokio keeps its handlers installed); one during the look at EMR after it
/// leaves that look ([`after`]).
async fn stop_on_signal(stop: StopHandle) {
    let Some(signal) = next_signal().await else {
        tracing::warn!("cannot listen for Ctrl-C: stopping this run will leave its cluster to the idle timeout");
        return;
    };
    anstream::eprintln!("\n{signal}: stopping the execution; then its steps are cancelled and its cluster cleaned up");
    stop.stop(
        Some(signal.to_string()),
        Some(format!("emrflow local run was stopped by {signal}")),
    );
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
fn describe(
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
    println!(
        "Error: {}\nCause: {}",
        error.unwrap_or("(none)"),
        cause.map(render::readable_cause).unwrap_or_default()
    );
    Ok(())
}
