//! `emrflow show EXECUTION`: the console's view of one execution in a terminal.

use chrono::Utc;
use clap::Args;
use emrflow_executions::{console_url, ExecutionRecord, ExecutionStatus, StepView};

use super::{json_text, Backend, BackendKind, Printed, Target};
use crate::render::show::ExecutionView;

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
    let view = ExecutionView::of(&record, steps, console);
    if args.target.json {
        return json_text(&view).map(Printed::ok);
    }
    let next = next_command(backend, &record, view.steps.as_deref());
    Ok(Printed::ok(view.text(Utc::now(), next)))
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
    if steps.iter().any(|step| step.failed_attempt().is_some()) {
        return Some(format!(
            "emrflow logs {local}{name}   (the failed step's stderr)"
        ));
    }
    let last = steps.iter().rev().find(|step| !step.attempts.is_empty())?;
    Some(format!(
        "emrflow logs {local}{name} --step '{}'   (the last step's stderr)",
        last.name
    ))
}
