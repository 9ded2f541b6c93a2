//! `emrflow backfill`'s words: the plan (`--dry-run`), a line per event while it runs (a
//! JSON object per line with `--json`), the notice of a Ctrl-C, and the final table of days.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use emrflow_executions::ExecutionStatus;
use serde_json::json;

use super::{duration_text, plain_table, readable_cause, shell_word};
use crate::operate::backfill::{Day, DayResult};

/// What happened to a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Started,
    Following,
    Ended,
}

impl Event {
    fn word(self) -> &'static str {
        match self {
            Event::Started => "started",
            Event::Following => "following",
            Event::Ended => "ended",
        }
    }
}

/// Where the backfill stands: the days done, running, failed, waiting; the time since it
/// started and the estimate of the time left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub done: usize,
    pub running: usize,
    pub failed: usize,
    pub waiting: usize,
    pub elapsed_seconds: u64,
    pub estimate_seconds: Option<i64>,
}

impl Counts {
    /// The counts of the days ended (`results`) and of those running and waiting.
    pub fn of(results: &BTreeMap<NaiveDate, DayResult>, running: usize, waiting: usize) -> Counts {
        let done = results
            .values()
            .filter(|result| result.status == Some(ExecutionStatus::Succeeded))
            .count();
        Counts {
            done,
            running,
            failed: results.len() - done,
            waiting,
            ..Counts::default()
        }
    }

    fn text(&self) -> String {
        let estimate = self
            .estimate_seconds
            .map(|seconds| {
                format!(
                    ", about {} left",
                    duration_text(chrono::Duration::seconds(seconds))
                )
            })
            .unwrap_or_default();
        format!(
            "{} done, {} running, {} failed, {} waiting; {} elapsed{estimate}",
            self.done,
            self.running,
            self.failed,
            self.waiting,
            duration_text(chrono::Duration::seconds(self.elapsed_seconds as i64))
        )
    }
}

/// An error and its cause on one line, for a table cell.
pub fn one_line_error(error: Option<&str>, cause: Option<&str>) -> Option<String> {
    let parts: Vec<String> = error
        .map(str::to_string)
        .into_iter()
        .chain(cause.map(|cause| readable_cause(cause).replace('\n', " ")))
        .collect();
    (!parts.is_empty()).then(|| parts.join(": "))
}

/// One event: a line of text, or a JSON object with `json`.
pub fn event_line(
    event: Event,
    date: NaiveDate,
    execution: &str,
    result: Option<&DayResult>,
    counts: &Counts,
    json: bool,
    at: DateTime<Utc>,
) -> String {
    let status = result.and_then(|result| result.status);
    if json {
        return json!({
            "event": event.word(),
            "time": at.to_rfc3339(),
            "date": date,
            "execution": execution,
            "status": status,
            "durationSeconds": result.and_then(|result| result.duration_seconds),
            "error": result.and_then(|result| result.error.clone()),
            "done": counts.done,
            "running": counts.running,
            "failed": counts.failed,
            "waiting": counts.waiting,
        })
        .to_string();
    }
    let what = match (event, status) {
        (Event::Ended, Some(status)) => status.as_str().to_string(),
        _ => event.word().to_string(),
    };
    let took = result
        .and_then(|result| result.duration_seconds)
        .map(|seconds| format!(" in {}", duration_text(chrono::Duration::seconds(seconds))))
        .unwrap_or_default();
    format!(
        "{}  {date}  {what:<10} {execution}{took}  ({})",
        at.format("%H:%M:%S"),
        counts.text()
    )
}

/// What the first Ctrl-C says: which executions go on, how to stop them, how to carry on.
pub fn interrupted_notice(running: &[&str], options: &str) -> String {
    let mut text = "\nCtrl-C: no further day is started.".to_string();
    if running.is_empty() {
        text.push('\n');
    } else {
        text.push_str(&format!(
            " Still running (followed to their end): {}\n  stop them now: Ctrl-C again, or\n",
            running.join(", ")
        ));
        for name in running {
            text.push_str(&format!("  emrflow stop {options}{}\n", shell_word(name)));
        }
    }
    text.push_str("Run the same backfill again to carry on: days that succeeded are skipped, running ones followed.\n");
    text
}

/// How many run at once, and why.
pub fn parallel_note(pipeline: &str, asked: usize, parallel: usize, max: Option<u32>) -> String {
    match max {
        Some(max) if parallel < asked => format!(
            "{parallel} at a time: --parallel {asked} is more than {pipeline}'s MaxConcurrentRuns {max} (its start gate would queue the others)"
        ),
        Some(max) => format!("{parallel} at a time ({pipeline}'s MaxConcurrentRuns is {max})"),
        None => format!(
            "{parallel} at a time ({pipeline}'s spec was not found, so its MaxConcurrentRuns is not known here: its start gate queues runs beyond it)"
        ),
    }
}

/// `--dry-run`: each day, its execution, what would be done.
pub fn plan_table(days: &[Day]) -> String {
    let mut table = plain_table(["DATE", "EXECUTION", "ACTION"]);
    for day in days {
        table.add_row([
            day.date.to_string(),
            day.action.execution().to_string(),
            day.action.words(),
        ]);
    }
    format!("{table}\n")
}

/// The final table: each day, its execution, status, duration, what was done, the error.
pub fn results_table(results: &[DayResult]) -> String {
    let mut table = plain_table(["DATE", "EXECUTION", "STATUS", "DURATION", "DONE", "ERROR"]);
    for result in results {
        table.add_row([
            result.date.to_string(),
            result.execution.clone().unwrap_or_default(),
            result
                .status
                .map(|status| status.as_str().to_string())
                .unwrap_or_else(|| "NOT STARTED".to_string()),
            result
                .duration_seconds
                .map(|seconds| duration_text(chrono::Duration::seconds(seconds)))
                .unwrap_or_default(),
            result.note.clone(),
            result
                .error
                .as_deref()
                .map(|error| super::runs::cut(error, 80))
                .unwrap_or_default(),
        ]);
    }
    let succeeded = results
        .iter()
        .filter(|result| result.status == Some(ExecutionStatus::Succeeded))
        .count();
    format!("{table}\n{succeeded} of {} days SUCCEEDED\n", results.len())
}
