//! Stop and Re-run, only with `--allow-actions`: forms that POST this launch's token
//! (checked here) from this console's pages (checked by [`guard`](super::guard)). Stop is
//! StopExecution (the reaper, or the local run itself, cleans up); Re-run starts a new
//! execution with the same input.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::Utc;
use emrflow_executions::ExecutionStatus;
use maud::{html, Markup};
use serde::Deserialize;

use super::guard::same_token;
use super::page::{respond, run_href, secure, shell, Problem};
use super::Console;

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    pub token: String,
}

/// The buttons of a run's page (nothing without `--allow-actions`).
pub fn action_buttons(console: &Console, name: &str, status: ExecutionStatus) -> Markup {
    let Some(token) = &console.token else {
        return html! {};
    };
    html! {
        div.actions {
            @if status == ExecutionStatus::Running {
                form method="post" action={(run_href(name)) "/stop"} {
                    input type="hidden" name="token" value=(token);
                    button.danger type="submit" { "Stop" }
                }
            }
            form method="post" action={(run_href(name)) "/rerun"} {
                input type="hidden" name="token" value=(token);
                button type="submit" { "Re-run (same input)" }
            }
        }
    }
}

fn authorised(console: &Console, form: &ActionForm) -> Result<(), Problem> {
    match &console.token {
        None => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "Actions are off",
            "this console is read-only; start it with --allow-actions to stop and re-run executions",
        )),
        Some(token) if same_token(&form.token, token) => Ok(()),
        Some(_) => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "Refused",
            "the request does not carry this console's token: reload the page and try again",
        )),
    }
}

pub async fn stop(
    State(console): State<Arc<Console>>,
    Path(name): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, Problem> {
    authorised(&console, &form)?;
    let outcome = console
        .backend
        .executions
        .stop(&name, None, Some("stopped from emrflow console"))
        .await
        .map_err(|error| Problem::new(StatusCode::BAD_GATEWAY, "Not stopped", error.to_string()))?;
    let title = if outcome.stopped {
        "Stopped"
    } else {
        "Not stopped"
    };
    let body = html! {
        section {
            h1 { (title) " " (name) }
            p { (outcome.note) }
            p { a href=(run_href(&name)) { "Back to the run" } }
        }
    };
    Ok(respond(
        StatusCode::OK,
        shell(title, html! { a href="/" { "Runs" } }, body),
    ))
}

pub async fn rerun(
    State(console): State<Arc<Console>>,
    Path(name): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, Problem> {
    authorised(&console, &form)?;
    let record = console
        .backend
        .executions
        .record(&name)
        .await
        .map_err(|error| Problem::not_found(format!("No execution {name}"), error.to_string()))?;
    let input = record
        .execution
        .input
        .clone()
        .unwrap_or_else(|| "{}".into());
    let new_name = format!("rerun-{}", Utc::now().format("%Y%m%dT%H%M%SZ"));
    let started = console
        .backend
        .executions
        .start(&new_name, &input)
        .await
        .map_err(|error| Problem::new(StatusCode::BAD_GATEWAY, "Not started", error.to_string()))?;
    let mut response = StatusCode::SEE_OTHER.into_response();
    secure(&mut response);
    if let Ok(location) = HeaderValue::from_str(&run_href(&started.name)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}
