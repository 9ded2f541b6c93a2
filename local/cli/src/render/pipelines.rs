//! `emrflow pipelines`: one row per deployed pipeline — its schedule in its time zone, the
//! next start, the last run and its status.

use chrono::{DateTime, Utc};
use emrflow_executions::ExecutionStatus;
use serde::Serialize;

use super::plain_table;

/// One pipeline as `pipelines` lists it (its JSON shape with `--json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineRow {
    pub name: String,
    /// `cron(…)` or `rate(…)`; None: started by hand only.
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    pub enabled: bool,
    /// The next start in the pipeline's time zone (RFC 3339 with its offset): cron schedules
    /// that are on (a rate counts from the deploy, which only EventBridge knows).
    pub next_start: Option<String>,
    /// `2026-11-23 06:00 CET`.
    #[serde(skip)]
    pub next_start_text: Option<String>,
    pub last_run: Option<String>,
    pub last_status: Option<ExecutionStatus>,
    pub last_started: Option<DateTime<Utc>>,
}

/// The table of `rows`, in Name order as given.
pub fn pipelines_table(rows: &[PipelineRow]) -> String {
    let mut table = plain_table([
        "PIPELINE",
        "SCHEDULE",
        "NEXT START",
        "LAST RUN",
        "STATUS",
        "STARTED (UTC)",
    ]);
    for row in rows {
        let schedule = match (&row.schedule, &row.timezone) {
            (Some(expression), Some(zone)) => format!("{expression} {zone}"),
            _ => "- (started by hand)".to_string(),
        };
        let next = match (&row.schedule, row.enabled, &row.next_start_text) {
            (None, _, _) => "-".to_string(),
            (Some(_), false, _) => "paused (Enabled false)".to_string(),
            (Some(_), true, Some(next)) => next.clone(),
            (Some(expression), true, None) if expression.starts_with("rate(") => {
                "counted from the deploy".to_string()
            }
            (Some(_), true, None) => "never".to_string(),
        };
        table.add_row([
            row.name.clone(),
            schedule,
            next,
            row.last_run.clone().unwrap_or_else(|| "-".into()),
            row.last_status
                .map(|status| status.to_string())
                .unwrap_or_else(|| "-".into()),
            row.last_started
                .map(|at| at.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    table.trim_fmt() + "\n"
}
