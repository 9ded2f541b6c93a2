//! `emrflow stop EXECUTION`: StopExecution. The reaper (reap-execution, behind the
//! EventBridge rule) then cancels its steps and cleans up its cluster; a local run is sent
//! SIGTERM, which does the same before it exits.

use clap::Args;

use super::{json_text, Backend, Printed, Target};

#[derive(Args, Debug, Clone)]
pub struct StopArgs {
    /// The execution's name or ARN.
    pub execution: String,
    /// StopExecution's error (shown as the execution's error).
    #[arg(long)]
    pub error: Option<String>,
    /// StopExecution's cause.
    #[arg(long, default_value = "stopped with emrflow stop")]
    pub cause: String,
    #[command(flatten)]
    pub target: Target,
}

pub async fn stop(backend: &Backend, args: &StopArgs) -> Result<Printed, String> {
    let outcome = backend
        .executions
        .stop(&args.execution, args.error.as_deref(), Some(&args.cause))
        .await
        .map_err(|error| error.to_string())?;
    if args.target.json {
        return json_text(&outcome).map(Printed::ok);
    }
    let what = if outcome.stopped {
        "stopped"
    } else {
        "not stopped"
    };
    Ok(Printed::ok(format!(
        "{what}: {}\n  {}\n",
        outcome.execution_arn, outcome.note
    )))
}
