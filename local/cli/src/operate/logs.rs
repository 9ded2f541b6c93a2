//! `emrflow logs EXECUTION [--step NAME] [--stream stderr|stdout|controller]`: a step's log
//! from the cluster's LogUri (`<LogUri>/<cluster>/steps/<step>/<stream>.gz`), read through
//! `read_log`. Without `--step`, a failed execution shows its failed step's stderr tail, a
//! stopped one the step it was running: with `emrflow runs`, two commands from "last night's
//! run failed" to the reason. Above the log of an attempt that did not complete, the line of
//! its stderr or stdout that says why (`cause.rs`), and where it is.
//!
//! EMR uploads a step's logs from the node about every five minutes while it runs, and once
//! more when it ends: a log that is not there yet is said so, not treated as an error of ours
//! — except locally, where a running step's log is read as it is written.

use clap::{Args, ValueEnum};
use emrflow_core::handlers::AttemptReport;
use emrflow_executions::{step_to_explain, ExecutionRecord, StepView};
use emrflow_vocabulary::logs::{tail_log, LogStream};
use serde::Serialize;

use super::cause::{explain, Explanation};
use super::{json_text, Backend, LiveStep, Printed, Target};

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
    /// Read as the running step writes it (locally), not from the LogUri.
    live: bool,
    lines: usize,
    shown_from_line: usize,
    text: String,
    /// Where the step's stderr or stdout says why it did not complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    probable_cause: Option<Explanation>,
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
    let (step, attempt) = match choose(&steps, args, &record)? {
        Chosen::Attempt(step, attempt) => (step, attempt),
        Chosen::NeverRan(text) => return Ok(Printed::failed(text)),
    };
    let stream = LogStream::from(args.stream);
    let uri = log_uri(attempt, stream)?;
    let folder = uri.strip_suffix(stream.file_name()).unwrap_or(&uri);
    let (source, bytes, live) = match backend.logs.read(&uri).await? {
        Some(bytes) => (uri.clone(), bytes, false),
        None => match read_live(backend, &record, attempt, folder, stream).await? {
            Some((path, bytes)) => (path, bytes, true),
            None => {
                return Ok(Printed::failed(format!(
                    "{}\n",
                    not_there_yet(&uri, &step.name, attempt)
                )))
            }
        },
    };
    let explanation = match attempt.state.is_unsuccessful() {
        true => Some(explain(backend.logs.as_ref(), folder, Some((stream, &bytes))).await?),
        false => None,
    };
    let tail = args.tail.unwrap_or(if args.step.is_none() {
        DEFAULT_TAIL_LINES
    } else {
        0
    });
    let log = tail_log(&bytes[..], tail);
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
            uri: &source,
            live,
            lines,
            shown_from_line: from + 1,
            text: shown,
            probable_cause: explanation,
        })
        .map(Printed::ok);
    }
    let range = if from == 0 {
        format!("{lines} lines")
    } else {
        format!("last {} of {lines} lines", lines - from)
    };
    let cause = match &explanation {
        Some(found @ Explanation::Found { .. }) => format!("{}\n", found.text()),
        _ => String::new(),
    };
    let live = if live {
        " — live, as the running step writes it"
    } else {
        ""
    };
    Ok(Printed::ok(format!(
        "{cause}── {} of step '{}' (attempt {}, {} {}) — {source} ({range}){live}\n{shown}\n",
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

/// A running step's log as it is being written (the local EMR's plain file).
async fn read_live(
    backend: &Backend,
    record: &ExecutionRecord,
    attempt: &AttemptReport,
    folder: &str,
    stream: LogStream,
) -> Result<Option<(String, Vec<u8>)>, String> {
    let (Some(cluster_id), true) = (record.cluster_id(), attempt.state.is_active()) else {
        return Ok(None);
    };
    let step = LiveStep {
        cluster_id,
        step_id: &attempt.step_id,
        folder,
    };
    backend.logs.read_live(&step, stream).await
}

/// The attempt whose log to show, or why the step has none.
enum Chosen<'a> {
    Attempt(&'a StepView, &'a AttemptReport),
    NeverRan(String),
}

/// `--step` by name or EMR step id (its failed attempt, else its last, or `--attempt`);
/// without it, the step that explains how a failed or stopped run ended.
fn choose<'a>(
    steps: &'a [StepView],
    args: &LogsArgs,
    record: &ExecutionRecord,
) -> Result<Chosen<'a>, String> {
    let execution = record.name();
    let names = || {
        steps
            .iter()
            .map(|step| step.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let step = match &args.step {
        Some(wanted) => steps
            .iter()
            .find(|step| step.name == *wanted || step.attempts.iter().any(|a| a.step_id == *wanted))
            .ok_or_else(|| {
                format!(
                    "{execution} has no step '{wanted}' (its steps: {})",
                    names()
                )
            })?,
        None => {
            let explained = record
                .execution
                .status
                .is_reaped()
                .then(|| step_to_explain(steps))
                .flatten();
            match (explained, args.attempt) {
                (Some((step, attempt)), None) => return Ok(Chosen::Attempt(step, attempt)),
                (Some((step, _)), Some(_)) => step,
                (None, _) => {
                    return Err(format!(
                        "{execution} has no step that failed or was running when it ended: name one with --step ({})",
                        names()
                    ))
                }
            }
        }
    };
    if step.attempts.is_empty() {
        let why = step
            .skip_reason
            .as_deref()
            .map(|reason| format!(": {reason}"))
            .unwrap_or_default();
        return Ok(Chosen::NeverRan(format!(
            "step '{}' never ran ({}{why}), so it has no logs\n",
            step.name, step.state
        )));
    }
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
    Ok(Chosen::Attempt(step, attempt))
}
