//! `emrflow show EXECUTION`: the console's view of one execution in a terminal.

use chrono::Utc;
use clap::Args;
use emrflow_executions::{console_url, ExecutionStatus};

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
    let status = record.execution.status;
    let next = match status {
        ExecutionStatus::Running => Some(format!(
            "emrflow watch {}{}",
            backend.local_flag(),
            record.name()
        )),
        status if status.is_reaped() && record.cluster.is_some() => Some(format!(
            "emrflow logs {}{}   (the failed step's stderr)",
            backend.local_flag(),
            record.name()
        )),
        _ => None,
    };
    Ok(Printed::ok(view.text(Utc::now(), next)))
}
