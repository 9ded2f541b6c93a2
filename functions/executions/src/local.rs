//! [`Executions`] on the local runner's files, and the [`LocalRecorder`] that writes them.
//! `emrflow local run` keeps each execution under `<root>/executions/<name>/`:
//!
//! - `execution.json`: DescribeExecution's fields (camelCase, as `aws stepfunctions
//!   describe-execution` prints them), plus `local` (the pid of the process running it, its
//!   EMR endpoint) so a running local execution can be stopped and looked into;
//! - `history.json`: `{"events": [...]}`, GetExecutionHistory's shape, rewritten after every
//!   event while the execution runs;
//! - `steps.json`: the execution's steps as the local EMR listed them at the end (the local
//!   EMR keeps its state in memory and is gone after the run);
//! - `run.log`: the output of a run started in the background by `emrflow start --local`.
//!
//! Every file is written whole to a temporary name and renamed, so a reader never sees half.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use emrflow_core::EmrflowError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::port::{
    execution_name, ExecutionDescription, Executions, ListFilter, Started, StopOutcome,
};
use crate::record::ExecutionRecord;
use crate::steps::StepView;

const EXECUTION_FILE: &str = "execution.json";
const HISTORY_FILE: &str = "history.json";
const STEPS_FILE: &str = "steps.json";
/// Where a background run (`emrflow start --local`) writes its output.
pub const RUN_LOG_FILE: &str = "run.log";
/// How long a stopped local run may take to abort, reap and stop its local EMR.
const STOP_WAIT: Duration = Duration::from_secs(60);
/// How long a background run may take to write its first record.
const START_WAIT: Duration = Duration::from_secs(30);

/// What only a local execution has: who runs it, and against which EMR endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalRun {
    /// The `emrflow local run` process (SIGINT or SIGTERM stops the execution and cleans up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emr_endpoint: Option<String>,
}

/// `execution.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ExecutionFile {
    #[serde(flatten)]
    description: ExecutionDescription,
    #[serde(default)]
    local: LocalRun,
}

impl ExecutionFile {
    /// False for a RUNNING record whose `emrflow local run` process is gone (killed without
    /// a chance to record its end): listing it as running would hold its pipeline's start
    /// queue forever. Runs in this process (no pid) and ended runs are kept.
    fn may_be_running(&self) -> bool {
        self.description.status.has_ended() || self.local.pid.is_none_or(is_local_run)
    }
}

/// How `start` launches a run in the background: the program and the arguments before
/// `--name NAME --input JSON` (e.g. `emrflow local run --root .local --time-scale 1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launcher {
    pub program: PathBuf,
    pub args: Vec<String>,
}

/// The local runner's executions under `<root>/executions/`.
#[derive(Debug, Clone)]
pub struct LocalExecutions {
    root: PathBuf,
    launcher: Option<Launcher>,
}

impl LocalExecutions {
    /// `root` is the local runner's `--root` (default `.local`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalExecutions {
            root: root.into(),
            launcher: None,
        }
    }

    pub fn with_launcher(mut self, launcher: Launcher) -> Self {
        self.launcher = Some(launcher);
        self
    }

    /// `<root>/executions`.
    pub fn folder(&self) -> PathBuf {
        executions_folder(&self.root)
    }

    fn dir(&self, execution: &str) -> PathBuf {
        self.folder().join(execution_name(execution))
    }

    /// The steps the local EMR listed when the run ended (None before, or for older runs).
    pub fn steps(&self, execution: &str) -> Option<Vec<StepView>> {
        read_json(&self.dir(execution).join(STEPS_FILE)).ok()
    }

    /// Who runs the execution and against which EMR endpoint.
    pub fn local_run(&self, execution: &str) -> Result<LocalRun, EmrflowError> {
        Ok(self.execution_file(execution)?.local)
    }

    fn execution_file(&self, execution: &str) -> Result<ExecutionFile, EmrflowError> {
        let path = self.dir(execution).join(EXECUTION_FILE);
        if !path.exists() {
            return Err(EmrflowError::invalid_input(format!(
                "no local execution named '{}' under {} (emrflow runs --local lists them)",
                execution_name(execution),
                self.folder().display()
            )));
        }
        read_json(&path)
    }
}

/// `<root>/executions`.
pub fn executions_folder(root: &Path) -> PathBuf {
    root.join("executions")
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, EmrflowError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        EmrflowError::invalid_input(format!("cannot read {}: {error}", path.display()))
    })?;
    serde_json::from_str(&text).map_err(|error| {
        EmrflowError::invalid_input(format!("{} is not readable: {error}", path.display()))
    })
}

/// Writes `value` to `path` whole: a temporary file in the same folder, then a rename.
fn write_json(path: &Path, value: &impl Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|error| error.to_string())?;
    let partial = path.with_extension(format!("json.{}.partial", std::process::id()));
    std::fs::write(&partial, text)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|error| format!("cannot write {}: {error}", path.display()))
}

#[async_trait]
impl Executions for LocalExecutions {
    async fn list(&self, filter: ListFilter) -> Result<Vec<ExecutionDescription>, EmrflowError> {
        let folder = self.folder();
        let Ok(entries) = std::fs::read_dir(&folder) else {
            return Ok(Vec::new());
        };
        let mut summaries: Vec<ExecutionDescription> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| read_json::<ExecutionFile>(&entry.path().join(EXECUTION_FILE)).ok())
            .filter(ExecutionFile::may_be_running)
            .map(|file| file.description)
            .filter(|summary| filter.status.is_none_or(|status| summary.status == status))
            .collect();
        summaries.sort_by_key(|summary| std::cmp::Reverse(summary.start_date));
        summaries.truncate(filter.limit);
        Ok(summaries)
    }

    async fn describe(&self, execution: &str) -> Result<ExecutionDescription, EmrflowError> {
        Ok(self.execution_file(execution)?.description)
    }

    async fn record(&self, execution: &str) -> Result<ExecutionRecord, EmrflowError> {
        let file = self.execution_file(execution)?;
        let history: Value = read_json(&self.dir(execution).join(HISTORY_FILE))?;
        let events = history
            .get("events")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(ExecutionRecord::from_history(file.description, events))
    }

    async fn start(&self, name: &str, input: &str) -> Result<Started, EmrflowError> {
        let launcher = self.launcher.as_ref().ok_or_else(|| {
            EmrflowError::invalid_input("local executions start with `emrflow local run`")
        })?;
        let dir = self.dir(name);
        if dir.join(EXECUTION_FILE).exists() {
            return Err(EmrflowError::invalid_input(format!(
                "a local execution named '{name}' exists already ({}): choose another name",
                dir.display()
            )));
        }
        std::fs::create_dir_all(&dir).map_err(|error| {
            EmrflowError::invalid_input(format!("cannot create {}: {error}", dir.display()))
        })?;
        let log = dir.join(RUN_LOG_FILE);
        let child = spawn_detached(launcher, name, input, &log)?;
        wait_for_record(self, name, child, &log).await
    }

    async fn stop(
        &self,
        execution: &str,
        _error: Option<&str>,
        _cause: Option<&str>,
    ) -> Result<StopOutcome, EmrflowError> {
        let file = self.execution_file(execution)?;
        let description = &file.description;
        let outcome =
            |stopped: bool, description: &ExecutionDescription, note: String| StopOutcome {
                execution_arn: description.execution_arn.clone(),
                stopped,
                status: Some(description.status),
                stop_date: description.stop_date,
                note,
            };
        if description.status.has_ended() {
            let note = format!("the execution had already ended ({})", description.status);
            return Ok(outcome(false, description, note));
        }
        let Some(pid) = file.local.pid.filter(|pid| is_local_run(*pid)) else {
            let note = "no running `emrflow local run` process is recorded for it: a local run stops with Ctrl-C in the terminal that runs it (it then aborts the execution, cleans up its cluster and stops its local EMR)".to_string();
            return Ok(outcome(false, description, note));
        };
        signal_terminate(pid)?;
        // The run records ABORTED first, then reaps and stops its local EMR: wait for the
        // process to end, not for the status.
        let deadline = Instant::now() + STOP_WAIT;
        while is_local_run(pid) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let now = self.execution_file(execution)?;
        let note = if is_local_run(pid) {
            format!("sent SIGTERM to the local run (pid {pid}); it has not finished cleaning up after {} s: look again with emrflow show --local {}", STOP_WAIT.as_secs(), description.name)
        } else {
            format!("sent SIGTERM to the local run (pid {pid}): it aborted the execution, ran the reaper and stopped its local EMR")
        };
        Ok(outcome(true, &now.description, note))
    }
}

/// Starts the run in its own process group (so the terminal's Ctrl-C and hang-up of this
/// command do not reach it), its output in `log`.
fn spawn_detached(
    launcher: &Launcher,
    name: &str,
    input: &str,
    log: &Path,
) -> Result<std::process::Child, EmrflowError> {
    use std::os::unix::process::CommandExt;
    let cannot = |error: std::io::Error| {
        EmrflowError::invalid_input(format!(
            "cannot start {} in the background: {error}",
            launcher.program.display()
        ))
    };
    let output = std::fs::File::create(log).map_err(cannot)?;
    let errors = output.try_clone().map_err(cannot)?;
    Command::new(&launcher.program)
        .args(&launcher.args)
        .args(["--name", name, "--input", input])
        .stdin(Stdio::null())
        .stdout(output)
        .stderr(errors)
        .process_group(0)
        .spawn()
        .map_err(cannot)
}

async fn wait_for_record(
    executions: &LocalExecutions,
    name: &str,
    mut child: std::process::Child,
    log: &Path,
) -> Result<Started, EmrflowError> {
    let deadline = Instant::now() + START_WAIT;
    while Instant::now() < deadline {
        if let Ok(file) = executions.execution_file(name) {
            return Ok(Started {
                execution_arn: file.description.execution_arn,
                name: name.to_string(),
                start_date: file.description.start_date,
            });
        }
        if let Ok(Some(status)) = child.try_wait() {
            let output = std::fs::read_to_string(log).unwrap_or_default();
            return Err(EmrflowError::invalid_input(format!(
                "the background run ended at once ({status}): {}",
                output.trim()
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(EmrflowError::invalid_input(format!(
        "the background run wrote no record within {} s; its output is in {}",
        START_WAIT.as_secs(),
        log.display()
    )))
}

/// Whether `pid` is alive and (where /proc tells) still an `emrflow` process: a recorded pid
/// may have been given to another program since.
fn is_local_run(pid: u32) -> bool {
    let alive = Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"));
    alive
        && cmdline.map_or(true, |bytes| {
            String::from_utf8_lossy(&bytes).contains("emrflow")
        })
}

fn signal_terminate(pid: u32) -> Result<(), EmrflowError> {
    let sent = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .is_ok_and(|status| status.success());
    if sent {
        Ok(())
    } else {
        Err(EmrflowError::invalid_input(format!(
            "could not send SIGTERM to the local run (pid {pid})"
        )))
    }
}

/// Writes one local execution's files as it runs (see the module comment). A file that
/// cannot be written is reported once and does not stop the execution.
pub struct LocalRecorder {
    dir: PathBuf,
    recording: Mutex<Recording>,
}

struct Recording {
    file: ExecutionFile,
    events: Vec<Value>,
    warned: bool,
}

impl LocalRecorder {
    /// Starts the record of a RUNNING execution (replacing an earlier one of that name).
    pub fn create(
        root: &Path,
        description: ExecutionDescription,
        local: LocalRun,
    ) -> Result<LocalRecorder, EmrflowError> {
        let dir = executions_folder(root).join(&description.name);
        std::fs::create_dir_all(&dir).map_err(|error| {
            EmrflowError::invalid_input(format!("cannot create {}: {error}", dir.display()))
        })?;
        let _ = std::fs::remove_file(dir.join(STEPS_FILE));
        let recorder = LocalRecorder {
            dir,
            recording: Mutex::new(Recording {
                file: ExecutionFile { description, local },
                events: Vec::new(),
                warned: false,
            }),
        };
        recorder.with(|dir, recording| {
            write_json(&dir.join(HISTORY_FILE), &json!({"events": []}))?;
            write_json(&dir.join(EXECUTION_FILE), &recording.file)
        });
        Ok(recorder)
    }

    pub fn folder(&self) -> &Path {
        &self.dir
    }

    /// Adds one history event (GetExecutionHistory's shape).
    pub fn event(&self, event: Value) {
        self.with(|dir, recording| {
            recording.events.push(event);
            write_json(
                &dir.join(HISTORY_FILE),
                &json!({"events": recording.events}),
            )
        });
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

    fn with(&self, write: impl FnOnce(&Path, &mut Recording) -> Result<(), String>) {
        // Never held across an `.await`; a poisoned lock still holds whole events.
        let mut recording = self
            .recording
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(problem) = write(&self.dir, &mut recording) {
            if !recording.warned {
                recording.warned = true;
                tracing::warn!("the local execution record is incomplete: {problem}");
            }
        }
    }
}
