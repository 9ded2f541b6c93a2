//! What every page shares: the HTML shell (title, navigation, the one stylesheet and
//! script, served from the binary), the error page, and the words and colours of states.
//! Every value reaches the HTML through maud, which escapes it.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use emrflow_core::emr::PipelineStepState;
use emrflow_executions::ExecutionStatus;
use maud::{html, Markup, PreEscaped, DOCTYPE};

pub const STYLESHEET: &str = include_str!("assets/console.css");
pub const SCRIPT: &str = include_str!("assets/console.js");

/// Nothing but this server's own files: no inline script, no other origin, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A whole page: `live` is the part the script refreshes (its own fragment request).
pub fn shell(title: &str, crumbs: Markup, live: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · emrflow console" }
                link rel="stylesheet" href="/assets/console.css";
                script src="/assets/console.js" {}
            }
            body {
                header.top {
                    a.brand href="/" { "emrflow" }
                    nav { (crumbs) }
                }
                main { (live) }
            }
        }
    }
}

/// The refreshed part of a page: while `active`, the script asks for it again every
/// `seconds` and swaps it in place (no reload).
pub fn live_region(active: bool, seconds: u32, content: Markup) -> Markup {
    html! {
        div #live data-live=(if active { "active" } else { "done" }) data-interval=(seconds) {
            (content)
        }
    }
}

/// An HTML response with the console's security headers.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup).into_response();
    secure(&mut response);
    response
}

/// The headers every response carries.
pub fn secure(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A page that could not be shown, in words: what was asked, what went wrong, what to do.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub title: String,
    pub message: String,
}

impl Problem {
    pub fn new(status: StatusCode, title: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            status,
            title: title.into(),
            message: message.into(),
        }
    }

    pub fn not_found(title: impl Into<String>, message: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, title, message)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = shell(
            &self.title,
            html! { span { (self.title) } },
            html! {
                section.problem {
                    h1 { (self.title) }
                    p.message { (self.message) }
                    p { a href="/" { "All runs" } }
                }
            },
        );
        respond(self.status, body)
    }
}

/// The CSS class of a pipeline step's state (its colour in the graph, the Gantt and lists).
pub fn step_class(state: PipelineStepState) -> &'static str {
    match state {
        PipelineStepState::Completed => "st-completed",
        PipelineStepState::Failed => "st-failed",
        PipelineStepState::TimedOut => "st-timed-out",
        PipelineStepState::Cancelled | PipelineStepState::CancelPending => "st-cancelled",
        PipelineStepState::Interrupted => "st-interrupted",
        PipelineStepState::Running => "st-running",
        PipelineStepState::Pending | PipelineStepState::Ready => "st-pending",
        PipelineStepState::RetryPending => "st-retry",
        PipelineStepState::Skipped => "st-skipped",
        PipelineStepState::Waiting => "st-waiting",
    }
}

/// The CSS class of one attempt's EMR state.
pub fn attempt_class(state: PipelineStepState) -> &'static str {
    step_class(state)
}

/// The CSS class of an execution's status.
pub fn status_class(status: ExecutionStatus) -> &'static str {
    match status {
        ExecutionStatus::Succeeded => "ex-succeeded",
        ExecutionStatus::Running => "ex-running",
        ExecutionStatus::Aborted => "ex-aborted",
        ExecutionStatus::PendingRedrive => "ex-pending",
        ExecutionStatus::Failed | ExecutionStatus::TimedOut => "ex-failed",
    }
}

/// A status as a coloured badge.
pub fn status_badge(status: ExecutionStatus) -> Markup {
    html! { span.badge.(status_class(status)) data-status=(status.as_str()) { (status.as_str()) } }
}

/// `2026-11-21 06:00:03 UTC`.
pub fn date_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A path segment or query value, percent-encoded.
pub fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `/runs/<name>`.
pub fn run_href(name: &str) -> String {
    format!("/runs/{}", encode(name))
}

/// `/pipelines/<name>`.
pub fn pipeline_href(name: &str) -> String {
    format!("/pipelines/{}", encode(name))
}

/// Text that is already HTML (the output of another maud template).
pub fn raw(text: String) -> PreEscaped<String> {
    PreEscaped(text)
}
