//! The runs page: the newest executions, one row each — pipeline, processing date, status,
//! start, duration, cluster, error — filtered by pipeline and status, refreshing while any
//! of them runs. Rows are `emrflow runs`' ([`RunRow`]), read through the same port.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use emrflow_executions::{ExecutionStatus, ListFilter};
use maud::{html, Markup};
use serde::Deserialize;

use super::page::{
    date_time, live_region, pipeline_href, respond, run_href, shell, status_badge, Problem,
};
use super::Console;
use crate::render::duration_text;
use crate::render::runs::{cut, RunRow};

/// Rows shown unless `?limit=` says otherwise.
pub const DEFAULT_LIMIT: usize = 100;
/// The most rows one page reads.
pub const MAX_LIMIT: usize = 1000;
/// Characters of an error's cause in a row (the run's page has it whole).
const CAUSE_CHARS: usize = 90;
const REFRESH_SECONDS: u32 = 5;

#[derive(Debug, Default, Deserialize)]
pub struct RunsQuery {
    pub pipeline: Option<String>,
    pub status: Option<String>,
    pub limit: Option<usize>,
    pub fragment: Option<String>,
}

/// One row: the run, its pipeline, or why its record could not be read.
pub struct Row {
    pub name: String,
    pub pipeline: Option<String>,
    pub run: Result<RunRow, String>,
}

/// The rows of `filter`, newest first, each record read whole (as `emrflow runs` does).
pub async fn read_rows(console: &Console, filter: ListFilter) -> Result<Vec<Row>, String> {
    let listed = console
        .backend
        .executions
        .list(filter)
        .await
        .map_err(|error| error.to_string())?;
    let now = Utc::now();
    let mut rows = Vec::with_capacity(listed.len());
    for summary in listed {
        let row = match console
            .backend
            .executions
            .record(&summary.execution_arn)
            .await
        {
            Ok(record) => Row {
                name: summary.name,
                pipeline: record.summary.as_ref().map(|s| s.pipeline_name.clone()),
                run: Ok(RunRow::of(&record, now)),
            },
            Err(error) => Row {
                name: summary.name,
                pipeline: None,
                run: Err(error.to_string()),
            },
        };
        rows.push(row);
    }
    Ok(rows)
}

pub async fn runs_page(
    State(console): State<Arc<Console>>,
    Query(query): Query<RunsQuery>,
) -> Result<Response, Problem> {
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(ExecutionStatus::from_name(text).ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "Unknown status",
                format!("'{text}' is not an execution status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED)"),
            )
        })?),
    };
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let rows = read_rows(&console, ListFilter { status, limit })
        .await
        .map_err(|problem| {
            Problem::new(
                StatusCode::BAD_GATEWAY,
                "The executions could not be listed",
                problem,
            )
        })?;
    let pipelines = pipelines_of(&rows);
    let wanted = query.pipeline.as_deref().filter(|p| !p.is_empty());
    let shown: Vec<&Row> = rows
        .iter()
        .filter(|row| wanted.is_none_or(|wanted| row.pipeline.as_deref() == Some(wanted)))
        .collect();
    let active = shown.iter().any(|row| {
        row.run
            .as_ref()
            .is_ok_and(|run| run.status == ExecutionStatus::Running)
    });
    let live = live_region(active, REFRESH_SECONDS, runs_table(&shown));
    if query.fragment.is_some() {
        return Ok(respond(StatusCode::OK, live));
    }
    let body = html! {
        h1 { "Runs" }
        (filters(&pipelines, wanted, status, limit))
        (live)
    };
    Ok(respond(
        StatusCode::OK,
        shell("Runs", html! { span { "Runs" } }, body),
    ))
}

/// The pipelines among `rows`, sorted.
pub fn pipelines_of(rows: &[Row]) -> Vec<String> {
    let mut names: Vec<String> = rows.iter().filter_map(|row| row.pipeline.clone()).collect();
    names.sort();
    names.dedup();
    names
}

fn filters(
    pipelines: &[String],
    wanted: Option<&str>,
    status: Option<ExecutionStatus>,
    limit: usize,
) -> Markup {
    html! {
        form.filters method="get" action="/" {
            label {
                "pipeline "
                select name="pipeline" {
                    option value="" { "all" }
                    @for name in pipelines {
                        option value=(name) selected[wanted == Some(name.as_str())] { (name) }
                    }
                }
            }
            label {
                " status "
                select name="status" {
                    option value="" { "all" }
                    @for choice in [ExecutionStatus::Running, ExecutionStatus::Succeeded, ExecutionStatus::Failed, ExecutionStatus::TimedOut, ExecutionStatus::Aborted] {
                        option value=(choice.as_str()) selected[status == Some(choice)] { (choice.as_str()) }
                    }
                }
            }
            input type="hidden" name="limit" value=(limit);
            " " button type="submit" { "Show" }
        }
    }
}

/// The table of rows (also the pipeline page's recent runs).
pub fn runs_table(rows: &[&Row]) -> Markup {
    html! {
        @if rows.is_empty() {
            p.muted { "No executions." }
        } @else {
            table.runs {
                thead { tr { th { "execution" } th { "pipeline" } th { "date" } th { "status" } th { "started" } th { "duration" } th { "cluster" } th { "cost" } th { "error" } } }
                tbody {
                    @for row in rows {
                        tr data-execution=(row.name) {
                            td { a href=(run_href(&row.name)) { (row.name) } }
                            td { @if let Some(pipeline) = &row.pipeline { a href=(pipeline_href(pipeline)) { (pipeline) } } }
                            @match &row.run {
                                Ok(run) => {
                                    td { (run.processing_date.as_deref().unwrap_or("-")) }
                                    td { (status_badge(run.status)) }
                                    td { (date_time(run.start_date)) }
                                    td { (duration_text(chrono::Duration::seconds(run.duration_seconds))) }
                                    td { code { (run.cluster_id.as_deref().unwrap_or("-")) } }
                                    td.cost { (run.cost_text()) }
                                    td.error {
                                        @if let Some(error) = &run.error { code.error-name { (error) } " " }
                                        @if let Some(cause) = &run.cause { span title=(cause) { (cut(cause, CAUSE_CHARS)) } }
                                    }
                                }
                                Err(problem) => {
                                    td.problem-text colspan="7" { "This execution's record cannot be read: " (problem) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
