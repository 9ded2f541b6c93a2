//! A step's log: its tail as a piece of the run page (fetched when a step is opened), or the
//! whole file to download, read through the backend's log store as `emrflow logs` reads it.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use emrflow_vocabulary::logs::LogStream;
use serde::Deserialize;

use super::page::{respond, secure, Problem};
use super::steps_section::log_tail;
use super::Console;
use crate::operate::logs::{log_uri, not_there_yet};

/// Lines of a log shown on the page (the download has them all).
pub const TAIL_LINES: usize = 200;

#[derive(Debug, Deserialize)]
pub struct LogQuery {
    pub step: String,
    pub attempt: u32,
    pub stream: String,
    pub download: Option<String>,
}

pub async fn step_log(
    State(console): State<Arc<Console>>,
    Path(name): Path<String>,
    Query(query): Query<LogQuery>,
) -> Result<Response, Problem> {
    let stream = LogStream::ALL
        .into_iter()
        .find(|stream| stream.name() == query.stream)
        .ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "Unknown log",
                format!(
                    "'{}' is not a step log (stderr, stdout, controller)",
                    query.stream
                ),
            )
        })?;
    let record = console
        .backend
        .executions
        .record(&name)
        .await
        .map_err(|error| Problem::not_found(format!("No execution {name}"), error.to_string()))?;
    let steps = console
        .backend
        .steps_of(&record)
        .await
        .map_err(|problem| {
            Problem::new(
                StatusCode::BAD_GATEWAY,
                "The steps could not be read",
                problem,
            )
        })?
        .unwrap_or_default();
    let missing = || {
        Problem::not_found(
            "No such step attempt",
            format!(
                "{name} has no attempt {} of a step '{}'",
                query.attempt, query.step
            ),
        )
    };
    let step = steps
        .iter()
        .find(|step| step.name == query.step)
        .ok_or_else(missing)?;
    let attempt = step
        .attempts
        .iter()
        .find(|attempt| attempt.attempt == query.attempt)
        .ok_or_else(missing)?;
    let uri = log_uri(attempt, stream).map_err(|problem| Problem::not_found("No log", problem))?;
    if query.download.is_some() {
        let bytes = console
            .backend
            .logs
            .read(&uri)
            .await
            .map_err(|problem| {
                Problem::new(
                    StatusCode::BAD_GATEWAY,
                    "The log could not be read",
                    problem,
                )
            })?
            .ok_or_else(|| {
                Problem::not_found("No log yet", not_there_yet(&uri, &step.name, attempt))
            })?;
        return Ok(download(
            bytes,
            &format!(
                "{name}-{}-{}-{}",
                step.name,
                attempt.attempt,
                stream.file_name()
            ),
        ));
    }
    let tail = match console.backend.logs.tail(&uri, TAIL_LINES).await {
        Ok(Some(tail)) => Ok(tail),
        Ok(None) => Err(not_there_yet(&uri, &step.name, attempt)),
        Err(problem) => Err(problem),
    };
    Ok(respond(StatusCode::OK, log_tail(&tail)))
}

/// The file as stored (EMR's gzip), under a name made of safe characters.
fn download(bytes: Vec<u8>, name: &str) -> Response {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let gzip = bytes.starts_with(&[0x1f, 0x8b]);
    let (kind, file) = if gzip {
        ("application/gzip", safe)
    } else {
        (
            "text/plain; charset=utf-8",
            safe.trim_end_matches(".gz").to_string(),
        )
    };
    let mut response = bytes.into_response();
    secure(&mut response);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
