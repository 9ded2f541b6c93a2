//! `emrflow watch EXECUTION`: follows an execution live with the progress lines of
//! `emrflow local run` (the same renderer), reading the history events it has not shown
//! yet every few seconds, until it ends.

use std::io::Write;
use std::time::Duration;

use chrono::Utc;
use clap::Args;
use emrflow_executions::events::event_id;
use emrflow_executions::ExecutionStatus;

use super::{Backend, Printed, Target};
use crate::render::{duration_text, error_and_cause, paint_status, progress_line};

#[derive(Args, Debug, Clone)]
pub struct WatchArgs {
    /// The execution's name or ARN.
    pub execution: String,
    /// Seconds between two looks (default 5 on AWS, 1 locally).
    #[arg(long)]
    pub interval: Option<f64>,
    #[command(flatten)]
    pub target: Target,
}

/// Prints progress to `out` as it comes (JSON lines of the events with `--json`); returns
/// the closing lines once the execution has ended.
pub async fn watch(
    backend: &Backend,
    args: &WatchArgs,
    out: &mut dyn Write,
) -> Result<Printed, String> {
    let default = if backend.is_local() { 1.0 } else { 5.0 };
    let interval = args.interval.unwrap_or(default);
    if !interval.is_finite() || interval <= 0.0 {
        return Err("--interval must be a number of seconds greater than 0".to_string());
    }
    let mut shown = 0;
    loop {
        // Each look reads only the events not shown yet (on AWS: one page, newest first).
        let progress = backend
            .executions
            .progress(&args.execution, shown)
            .await
            .map_err(|error| error.to_string())?;
        let started = Some(progress.execution.start_date);
        for event in &progress.events {
            shown = shown.max(event_id(event));
            let line = if args.target.json {
                Some(event.to_string())
            } else {
                progress_line(event, started)
            };
            if let Some(line) = line {
                writeln!(out, "{line}").map_err(|error| format!("cannot write: {error}"))?;
            }
        }
        out.flush()
            .map_err(|error| format!("cannot write: {error}"))?;
        let status = progress.execution.status;
        if status.has_ended() {
            if args.target.json {
                return Ok(closing(status, String::new()));
            }
            let execution = &progress.execution;
            let stopped = execution.stop_date.unwrap_or_else(Utc::now);
            let mut text = format!(
                "{} after {}\n",
                paint_status(status),
                duration_text(stopped - execution.start_date)
            );
            if status != ExecutionStatus::Succeeded {
                // The cause once, here: the progress lines above name the errors only.
                text.push_str(&error_and_cause(
                    execution.error.as_deref(),
                    execution.cause.as_deref(),
                ));
            }
            if status == ExecutionStatus::Failed && ran_a_cluster(backend, &args.execution).await {
                text.push_str(&format!(
                    "why: emrflow show {}{}   (the failed step's stderr: emrflow logs {0}{1})\n",
                    backend.options, execution.name
                ));
            }
            return Ok(closing(status, text));
        }
        tokio::time::sleep(Duration::from_secs_f64(interval)).await;
    }
}

/// Whether the ended execution got as far as a cluster (then its steps have logs to read):
/// read once, from the whole record.
async fn ran_a_cluster(backend: &Backend, execution: &str) -> bool {
    backend
        .executions
        .record(execution)
        .await
        .is_ok_and(|record| record.cluster.is_some())
}

fn closing(status: ExecutionStatus, text: String) -> Printed {
    if status == ExecutionStatus::Succeeded {
        Printed::ok(text)
    } else {
        Printed::failed(text)
    }
}
