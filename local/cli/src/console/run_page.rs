//! The page of one run: what it was asked to do and how it ended (the error, the cause and
//! the probable cause), the step graph coloured by state, the Gantt of every attempt, each
//! step with its logs, and the compact path the state machine took. While the run goes on
//! the page refreshes its live part in place.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use emrflow_core::ErrorName;
use emrflow_executions::{console_url, ExecutionStatus};
use emrflow_vocabulary::logs::LogStream;
use maud::{html, Markup};
use serde::Deserialize;
use std::sync::Arc;

use super::actions::action_buttons;
use super::data::{load_run, RunData};
use super::gantt::{gantt, submissions};
use super::graph::StepGraph;
use super::page::{date_time, live_region, pipeline_href, respond, shell, status_badge, Problem};
use super::path::state_path;
use super::steps_section::{steps_section, AwsLinks, InlineLog};
use super::Console;
use crate::operate::cause::{explain, Explanation};
use crate::operate::logs::{log_uri, not_there_yet};
use crate::render::duration_text;
use emrflow_executions::step_to_explain;

/// Lines of the failed step's stderr that come with the page.
const INLINE_TAIL_LINES: usize = 40;
/// Seconds between two refreshes of a running execution.
const REFRESH_SECONDS: u32 = 2;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    /// `live`: only the refreshed part (the script's request).
    pub fragment: Option<String>,
}

pub async fn run_page(
    State(console): State<Arc<Console>>,
    Path(name): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, Problem> {
    let data = load_run(&console, &name).await?;
    let inline = inline_log(&console, &data).await;
    let live = live_region(
        !data.record.execution.status.has_ended(),
        REFRESH_SECONDS,
        run_body(&console, &data, inline.as_ref()),
    );
    if query.fragment.is_some() {
        return Ok(respond(StatusCode::OK, live));
    }
    let pipeline = data
        .record
        .summary
        .as_ref()
        .map(|s| s.pipeline_name.clone());
    let crumbs = html! {
        a href="/" { "Runs" }
        @if let Some(pipeline) = &pipeline {
            " › " a href=(pipeline_href(pipeline)) { (pipeline) }
        }
        " › " span { (data.record.name()) }
    };
    Ok(respond(
        StatusCode::OK,
        shell(data.record.name(), crumbs, live),
    ))
}

/// The stderr tail of the step that explains a failure (as `emrflow logs` picks it).
async fn inline_log(console: &Console, data: &RunData) -> Option<InlineLog> {
    let step = step_to_explain(data.steps.as_deref()?)?.0;
    let attempt = step.failed_attempt()?;
    let tail = match log_uri(attempt, LogStream::Stderr) {
        Ok(uri) => match console.backend.logs.tail(&uri, INLINE_TAIL_LINES).await {
            Ok(Some(tail)) => Ok(tail),
            Ok(None) => Err(not_there_yet(&uri, &step.name, attempt)),
            Err(problem) => Err(problem),
        },
        Err(problem) => Err(problem),
    };
    let probable = match attempt.log_location.as_deref() {
        Some(folder) => match explain(console.backend.logs.as_ref(), folder, None).await {
            Ok(Explanation::Found { cause, .. }) => Some(cause),
            _ => None,
        },
        None => None,
    };
    Some(InlineLog {
        step: step.name.clone(),
        attempt: attempt.attempt,
        tail,
        probable,
    })
}

fn run_body(console: &Console, data: &RunData, inline: Option<&InlineLog>) -> Markup {
    let record = &data.record;
    let execution = &record.execution;
    let now = Utc::now();
    let ended = execution.status.has_ended();
    let graph = StepGraph::of(data.spec.as_ref(), data.steps.as_deref());
    let order: Vec<String> = graph.nodes.iter().map(|node| node.name.clone()).collect();
    let region = execution
        .execution_arn
        .split(':')
        .nth(3)
        .unwrap_or("us-east-1");
    let aws = (!console.backend.is_local()).then(|| AwsLinks {
        region,
        cluster_id: record.cluster_id(),
    });
    let path = state_path(&record.events);
    html! {
        section.run-head {
            h1 { (record.name()) " " (status_badge(execution.status)) }
            dl.facts {
                @if let Some(summary) = &record.summary {
                    dt { "pipeline" } dd { a href=(pipeline_href(&summary.pipeline_name)) { (summary.pipeline_name) } }
                }
                dt { "processing date" } dd { (record.processing_date().unwrap_or_else(|| "-".into())) }
                dt { "started" } dd { (date_time(execution.start_date)) }
                dt { @if ended { "ran" } @else { "running for" } } dd { (duration_text(record.duration(now))) }
                dt { "cluster" }
                dd {
                    @match &record.cluster {
                        Some(cluster) => {
                            code { (cluster.cluster_id) }
                            " (" @if cluster.created { "created by this execution" } @else { "reused" } ")"
                        }
                        None => { "none yet" }
                    }
                }
                @if let Some(cost) = record.last_check.as_ref().and_then(|check| check.cost.as_ref()) {
                    dt { "cost" } dd.cost { (cost.in_words()) }
                }
                @if let Some(aws) = &aws {
                    dt { "AWS" }
                    dd {
                        a href=(console_url(&execution.execution_arn)) rel="noreferrer" target="_blank" { "Step Functions console" }
                        @if let Some(cluster) = aws.cluster_id {
                            " · " a href={"https://" (aws.region) ".console.aws.amazon.com/emr/home?region=" (aws.region) "#/clusterDetails/" (cluster)} rel="noreferrer" target="_blank" { "EMR console" }
                        }
                    }
                }
            }
            (action_buttons(console, record.name(), execution.status))
        }
        (failure_panel(data, inline))
        section {
            h2 { "Step graph" }
            @if data.spec.is_none() {
                p.muted { "The pipeline spec this run used is not at hand (give the console --pipeline FILE): the steps the record knows are drawn, without their arrows." }
            }
            div.scroll { (graph.svg(ended)) }
            (legend())
        }
        section {
            h2 { "Attempts in time" }
            @match &data.steps {
                Some(steps) if steps.iter().any(|step| !step.attempts.is_empty()) => {
                    div.scroll { (gantt(steps, &submissions(&record.events), execution.start_date, execution.stop_date.unwrap_or(now))) }
                }
                _ => { p.muted { "No step has been submitted." } }
            }
        }
        section {
            h2 { "Steps" }
            @if let Some(problem) = &data.steps_problem {
                p.problem-text { "The steps could not be read: " (problem) }
            }
            @match &data.steps {
                Some(steps) => { (steps_section(record.name(), steps, &order, inline, aws.as_ref())) }
                None => { p.muted { "No cluster yet, so no steps." } }
            }
        }
        section {
            h2 { "Path through the state machine" }
            ol.path {
                @for step in &path {
                    li.loop[step.is_loop()] {
                        @if step.is_loop() { span.muted { "loop: " } }
                        @for (index, (state, times)) in step.states.iter().enumerate() {
                            @if index > 0 { " → " }
                            (state)
                            @if *times > 1 { " " span.times { "× " (times) } }
                        }
                    }
                }
            }
            @for note in &record.unreadable {
                p.problem-text { (note) }
            }
        }
    }
}

/// The error, the cause, and what probably caused it.
fn failure_panel(data: &RunData, inline: Option<&InlineLog>) -> Markup {
    let record = &data.record;
    let Some(failure) = record.failure() else {
        return html! {};
    };
    let probable = probable_cause(data, inline);
    html! {
        section.failure-panel {
            h2 { "Why it ended " (record.execution.status.as_str()) }
            dl.facts {
                @if let Some(error) = &failure.error { dt { "error" } dd { code.error-name { (error) } } }
                @if let Some(cause) = &failure.cause { dt { "cause" } dd.cause { (cause) } }
                @if let Some(probable) = &probable { dt { "probable cause" } dd.probable { (probable) } }
            }
        }
    }
}

/// The failed step's own words (EMR's FailureDetails message, else the line of its stderr or
/// stdout that explains it: the project's one rule, as `show` finds it), or what the error
/// name means.
fn probable_cause(data: &RunData, inline: Option<&InlineLog>) -> Option<String> {
    if let Some(step) = data
        .steps
        .as_deref()
        .and_then(step_to_explain)
        .map(|(step, _)| step)
    {
        let details = step
            .failed_attempt()
            .and_then(|a| a.failure_details.as_ref());
        let words = details
            .and_then(|d| d.message.clone().or_else(|| d.reason.clone()))
            .or_else(|| inline?.probable.as_ref().map(|cause| cause.line.clone()));
        return Some(match words {
            Some(words) => format!("step '{}' failed: {words}", step.name),
            None => format!("step '{}' failed; its stderr is below", step.name),
        });
    }
    if record_aborted(data) {
        return Some("the execution was stopped (StopExecution, Ctrl-C or emrflow stop); the reaper cleans up its cluster".into());
    }
    let error = data.record.failure()?.error?;
    let meaning = match ErrorName::ALL.into_iter().find(|name| name.as_str() == error)? {
        ErrorName::InvalidInput => "the input or the pipeline spec was refused before anything was created: the cause names the key",
        ErrorName::ClusterNotFound | ErrorName::ClusterNotUsable => "the cluster to reuse is gone or not in a state to run steps",
        ErrorName::ClusterFailed => "the cluster ended while the run needed it (bootstrap action, capacity, a terminated cluster): see its state change reason in the cause",
        ErrorName::StepTimedOut => "a step ran past its TimeoutSeconds and was cancelled",
        ErrorName::PipelineTimedOut => "steps were still running after the pipeline's MaxRunMinutes",
        ErrorName::CleanupFailed => "cleanup could not end the cluster: it may still be running and billing — the cause says how to end it",
        ErrorName::EmrThrottled | ErrorName::AwsTransient => "AWS kept answering 'try later' past every retry",
        _ => return None,
    };
    Some(meaning.to_string())
}

fn record_aborted(data: &RunData) -> bool {
    data.record.execution.status == ExecutionStatus::Aborted
}

fn legend() -> Markup {
    html! {
        p.legend {
            @for (class, label) in [
                ("st-completed", "completed"), ("st-running", "running"), ("st-pending", "pending"),
                ("st-retry", "retry pending"), ("st-failed", "failed"), ("st-timed-out", "timed out"),
                ("st-cancelled", "cancelled"), ("st-skipped", "skipped / not run"), ("st-waiting", "waiting"),
            ] {
                span.key.(class) { span.swatch {} (label) }
            }
            span.muted { " · dots: one per attempt" }
        }
    }
}
