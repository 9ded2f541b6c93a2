//! Running one process of a step or bootstrap action as its own process group (see
//! [`super::groups`] for how groups are ended, even when the endpoint dies), its stdout and
//! stderr to files.

use std::fmt;
use std::fs::File;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::groups::{end_group, signal_group, ProcessGroups};
use super::{spawner, ProcessSpec};

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProcessEnd {
    Exited(i32),
    /// Killed by this signal, not by the local EMR.
    Signalled(i32),
    /// Stopped by the local EMR (step cancelled, cluster terminating).
    Stopped,
    CouldNotStart(String),
}

impl fmt::Display for ProcessEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessEnd::Exited(code) => write!(f, "exited with code {code}"),
            ProcessEnd::Signalled(signal) => {
                write!(f, "was killed by {}", signal_name(*signal))
            }
            ProcessEnd::Stopped => f.write_str("was stopped by the local EMR"),
            ProcessEnd::CouldNotStart(error) => write!(f, "could not start: {error}"),
        }
    }
}

/// `SIGKILL`, `SIGTERM`, …; `signal 42` for one without a usual name.
pub(crate) fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}

/// Where and under whom a process runs.
pub(crate) struct Supervision<'a> {
    pub groups: &'a ProcessGroups,
    /// The cluster the process works for.
    pub owner: &'a str,
    /// Between SIGTERM and SIGKILL when the group is ended.
    pub grace: Duration,
}

/// The group is ended and unregistered if the future running it is dropped (a server going
/// away mid-step): SIGKILL at once, since nothing will wait out a grace period.
struct Registration<'a> {
    groups: &'a ProcessGroups,
    pgid: i32,
    ended: bool,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        if !self.ended {
            signal_group(self.pgid, libc::SIGKILL);
            // The leader is never reaped on this path, so its pgid stays this group's.
            self.groups.unregister(self.pgid);
        }
    }
}

fn command(spec: &ProcessSpec, work_dir: &Path, stdout: File, stderr: File) -> Command {
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .current_dir(work_dir)
        .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0);
    #[cfg(target_os = "linux")]
    {
        let parent = std::process::id();
        // SAFETY: only async-signal-safe calls (prctl, getppid) and no allocation after fork.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The endpoint died before prctl: nothing would signal this process later.
                if u32::try_from(libc::getppid()).ok() != Some(parent) {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
    command
}

/// Blocks until the process has exited, leaving it a zombie (its pid and pgid stay taken).
fn wait_without_reaping(pid: u32) {
    let id: libc::id_t = pid;
    loop {
        // SAFETY: a zeroed siginfo_t is a valid out-parameter for waitid(2).
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child; WNOWAIT leaves it to be reaped by Child::wait.
        let result =
            unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if result == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

/// Runs `spec` in `work_dir` as a new process group, stdout and stderr to files; `stop`
/// ends it (SIGTERM to the group, SIGKILL after the grace). Whatever is left of the group
/// when its leader exits is ended too.
pub(crate) async fn run_process(
    spec: &ProcessSpec,
    work_dir: &Path,
    (stdout, stderr): (&Path, &Path),
    stop: Option<Arc<Notify>>,
    supervision: &Supervision<'_>,
) -> ProcessEnd {
    let (stdout, stderr) = match (File::create(stdout), File::create(stderr)) {
        (Ok(out), Ok(err)) => (out, err),
        (Err(err), _) | (_, Err(err)) => return ProcessEnd::CouldNotStart(err.to_string()),
    };
    let mut child = match spawner::spawn(command(spec, work_dir, stdout, stderr)) {
        Ok(child) => child,
        Err(err) => return ProcessEnd::CouldNotStart(format!("{}: {err}", spec.program)),
    };
    let pid = child.id();
    let Ok(pgid) = i32::try_from(pid) else {
        return ProcessEnd::CouldNotStart(format!("{}: pid {pid} is out of range", spec.program));
    };
    supervision.groups.register(pgid, supervision.owner);
    let mut registration = Registration {
        groups: supervision.groups,
        pgid,
        ended: false,
    };
    let mut exit = tokio::task::spawn_blocking(move || wait_without_reaping(pid));
    let stopped = match &stop {
        Some(stop) => tokio::select! {
            _ = &mut exit => false,
            () = stop.notified() => true,
        },
        None => {
            let _ = (&mut exit).await;
            false
        }
    };
    if stopped {
        signal_group(pgid, libc::SIGTERM);
        if tokio::time::timeout(supervision.grace, &mut exit)
            .await
            .is_err()
        {
            signal_group(pgid, libc::SIGKILL);
            let _ = exit.await;
        }
    }
    end_group(pgid, supervision.grace).await;
    supervision.groups.unregister(pgid);
    registration.ended = true;
    // Reaps the zombie leader: only now may its pid (the pgid) be reused.
    let status = child.wait();
    match status {
        _ if stopped => ProcessEnd::Stopped,
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => ProcessEnd::Exited(code),
            (None, Some(signal)) => ProcessEnd::Signalled(signal),
            (None, None) => ProcessEnd::CouldNotStart("the process ended without a status".into()),
        },
        Err(err) => ProcessEnd::CouldNotStart(err.to_string()),
    }
}
