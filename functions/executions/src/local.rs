//! [`Executions`] on the local runner's files, and the [`LocalRecorder`] that writes them.
//! `emrflow local run` keeps each execution under `<root>/executions/<name>/`:
//!
//! - `execution.json`: DescribeExecution's fields (camelCase, as `aws stepfunctions
//!   describe-execution` prints them), plus `local` (the pid of the process running it, its
//!   EMR endpoint) so a running local execution can be stopped and looked into;
//! - `history.jsonl`: GetExecutionHistory's events, one JSON object per line, each appended
//!   as it happens (never rewritten: a long wait or 200 executions at once cost one line per
//!   event, not a whole file each); records of earlier versions have `history.json`
//!   (`{"events": [...]}`), still read;
//! - `steps.json`: the execution's steps as the local EMR listed them at the end (the local
//!   EMR keeps its state in memory and is gone after the run);
//! - `run.log`: the output of a run started in the background by `emrflow start --local`;
//! - `stop-request.json`: the error and cause `emrflow stop --local` asks for, read by the
//!   run when the SIGTERM that follows reaches it (StopExecution's error and cause).
//!
//! Every other file is written whole to a temporary name and renamed, so a reader never sees
//! half; a history line is appended with one write, and a reader skips a last line that is
//! not whole yet.
//! A name is taken once, as Step Functions takes it: `execution.json` is created only where
//! none exists (a hard link of the whole file, atomic), so a record is never overwritten —
//! a name that exists is refused with ExecutionAlreadyExists, unless it is the same input on
//! a still-running execution (then it is that execution, as StartExecution answers).
//! Generated names (`local-<UTC time>`, `manual-<UTC time>`) take the first of `…Z`, `…Z-2`,
//! `…Z-3`… whose folder they create themselves, so two runs started in the same second never
//! share one.

mod names;
mod recorder;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use emrflow_core::EmrflowError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::port::{
    execution_name, ExecutionDescription, Executions, ListFilter, Started, StopOutcome,
};
use crate::record::ExecutionRecord;
use crate::steps::StepView;
use names::{already_exists, reserve_generated_name};

pub use names::NameTaken;
pub use recorder::LocalRecorder;

const EXECUTION_FILE: &str = "execution.json";
const HISTORY_FILE: &str = "history.jsonl";
/// The history file of records written before `history.jsonl` (`{"events": [...]}`).
const WHOLE_HISTORY_FILE: &str = "history.json";
const STEPS_FILE: &str = "steps.json";
const STOP_REQUEST_FILE: &str = "stop-request.json";
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

/// `stop-request.json`: StopExecution's optional error and cause.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
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
                "no local execution named '{}' under {} (emrflow runs --local --root {} lists them)",
                execution_name(execution),
                self.folder().display(),
                self.root.display()
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

/// The events of the history in `dir`: the lines of `history.jsonl` (a last line still being
/// written is left for the next read), or an earlier version's `history.json`.
fn read_history(dir: &Path) -> Result<Vec<Value>, EmrflowError> {
    let lines = dir.join(HISTORY_FILE);
    match std::fs::read_to_string(&lines) {
        Ok(text) => text
            .split_inclusive('\n')
            .filter(|line| line.ends_with('\n'))
            .enumerate()
            .map(|(index, line)| {
                serde_json::from_str(line).map_err(|error| {
                    EmrflowError::invalid_input(format!(
                        "{} is not readable: line {}: {error}",
                        lines.display(),
                        index + 1
                    ))
                })
            })
            .collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let history: Value = read_json(&dir.join(WHOLE_HISTORY_FILE))?;
            Ok(history
                .get("events")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default())
        }
        Err(error) => Err(EmrflowError::invalid_input(format!(
            "cannot read {}: {error}",
            lines.display()
        ))),
    }
}

/// Appends `event` to the history file at `path` as one line, with one write.
fn append_event(path: &Path, event: &Value) -> Result<(), String> {
    use std::io::Write;
    let mut line = serde_json::to_string(event).map_err(|error| error.to_string())?;
    line.push('\n');
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .and_then(|mut file| file.write_all(line.as_bytes()))
        .map_err(|error| format!("cannot write {}: {error}", path.display()))
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
        let events = read_history(&self.dir(execution))?;
        Ok(ExecutionRecord::from_history(file.description, events))
    }

    async fn start(&self, name: &str, input: &str) -> Result<Started, EmrflowError> {
        let launcher = self.launcher.as_ref().ok_or_else(|| {
            EmrflowError::invalid_input("local executions start with `emrflow local run`")
        })?;
        if let Ok(file) = self.execution_file(name) {
            return match file.taken_by(input) {
                NameTaken::SameInputRunning(description) => Ok(started(*description)),
                NameTaken::Refused(error) => Err(error),
            };
        }
        let dir = self.dir(name);
        std::fs::create_dir_all(&dir).map_err(|error| {
            EmrflowError::invalid_input(format!("cannot create {}: {error}", dir.display()))
        })?;
        let log = dir.join(RUN_LOG_FILE);
        let output = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&log)
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::AlreadyExists => already_exists(
                    name,
                    &format!(
                        "it is being started: {} exists without a record yet",
                        log.display()
                    ),
                ),
                _ => {
                    EmrflowError::invalid_input(format!("cannot create {}: {error}", log.display()))
                }
            })?;
        let child = spawn_detached(launcher, name, input, output)?;
        wait_for_record(self, name, input, child, &log).await
    }

    async fn start_new(&self, prefix: &str, input: &str) -> Result<Started, EmrflowError> {
        let name = reserve_generated_name(&self.folder(), prefix, Utc::now())?;
        self.start(&name, input).await
    }

    async fn stop(
        &self,
        execution: &str,
        error: Option<&str>,
        cause: Option<&str>,
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
        let request = StopRequest {
            error: error.map(str::to_string),
            cause: cause.map(str::to_string),
        };
        write_json(&self.dir(execution).join(STOP_REQUEST_FILE), &request)
            .map_err(EmrflowError::invalid_input)?;
        signal_terminate(pid)?;
        // The run records ABORTED first, then reaps and stops its local EMR: wait for the
        // process to end, not for the status.
        let deadline = Instant::now() + STOP_WAIT;
        while is_local_run(pid) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let now = self.execution_file(execution)?;
        let note = if is_local_run(pid) {
            format!("sent SIGTERM to the local run (pid {pid}); it has not finished cleaning up after {} s: look again with emrflow show --local --root {} {}", STOP_WAIT.as_secs(), self.root.display(), description.name)
        } else {
            format!("sent SIGTERM to the local run (pid {pid}): it aborted the execution, ran the reaper and stopped its local EMR")
        };
        Ok(outcome(true, &now.description, note))
    }
}

fn started(description: ExecutionDescription) -> Started {
    Started {
        execution_arn: description.execution_arn,
        name: description.name,
        start_date: description.start_date,
    }
}

/// Starts the run in its own process group (so the terminal's Ctrl-C and hang-up of this
/// command do not reach it), its output in `output` (the run's `run.log`).
fn spawn_detached(
    launcher: &Launcher,
    name: &str,
    input: &str,
    output: std::fs::File,
) -> Result<std::process::Child, EmrflowError> {
    use std::os::unix::process::CommandExt;
    let cannot = |error: std::io::Error| {
        EmrflowError::invalid_input(format!(
            "cannot start {} in the background: {error}",
            launcher.program.display()
        ))
    };
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

/// Waits until the background run has written its record. When it ends first, its output
/// says why, and the folder is left as it was found (a name no run took stays free).
async fn wait_for_record(
    executions: &LocalExecutions,
    name: &str,
    input: &str,
    mut child: std::process::Child,
    log: &Path,
) -> Result<Started, EmrflowError> {
    let deadline = Instant::now() + START_WAIT;
    let ours = Some(child.id());
    while Instant::now() < deadline {
        let record = executions.execution_file(name).ok();
        if let Some(file) = record.as_ref().filter(|file| file.local.pid == ours) {
            return Ok(started(file.description.clone()));
        }
        if let Ok(Some(status)) = child.try_wait() {
            let output = std::fs::read_to_string(log).unwrap_or_default();
            let _ = std::fs::remove_file(log);
            let _ = std::fs::remove_dir(executions.dir(name));
            // Another start took the name first: StartExecution's rule decides.
            if let Some(file) = record.or_else(|| executions.execution_file(name).ok()) {
                return match file.taken_by(input) {
                    NameTaken::SameInputRunning(description) => Ok(started(*description)),
                    NameTaken::Refused(error) => Err(error),
                };
            }
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
