//! `emrflow logs EXECUTION [--step NAME] [--stream stderr|stdout|controller]`: a step's log
//! from the cluster's LogUri (`<LogUri>/<cluster>/steps/<step>/<stream>.gz`), read through
//! `read_log`. Without `--step`, a failed execution shows its failed step's stderr tail: with
//! `emrflow runs`, two commands from "last night's run failed" to the reason.
//!
//! EMR uploads a step's logs from the node about every five minutes while it runs, and once
//! more when it ends: a log that is not there yet is said so, not treated as an error of ours.

use clap::{Args, ValueEnum};
use emrflow_executions::StepView;
use emrflow_core::handlers::AttemptReport;
use emrflow_vocabulary::logs::LogStream;
use serde::Serialize;

use super::{json_text, Backend, Printed, Target};

/// Lines shown of the failed step's stderr when no --step is given.
const DEFAULT_TAIL_LINES: usize = 40;

#[derive(Args, Debug, Clone)]
pub struct LogsArgs {
    /// The execution's name or ARN.
    pub execution: String,
    /// The step's name in the pipeline (or its EMR step id, s-…).
    #[arg(long)]
    pub step: Option<String>,
    /// Which log.
    #[arg(long, value_enum, default_value_t = Stream::Stderr)]
    pub stream: Stream,
    /// Which attempt of a retried step (default: the failed one, else the last).
    #[arg(long)]
    pub attempt: Option<u32>,
    /// Only the last N lines (0: all; default: all with --step, 40 without).
    #[arg(long)]
    pub tail: Option<usize>,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Stream {
    Stderr,
    Stdout,
    Controller,
}

impl From<Stream> for LogStream {
    fn from(stream: Stream) -> LogStream {
        match stream {
            Stream::Stderr => LogStream::Stderr,
            Stream::Stdout => LogStream::Stdout,
            Stream::Controller => LogStream::Controller,
        }
    }
}

/// What `logs --json` prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LogView<'a> {
    execution: &'a str,
    step: &'a str,
    attempt: u32,
    step_id: &'a str,
    step_state: &'a str,
    stream: &'static str,
    uri: &'a str,
    lines: usize,
    shown_from_line: usize,
    text: String,
}

pub async fn logs(backend: &Backend, args: &LogsArgs) -> Result<Printed, String> {
    let record = backend
        .executions
        .record(&args.execution)
        .await
        .map_err(|error| error.to_string())?;
    let steps = backend.steps_of(&record).await?.ok_or_else(|| {
        format!(
            "{} has no cluster yet, so no step logs ({})",
            record.name(),
            record.execution.status
        )
    })?;
    let failed = record.execution.status.is_reaped();
    let step = choose_step(&steps, args.step.as_deref(), failed, record.name())?;
    let attempt = match args.attempt {
        Some(number) => step.attempts.iter().find(|a| a.attempt == number),
        None => step.failed_attempt().or_else(|| step.last_attempt()),
    }
    .ok_or_else(|| {
        format!(
            "step '{}' has no such attempt (it has {})",
            step.name,
            step.attempts.len()
        )
    })?;
    let stream = LogStream::from(args.stream);
    let uri = log_uri(attempt, stream)?;
    let tail = args.tail.unwrap_or(if args.step.is_none() {
        DEFAULT_TAIL_LINES
    } else {
        0
    });
    let Some(log) = backend.logs.tail(&uri, tail).await? else {
        return Ok(Printed::failed(format!(
            "{}\n",
            not_there_yet(&uri, &step.name, attempt)
        )));
    };
    let from = log.first_line() - 1;
    let shown = log.lines.join("\n");
    let lines = log.total_lines;
    if args.target.json {
        return json_text(&LogView {
            execution: record.name(),
            step: &step.name,
            attempt: attempt.attempt,
            step_id: &attempt.step_id,
            step_state: attempt.state.as_str(),
            stream: stream.name(),
            uri: &uri,
            lines,
            shown_from_line: from + 1,
            text: shown,
        })
        .map(Printed::ok);
    }
    let range = if from == 0 {
        format!("{lines} lines")
    } else {
        format!("last {} of {lines} lines", lines - from)
    };
    Ok(Printed::ok(format!(
        "── {} of step '{}' (attempt {}, {} {}) — {uri} ({range})\n{shown}\n",
        stream.name(),
        step.name,
        attempt.attempt,
        attempt.step_id,
        attempt.state
    )))
}

/// Where one log of an attempt is: `<LogUri>/<cluster>/steps/<step>/<stream>.gz`.
pub fn log_uri(attempt: &AttemptReport, stream: LogStream) -> Result<String, String> {
    let folder = attempt.log_location.as_deref().ok_or_else(|| {
        "the cluster has no LogUri: EMR keeps step logs only on the cluster's primary node"
            .to_string()
    })?;
    Ok(format!("{folder}{}", stream.file_name()))
}

/// What to say of a log that is not in S3 (yet).
pub fn not_there_yet(uri: &str, step: &str, attempt: &AttemptReport) -> String {
    format!(
        "{uri} is not there yet: EMR uploads a step's logs about every five minutes while it runs, and once more when it ends (step '{step}' is {}). Try again in a few minutes.",
        attempt.state
    )
}

/// The step whose log explains a failed execution: the last one with a failed attempt.
pub fn failed_step(steps: &[StepView]) -> Option<&StepView> {
    steps
        .iter()
        .rev()
        .find(|step| step.failed_attempt().is_some())
}

/// `--step` by name or EMR step id; without it, the failed step of a failed execution.
fn choose_step<'a>(
    steps: &'a [StepView],
    wanted: Option<&str>,
    failed: bool,
    execution: &str,
) -> Result<&'a StepView, String> {
    let names = || {
        steps
            .iter()
            .map(|step| step.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(wanted) = wanted {
        return steps
            .iter()
            .find(|step| step.name == wanted || step.attempts.iter().any(|a| a.step_id == wanted))
            .ok_or_else(|| {
                format!(
                    "{execution} has no step '{wanted}' (its steps: {})",
                    names()
                )
            });
    }
    if failed {
        if let Some(step) = failed_step(steps) {
            return Ok(step);
        }
    }
    Err(format!(
        "{execution} has no failed step: name one with --step ({})",
        names()
    ))
}
