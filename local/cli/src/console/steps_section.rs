//! Each step with its attempts: EMR step id, state, times, EMR's FailureDetails, links to the
//! AWS consoles (on AWS), and its logs — the stderr and stdout tails, fetched when the step
//! is opened (the failed step's stderr comes with the page), and the whole log to download.

use emrflow_core::emr::FailureDetails;
use emrflow_core::handlers::AttemptReport;
use emrflow_executions::events::parse_time;
use emrflow_executions::StepView;
use emrflow_vocabulary::logs::{LogStream, LogTail, ProbableCause};
use emrflow_vocabulary::s3::parse_s3_uri;
use maud::{html, Markup};

use super::page::{attempt_class, encode, step_class};
use crate::render::duration_text;

/// The stderr tail that comes with the page: which step and attempt, and what was read.
pub struct InlineLog {
    pub step: String,
    pub attempt: u32,
    /// The tail, or why there is none (not uploaded yet, no LogUri, …).
    pub tail: Result<LogTail, String>,
    /// The line of its stderr or stdout that explains the failure, as `show` finds it.
    pub probable: Option<ProbableCause>,
}

/// Where the AWS console links point (None locally).
pub struct AwsLinks<'a> {
    pub region: &'a str,
    pub cluster_id: Option<&'a str>,
}

impl AwsLinks<'_> {
    fn cluster(&self) -> Option<String> {
        let region = self.region;
        self.cluster_id.map(|cluster| {
            format!("https://{region}.console.aws.amazon.com/emr/home?region={region}#/clusterDetails/{cluster}")
        })
    }

    fn log_folder(&self, location: &str) -> Option<String> {
        let location = parse_s3_uri(location).ok()?;
        Some(format!(
            "https://s3.console.aws.amazon.com/s3/buckets/{}?region={}&prefix={}",
            encode(location.bucket),
            self.region,
            encode(location.key)
        ))
    }
}

/// `/runs/<name>/log?step=…&attempt=…&stream=…` (`&download=1` for the whole file).
pub fn log_href(execution: &str, step: &str, attempt: u32, stream: LogStream) -> String {
    format!(
        "/runs/{}/log?step={}&attempt={attempt}&stream={}",
        encode(execution),
        encode(step),
        stream.name()
    )
}

/// The steps as a list of `<details>`, step `index` with id `step-<index>` (the graph's
/// boxes link there); the step of `inline` opens with its stderr.
pub fn steps_section(
    execution: &str,
    steps: &[StepView],
    order: &[String],
    inline: Option<&InlineLog>,
    aws: Option<&AwsLinks<'_>>,
) -> Markup {
    html! {
        @for step in steps {
            @let index = order.iter().position(|name| *name == step.name);
            @let anchor = index.map(|index| format!("step-{index}")).unwrap_or_default();
            @let open = inline.is_some_and(|log| log.step == step.name);
            details.step id=[index.map(|_| anchor.clone())] data-step=(step.name) open[open] {
                summary {
                    span.step-name { (step.name) }
                    span.badge.(step_class(step.state)) { (step.state.as_str()) }
                    span.muted { (step.attempts.len()) " attempt" @if step.attempts.len() != 1 { "s" } }
                }
                @if step.attempts.is_empty() {
                    @match &step.skip_reason {
                        Some(reason) => p.muted { "No attempt was submitted: SKIPPED, " (reason) "." },
                        None => p.muted { "No attempt was submitted." },
                    }
                }
                @for attempt in &step.attempts {
                    (attempt_block(execution, step, attempt, inline, aws))
                }
            }
        }
    }
}

fn attempt_block(
    execution: &str,
    step: &StepView,
    attempt: &AttemptReport,
    inline: Option<&InlineLog>,
    aws: Option<&AwsLinks<'_>>,
) -> Markup {
    let started = attempt.started_at.as_deref().and_then(parse_time);
    let ended = attempt.ended_at.as_deref().and_then(parse_time);
    let shown = inline.filter(|log| log.step == step.name && log.attempt == attempt.attempt);
    html! {
        div.attempt {
            h4 {
                "Attempt " (attempt.attempt) " "
                span.badge.(attempt_class(attempt.state)) { (attempt.state.as_str()) }
                " " code.step-id { (attempt.step_id) }
            }
            dl.facts {
                dt { "started" } dd { (attempt.started_at.as_deref().unwrap_or("-")) }
                dt { "ended" } dd { (attempt.ended_at.as_deref().unwrap_or("-")) }
                @if let (Some(started), Some(ended)) = (started, ended) {
                    dt { "ran" } dd { (duration_text(ended - started)) }
                }
                @if let Some(location) = &attempt.log_location {
                    dt { "logs" } dd { code { (location) } }
                }
            }
            @if attempt.failure_details.is_some() {
                p.failure { (FailureDetails::describe(attempt.failure_details.as_ref())) }
            }
            @if let Some(aws) = aws {
                p.links {
                    @if let Some(url) = aws.cluster() {
                        a href=(url) rel="noreferrer" target="_blank" { "EMR console: the cluster's steps" }
                    }
                    @if let Some(url) = attempt.log_location.as_deref().and_then(|l| aws.log_folder(l)) {
                        " · " a href=(url) rel="noreferrer" target="_blank" { "S3 console: the log folder" }
                    }
                }
            }
            @if attempt.log_location.is_some() {
                @for stream in [LogStream::Stderr, LogStream::Stdout] {
                    @let href = log_href(execution, &step.name, attempt.attempt, stream);
                    div.log {
                        div.log-head {
                            strong { (stream.name()) }
                            " · " a href={(href) "&download=1"} download { "download the whole log" }
                        }
                        @match (stream, shown) {
                            (LogStream::Stderr, Some(log)) => { (log_tail(&log.tail)) }
                            _ => { div.log-body data-log-src=(href) { span.muted { "Open the step to load the end of this log." } } }
                        }
                    }
                }
            } @else {
                p.muted { "The cluster has no LogUri: EMR keeps step logs only on the cluster's primary node." }
            }
        }
    }
}

/// A log's tail as shown on the page (or why it cannot be).
pub fn log_tail(tail: &Result<LogTail, String>) -> Markup {
    html! {
        @match tail {
            Ok(tail) => {
                div.log-body.loaded {
                    p.muted {
                        @if tail.first_line() > 1 {
                            "last " (tail.lines.len()) " of " (tail.total_lines) " lines"
                        } @else {
                            (tail.total_lines) " line" @if tail.total_lines != 1 { "s" }
                        }
                    }
                    pre { @for line in &tail.lines { (line) "\n" } }
                }
            }
            Err(problem) => { div.log-body.loaded { p.problem-text { (problem) } } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emrflow_core::emr::PipelineStepState;

    #[test]
    fn a_step_never_submitted_says_why_it_was_skipped() {
        // GIVEN a re-run's step skipped because it completed in the original
        let step = StepView {
            name: "curate_orders".into(),
            state: PipelineStepState::Skipped,
            skip_reason: Some("completed in etl-2026-11-21 (s-1ABC)".into()),
            attempts: Vec::new(),
        };
        // WHEN the steps section is drawn
        let html = steps_section("etl-2026-11-21-r2", &[step], &[], None, None).into_string();
        // THEN it says SKIPPED and where the step completed
        assert!(
            html.contains(
                "No attempt was submitted: SKIPPED, completed in etl-2026-11-21 (s-1ABC)."
            ),
            "{html}"
        );
    }
}
