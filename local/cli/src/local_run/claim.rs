//! The name of a `local run`, taken as StartExecution takes one: `--name X` is refused when X
//! exists (ExecutionAlreadyExists) — unless X runs now with the same input: then this run is
//! that execution, and follows it as `emrflow watch` does. Without `--name`, a new name
//! (`local-<UTC time>`, numbered within one second) that no other run has.

use std::path::Path;
use std::process::ExitCode;

use chrono::Utc;
use emrflow_executions::{
    ExecutionDescription, ExecutionStatus, LocalRecorder, LocalRun, NameTaken,
};
use serde_json::Value;

use super::{describe, CliRun};
use crate::operate::{watch, Backend, Target, WatchArgs};

/// What the name gave: a new record, or the running execution that this run is.
pub(super) enum Claim {
    New(LocalRecorder),
    Running(ExecutionDescription),
}

/// Takes the run's name before anything is started.
pub(super) fn claim_name(run: &CliRun, input: &Value) -> Result<Claim, String> {
    let local = LocalRun {
        pid: Some(std::process::id()),
        emr_endpoint: None,
    };
    let running = |name: &str| describe(name, input, ExecutionStatus::Running, Utc::now(), None);
    let Some(name) = &run.name else {
        return LocalRecorder::create_new(&run.root, "local", running, local)
            .map(Claim::New)
            .map_err(|error| error.to_string());
    };
    match LocalRecorder::create(&run.root, running(name), local) {
        Ok(recorder) => Ok(Claim::New(recorder)),
        Err(NameTaken::SameInputRunning(description)) => Ok(Claim::Running(*description)),
        Err(NameTaken::Refused(error)) => Err(format!("{}: {error}", error.name())),
    }
}

/// Follows the execution this run turned out to be, to its end (exit 0 only if it succeeds).
pub(super) async fn follow(
    root: &Path,
    execution: &ExecutionDescription,
) -> Result<ExitCode, String> {
    anstream::eprintln!(
        "execution {} is already running with this input (since {}): as StartExecution answers, this run is that execution; following it",
        execution.name,
        execution.start_date.format("%H:%M:%S UTC")
    );
    let args = WatchArgs {
        execution: execution.name.clone(),
        interval: None,
        target: Target {
            local: true,
            root: root.to_path_buf(),
            state_machine: None,
            stack: String::new(),
            region: None,
            profile: None,
            json: false,
        },
    };
    let mut out = anstream::stdout();
    let printed = watch(&Backend::local(root), &args, &mut out).await?;
    anstream::print!("{}", printed.stdout);
    Ok(printed.code)
}
