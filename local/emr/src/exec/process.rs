//! Running a step's process: its own process group, stdout and stderr to files, stopped as
//! a whole when asked.

use std::fs::File;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use tokio::process::Command;
use tokio::sync::Notify;

use super::ProcessSpec;

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProcessEnd {
    Exited(i32),
    Signalled,
    Killed,
    CouldNotStart(String),
}

/// Runs a process in its own process group (so kill reaches spark's JVM children),
/// stdout/stderr to files; `kill` ends it with SIGKILL to the whole group.
pub(crate) async fn run_process(
    spec: &ProcessSpec,
    work_dir: &Path,
    stdout: &Path,
    stderr: &Path,
    kill: Option<Arc<Notify>>,
) -> ProcessEnd {
    let open = |path: &Path| File::create(path);
    let (stdout_file, stderr_file) = match (open(stdout), open(stderr)) {
        (Ok(out), Ok(err)) => (out, err),
        (Err(err), _) | (_, Err(err)) => return ProcessEnd::CouldNotStart(err.to_string()),
    };
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .current_dir(work_dir)
        .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(stdout_file)
        .stderr(stderr_file)
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => return ProcessEnd::CouldNotStart(format!("{}: {err}", spec.program)),
    };
    let mut group_guard = ProcessGroupGuard(child.id().and_then(|pid| i32::try_from(pid).ok()));
    let killed = async {
        match &kill {
            Some(kill) => kill.notified().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        status = child.wait() => {
            group_guard.disarm();
            match status {
                Ok(status) => status.code().map_or(ProcessEnd::Signalled, ProcessEnd::Exited),
                Err(err) => ProcessEnd::CouldNotStart(err.to_string()),
            }
        }
        () = killed => {
            group_guard.kill();
            let _ = child.wait().await;
            ProcessEnd::Killed
        }
    }
}

/// Kills a step's whole process group (spark-submit's JVM included) when asked, or when
/// dropped before the process ended: a server shutting down must not leave steps behind.
struct ProcessGroupGuard(Option<i32>);

impl ProcessGroupGuard {
    fn kill(&mut self) {
        if let Some(group) = self.0.take() {
            // SAFETY: kill(2) with a negative pid signals the process group we created.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
        }
    }

    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for ProcessGroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}
