//! [`LocalRecorder`]: what `emrflow local run` writes of one execution as it runs (see the
//! module comment of `local.rs`).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::Utc;
use emrflow_core::{EmrflowError, ErrorName};
use serde_json::Value;

use super::names::{already_exists, claim, reserve_generated_name, NameTaken};
use super::{
    append_event, executions_folder, read_json, write_json, ExecutionFile, LocalRun, StopRequest,
    EXECUTION_FILE, HISTORY_FILE, STEPS_FILE, STOP_REQUEST_FILE,
};
use crate::port::ExecutionDescription;
use crate::steps::StepView;

/// Writes one local execution's files as it runs. A file that cannot be written is reported
/// once and does not stop the execution.
pub struct LocalRecorder {
    dir: PathBuf,
    recording: Mutex<Recording>,
}

struct Recording {
    file: ExecutionFile,
    warned: bool,
}

impl LocalRecorder {
    /// Starts the record of a new RUNNING execution named as `description` says. A name that
    /// exists is never overwritten: it is refused (ExecutionAlreadyExists), or, for the same
    /// input on a still-running execution, is that execution.
    pub fn create(
        root: &Path,
        description: ExecutionDescription,
        local: LocalRun,
    ) -> Result<LocalRecorder, NameTaken> {
        let refused = |problem: String| NameTaken::Refused(EmrflowError::invalid_input(problem));
        let dir = executions_folder(root).join(&description.name);
        std::fs::create_dir_all(&dir)
            .map_err(|error| refused(format!("cannot create {}: {error}", dir.display())))?;
        let input = description.input.clone().unwrap_or_default();
        let file = ExecutionFile { description, local };
        match claim(&dir, &file).map_err(refused)? {
            true => Ok(LocalRecorder::started(dir, file)),
            false => match read_json::<ExecutionFile>(&dir.join(EXECUTION_FILE)) {
                Ok(existing) => Err(existing.taken_by(&input)),
                Err(error) => Err(NameTaken::Refused(already_exists(
                    &file.description.name,
                    error.message(),
                ))),
            },
        }
    }

    /// Starts the record of a new RUNNING execution under a generated name
    /// (`<prefix>-<UTC time>`, then `-2`, `-3`… within one second); `describe` gives its
    /// fields for the name taken.
    pub fn create_new(
        root: &Path,
        prefix: &str,
        describe: impl Fn(&str) -> ExecutionDescription,
        local: LocalRun,
    ) -> Result<LocalRecorder, EmrflowError> {
        let folder = executions_folder(root);
        loop {
            let name = reserve_generated_name(&folder, prefix, Utc::now())?;
            match LocalRecorder::create(root, describe(&name), local.clone()) {
                Ok(recorder) => return Ok(recorder),
                // Someone gave this very name by hand meanwhile: take the next one.
                Err(NameTaken::SameInputRunning(_)) => continue,
                Err(NameTaken::Refused(error))
                    if error.name() == ErrorName::ExecutionAlreadyExists =>
                {
                    continue
                }
                Err(NameTaken::Refused(error)) => return Err(error),
            }
        }
    }

    fn started(dir: PathBuf, file: ExecutionFile) -> LocalRecorder {
        let recorder = LocalRecorder {
            dir,
            recording: Mutex::new(Recording {
                file,
                warned: false,
            }),
        };
        recorder.with(|dir, _| {
            std::fs::write(dir.join(HISTORY_FILE), "").map_err(|error| error.to_string())
        });
        recorder
    }

    /// The execution's name.
    pub fn name(&self) -> String {
        self.lock().file.description.name.clone()
    }

    pub fn folder(&self) -> &Path {
        &self.dir
    }

    /// The local EMR the run uses, once it is up (`show` and `logs` look at it while the
    /// execution runs).
    pub fn running_on(&self, emr_endpoint: &str) {
        self.with(|dir, recording| {
            recording.file.local.emr_endpoint = Some(emr_endpoint.to_string());
            write_json(&dir.join(EXECUTION_FILE), &recording.file)
        });
    }

    /// The execution never began (its local EMR did not start): its record goes, and the
    /// name is free again.
    pub fn discard(&self) {
        let _ = std::fs::remove_file(self.dir.join(HISTORY_FILE));
        let _ = std::fs::remove_file(self.dir.join(EXECUTION_FILE));
        let _ = std::fs::remove_dir(&self.dir);
    }

    /// The error and cause `emrflow stop --local` asked for, if it did (read once).
    pub fn stop_request(&self) -> Option<StopRequest> {
        let path = self.dir.join(STOP_REQUEST_FILE);
        let request = read_json(&path).ok();
        let _ = std::fs::remove_file(&path);
        request
    }

    /// Adds one history event (GetExecutionHistory's shape).
    pub fn event(&self, event: Value) {
        self.with(|dir, _| append_event(&dir.join(HISTORY_FILE), &event));
    }

    /// The execution ended: DescribeExecution's fields as they are now (status, stop time,
    /// output or error and cause).
    pub fn finish(&self, description: ExecutionDescription) {
        self.with(|dir, recording| {
            recording.file.description = description;
            recording.file.local.pid = None;
            write_json(&dir.join(EXECUTION_FILE), &recording.file)
        });
    }

    /// The execution's steps as the local EMR listed them.
    pub fn steps(&self, steps: &[StepView]) {
        self.with(|dir, _| write_json(&dir.join(STEPS_FILE), &steps));
    }

    fn lock(&self) -> MutexGuard<'_, Recording> {
        // Never held across an `.await`; a poisoned lock still holds whole events.
        self.recording
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn with(&self, write: impl FnOnce(&Path, &mut Recording) -> Result<(), String>) {
        let mut recording = self.lock();
        if let Err(problem) = write(&self.dir, &mut recording) {
            if !recording.warned {
                recording.warned = true;
                tracing::warn!("the local execution record is incomplete: {problem}");
            }
        }
    }
}
