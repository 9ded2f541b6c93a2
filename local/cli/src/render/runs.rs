//! `emrflow runs`: one row per execution — name, pipeline, status, processing date,
//! duration, cluster, the failing error.

use chrono::{DateTime, Utc};
use emrflow_executions::{ExecutionRecord, ExecutionStatus};
use serde::Serialize;

use super::{duration_text, plain_table};

/// One execution as `runs` lists it (its JSON shape with `--json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRow {
    pub name: String,
    pub execution_arn: String,
    /// The pipeline it ran (its input's PipelineName, else Validate_Input's).
    pub pipeline: Option<String>,
    pub status: ExecutionStatus,
    pub processing_date: Option<String>,
    pub start_date: DateTime<Utc>,
    pub stop_date: Option<DateTime<Utc>>,
    pub duration_seconds: i64,
    pub cluster_id: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// The run's estimated cost in USD (its output's `Cost`), once its last look priced it.
    pub cost_usd: Option<f64>,
}

impl RunRow {
    /// The cost column: `$1.09`, or `-` while none is known.
    pub fn cost_text(&self) -> String {
        self.cost_usd
            .map_or_else(|| "-".to_string(), |usd| format!("${usd:.2}"))
    }

    pub fn of(record: &ExecutionRecord, now: DateTime<Utc>) -> RunRow {
        let failure = record.failure();
        RunRow {
            name: record.name().to_string(),
            execution_arn: record.execution.execution_arn.clone(),
            pipeline: record.pipeline_name(),
            status: record.execution.status,
            processing_date: record.processing_date(),
            start_date: record.execution.start_date,
            stop_date: record.execution.stop_date,
            duration_seconds: record.duration(now).num_seconds(),
            cluster_id: record.cluster_id().map(str::to_string),
            error: failure.as_ref().and_then(|failure| failure.error.clone()),
            cause: failure.and_then(|failure| failure.cause),
            cost_usd: record
                .last_check
                .as_ref()
                .and_then(|check| check.cost.as_ref())
                .map(|cost| cost.estimated_usd),
        }
    }
}

/// Longer causes are cut in the table (`show` has them whole).
const CAUSE_CHARS: usize = 60;

/// The table of `rows`, newest first as given.
pub fn runs_table(rows: &[RunRow]) -> String {
    let mut table = plain_table([
        "EXECUTION",
        "PIPELINE",
        "STATUS",
        "DATE",
        "STARTED (UTC)",
        "DURATION",
        "CLUSTER",
        "COST",
        "ERROR",
    ]);
    for row in rows {
        let error = match (&row.error, &row.cause) {
            (Some(error), Some(cause)) => format!("{error}: {}", cut(cause, CAUSE_CHARS)),
            (Some(error), None) => error.clone(),
            (None, Some(cause)) => cut(cause, CAUSE_CHARS),
            (None, None) => String::new(),
        };
        table.add_row([
            row.name.clone(),
            row.pipeline.clone().unwrap_or_else(|| "-".into()),
            row.status.to_string(),
            row.processing_date.clone().unwrap_or_else(|| "-".into()),
            row.start_date.format("%Y-%m-%d %H:%M").to_string(),
            duration_text(chrono::Duration::seconds(row.duration_seconds)),
            row.cluster_id.clone().unwrap_or_else(|| "-".into()),
            row.cost_text(),
            error,
        ]);
    }
    table.trim_fmt() + "\n"
}

/// `text` cut to `chars` characters, saying so.
pub fn cut(text: &str, chars: usize) -> String {
    let one_line = text.replace('\n', " ");
    if one_line.chars().count() <= chars {
        return one_line;
    }
    let kept: String = one_line.chars().take(chars.saturating_sub(1)).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cost_usd: Option<f64>) -> RunRow {
        RunRow {
            name: "daily-etl-2026-11-21".into(),
            execution_arn: "arn:aws:states:us-east-1:1:execution:emrflow:daily-etl-2026-11-21"
                .into(),
            pipeline: Some("daily-etl".into()),
            status: ExecutionStatus::Succeeded,
            processing_date: Some("2026-11-21".into()),
            start_date: DateTime::default(),
            stop_date: None,
            duration_seconds: 720,
            cluster_id: Some("j-1".into()),
            error: None,
            cause: None,
            cost_usd,
        }
    }

    #[test]
    fn the_cost_column_is_the_runs_estimate_or_a_dash() {
        // GIVEN a run priced at its last look and one not (yet) priced
        // WHEN listed THEN the estimate in dollars, and a dash
        let table = runs_table(&[row(Some(1.0880)), row(None)]);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].contains("COST"), "{table}");
        assert!(lines[1].contains("$1.09"), "{table}");
        assert!(lines[2].trim_end().ends_with(" -"), "{table}");
    }
}
