//! `emrflow show EXECUTION`: the console's view of one execution in a terminal.

use chrono::Utc;
use clap::Args;
use emrflow_executions::{
    console_url, step_to_explain, ExecutionRecord, ExecutionStatus, StepView,
};

use super::cause::explain;
use super::{json_text, Backend, BackendKind, Printed, Target};
use crate::render::show::{ExecutionView, Why};

#[derive(Args, Debug, Clone)]
pub struct ShowArgs {
    /// The execution's name or ARN.
    pub execution: String,
    #[command(flatten)]
    pub target: Target,
}

pub async fn show(backend: &Backend, args: &ShowArgs) -> Result<Printed, String> {
    let record = backend
        .executions
        .record(&args.execution)
        .await
        .map_err(|error| error.to_string())?;
    let steps = backend.steps_of(&record).await?;
    let console = match backend.kind {
        BackendKind::Aws { .. } => Some(console_url(&record.execution.execution_arn)),
        BackendKind::Local { .. } => None,
    };
    let mut view = ExecutionView::of(&record, steps, console);
    if record.execution.status.is_reaped() {
        view.why = why(backend, view.steps.as_deref(), &mut view.unreadable).await;
    }
    if args.target.json {
        return json_text(&view).map(Printed::ok);
    }
    let next = next_command(backend, &record, view.steps.as_deref());
    Ok(Printed::ok(view.text(Utc::now(), next)))
}

/// The step that explains how the run ended, and what its logs say (a problem reading them
/// goes to `unreadable`).
async fn why(
    backend: &Backend,
    steps: Option<&[StepView]>,
    unreadable: &mut Vec<String>,
) -> Option<Why> {
    let (step, attempt) = step_to_explain(steps?)?;
    let folder = attempt.log_location.as_deref()?;
    match explain(backend.logs.as_ref(), folder, None).await {
        Ok(logs) => Some(Why {
            step: step.name.clone(),
            attempt: attempt.attempt,
            logs,
        }),
        Err(problem) => {
            unreadable.push(format!(
                "the logs of step '{}' could not be read: {problem}",
                step.name
            ));
            None
        }
    }
}

/// What to run next: follow a running execution, read a failed step's stderr, or the log of
/// the step a stopped execution was running.
fn next_command(
    backend: &Backend,
    record: &ExecutionRecord,
    steps: Option<&[StepView]>,
) -> Option<String> {
    let local = &backend.options;
    let name = record.name();
    if record.execution.status == ExecutionStatus::Running {
        return Some(format!("emrflow watch {local}{name}"));
    }
    if !record.execution.status.is_reaped() {
        return None;
    }
    let steps = steps?;
    if let Some((step, attempt)) = step_to_explain(steps) {
        let which = if step.failed_attempt() == Some(attempt) {
            "the failed step's stderr".to_string()
        } else {
            format!("the stderr of step '{}', running when it ended", step.name)
        };
        return Some(format!("emrflow logs {local}{name}   ({which})"));
    }
    let last = steps.iter().rev().find(|step| !step.attempts.is_empty())?;
    Some(format!(
        "emrflow logs {local}{name} --step '{}'   (the last step's stderr)",
        last.name
    ))
}
