//! A pipeline's page: its step graph, its schedule (from the deployed spec: expression, time
//! zone, whether it is enabled, the next start), what its recent runs cost, and those runs.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use emrflow_core::PipelineSpec;
use emrflow_executions::ListFilter;
use maud::{html, Markup};

use super::data::execution_pipeline;
use super::graph::StepGraph;
use super::page::{live_region, respond, shell, Problem};
use super::runs_page::{read_rows, runs_table, Row};
use super::Console;

/// Executions read to find a pipeline's recent runs.
const RECENT: usize = 100;
const REFRESH_SECONDS: u32 = 5;

pub async fn pipeline_page(
    State(console): State<Arc<Console>>,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    let rows = read_rows(
        &console,
        ListFilter {
            status: None,
            limit: RECENT,
        },
    )
    .await
    .map_err(|problem| {
        Problem::new(
            StatusCode::BAD_GATEWAY,
            "The executions could not be listed",
            problem,
        )
    })?;
    let runs: Vec<&Row> = rows
        .iter()
        .filter(|row| row.pipeline.as_deref() == Some(name.as_str()))
        .collect();
    let spec = spec_of(&console, &name, &runs).await;
    if runs.is_empty() && spec.is_none() {
        return Err(Problem::not_found(
            format!("No pipeline {name}"),
            format!("none of the last {RECENT} executions ran a pipeline named '{name}', and the console's pipeline file is another one"),
        ));
    }
    let active = runs
        .iter()
        .any(|row| row.run.as_ref().is_ok_and(|run| !run.status.has_ended()));
    let body = html! {
        h1 { "Pipeline " (name) }
        section {
            h2 { "Step graph" }
            @match &spec {
                Some(spec) => { div.scroll { (StepGraph::of(Some(spec), None).svg(false)) } }
                None => { p.muted { "The spec of this pipeline is not at hand (give the console --pipelines DIR or --pipeline FILE)." } }
            }
        }
        (schedule_section(spec.as_ref()))
        (cost_section(&runs))
        section {
            h2 { "Recent runs" }
            (live_region(active, REFRESH_SECONDS, runs_table(&runs)))
        }
    };
    let crumbs = html! { a href="/" { "Runs" } " › " span { (name) } };
    Ok(respond(StatusCode::OK, shell(&name, crumbs, body)))
}

/// The spec: the deployed pipeline of this name, else the newest run's.
async fn spec_of(console: &Console, name: &str, runs: &[&Row]) -> Option<PipelineSpec> {
    if let Some(spec) = console.pipelines.get(name) {
        return Some(spec.clone());
    }
    for row in runs.iter().take(5) {
        if let Ok(record) = console.backend.executions.record(&row.name).await {
            if let Some(spec) = execution_pipeline(&record, &console.pipelines) {
                return Some(spec);
            }
        }
    }
    None
}

/// The pipeline's schedule as deployed: its expression in its time zone, paused or not, and
/// the next start; a spec without one starts only by hand.
pub fn schedule_section(spec: Option<&PipelineSpec>) -> Markup {
    let schedule = spec.and_then(|spec| spec.schedule.as_ref());
    let next = schedule.and_then(|schedule| match schedule.next_start(chrono::Utc::now()) {
        Ok(Some(at)) => Some(at.format("%Y-%m-%d %H:%M %Z").to_string()),
        _ => None,
    });
    html! {
        section #schedule {
            h2 { "Schedule" }
            @match (spec, schedule) {
                (None, _) => { p.muted { "The spec of this pipeline is not at hand." } }
                (Some(_), None) => { p { "No schedule: it starts only by hand." } }
                (Some(_), Some(schedule)) => {
                    p {
                        code { (schedule.expression().unwrap_or_else(|error| error.to_string())) }
                        " in " (schedule.timezone_name())
                        @if !schedule.enabled() { " — " strong { "paused" } " (Enabled: false)" }
                    }
                    @if let (true, Some(next)) = (schedule.enabled(), next) {
                        p { "Next start: " (next) }
                    }
                }
            }
        }
    }
}

/// What the pipeline's recent runs cost: their estimates (each run's output `Cost`) summed.
pub fn cost_section(runs: &[&Row]) -> Markup {
    let priced: Vec<f64> = runs
        .iter()
        .filter_map(|row| row.run.as_ref().ok()?.cost_usd)
        .collect();
    let total: f64 = priced.iter().sum();
    html! {
        section #cost {
            h2 { "Cost" }
            @if priced.is_empty() {
                p.muted { "None of its recent runs has a cost estimate yet." }
            } @else {
                p {
                    strong { (format!("${total:.2}")) }
                    " estimated over its last " (priced.len()) " priced run(s), "
                    (format!("${:.2}", total / priced.len() as f64)) " a run (EC2 and EMR list prices; see each run's Cost)."
                }
            }
        }
    }
}
