//! Taking a name for a new local execution as Step Functions takes one: a record is created
//! only where none exists, so it is never overwritten; generated names are reserved by
//! creating their folder.

use std::path::Path;

use chrono::{DateTime, Utc};
use emrflow_core::{EmrflowError, ErrorName};
use serde_json::Value;

use super::{is_local_run, ExecutionFile, EXECUTION_FILE};
use crate::port::{generated_name, ExecutionDescription, ExecutionStatus};

/// How many generated names of one second are tried (`…Z`, `…Z-2`, …).
const NAMES_PER_SECOND: u32 = 1000;

/// A name that could not be taken for a new execution.
#[derive(Debug, Clone, PartialEq)]
pub enum NameTaken {
    /// An execution of that name runs now with the same input: as StartExecution answers,
    /// the new start is that execution.
    SameInputRunning(Box<ExecutionDescription>),
    /// ExecutionAlreadyExists (or the record could not be written), in words.
    Refused(EmrflowError),
}

impl std::fmt::Display for NameTaken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameTaken::SameInputRunning(description) => write!(
                f,
                "an execution named '{}' runs now with the same input",
                description.name
            ),
            NameTaken::Refused(error) => write!(f, "{}: {error}", error.name()),
        }
    }
}

impl ExecutionFile {
    /// StartExecution's answer for a name this record already has, asked again with `input`.
    pub(super) fn taken_by(&self, input: &str) -> NameTaken {
        let description = &self.description;
        let same_input = description
            .input
            .as_deref()
            .is_some_and(|recorded| same_json(recorded, input));
        let running = description.status == ExecutionStatus::Running;
        let alive = self.local.pid.is_some_and(is_local_run);
        if same_input && running && alive {
            return NameTaken::SameInputRunning(Box::new(description.clone()));
        }
        let why = match (running, alive) {
            (true, false) => {
                "RUNNING in its record, but no `emrflow local run` process runs it any more"
                    .to_string()
            }
            (true, true) => "RUNNING, with another input".to_string(),
            _ => format!(
                "{}, started {}",
                description.status,
                description.start_date.format("%Y-%m-%d %H:%M:%S UTC")
            ),
        };
        NameTaken::Refused(already_exists(&description.name, &why))
    }
}

/// ExecutionAlreadyExists for `name`, saying why and what to do.
pub(super) fn already_exists(name: &str, why: &str) -> EmrflowError {
    EmrflowError::new(
        ErrorName::ExecutionAlreadyExists,
        format!(
            "an execution named '{name}' exists already ({why}): choose another name, or leave --name out for a new one"
        ),
    )
}

/// Whether two JSON texts are the same value (the recorded input is written compactly).
fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Creates `dir/execution.json` with `file` only if there is none: written whole under a
/// temporary name, then hard-linked into place (which fails when the name exists, so two
/// runs never both take it). False when it exists.
pub(super) fn claim(dir: &Path, file: &ExecutionFile) -> Result<bool, String> {
    let target = dir.join(EXECUTION_FILE);
    let text = serde_json::to_string_pretty(file).map_err(|error| error.to_string())?;
    let nonce = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let partial = dir.join(format!(
        "{EXECUTION_FILE}.{}.{nonce}.claim",
        std::process::id()
    ));
    std::fs::write(&partial, text)
        .map_err(|error| format!("cannot write {}: {error}", partial.display()))?;
    let linked = std::fs::hard_link(&partial, &target);
    let _ = std::fs::remove_file(&partial);
    match linked {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(error) => Err(format!("cannot create {}: {error}", target.display())),
    }
}

/// Creates `<folder>/<generated name>` for a new execution: the first of this second's names
/// whose folder did not exist (the folder is the reservation; its record comes after).
pub(super) fn reserve_generated_name(
    folder: &Path,
    prefix: &str,
    at: DateTime<Utc>,
) -> Result<String, EmrflowError> {
    let cannot = |path: &Path, error: std::io::Error| {
        EmrflowError::invalid_input(format!("cannot create {}: {error}", path.display()))
    };
    std::fs::create_dir_all(folder).map_err(|error| cannot(folder, error))?;
    for number in 1..=NAMES_PER_SECOND {
        let name = generated_name(prefix, at, number);
        let dir = folder.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(name),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(cannot(&dir, error)),
        }
    }
    Err(EmrflowError::invalid_input(format!(
        "{NAMES_PER_SECOND} executions named {prefix}-… were started within one second under {}: wait a second",
        folder.display()
    )))
}
