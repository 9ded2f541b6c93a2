//! A task per cluster drives its life cycle; a task per running step runs its process.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::Notify;

use crate::exec::{self, Plan, ProcessEnd, ProcessSpec, StepCommand};
use crate::model::{BootstrapAction, Cluster, ClusterState, FailureDetails, StepState};
use crate::state::{apply_action_on_failure, begin_termination, Shared};

/// Where a cluster's logs go: the mapped LogUri, or `<root>/logs` without one. Returns
/// the local folder and how to name it to clients (the s3:// URI when there is a LogUri).
fn cluster_log_location(shared: &Shared, cluster: &Cluster) -> (PathBuf, String) {
    match &cluster.log_uri {
        Some(uri) => {
            let base = uri.trim_end_matches('/');
            (
                shared.layout.uri_to_path(base).join(&cluster.id),
                format!("{base}/{}", cluster.id),
            )
        }
        None => {
            let dir = shared.layout.root.join("logs").join(&cluster.id);
            let shown = dir.display().to_string();
            (dir, shown)
        }
    }
}

pub(crate) fn spawn_cluster_driver(shared: Arc<Shared>, cluster_id: String, wake: Arc<Notify>) {
    tokio::spawn(drive_cluster(shared, cluster_id, wake));
}

/// Sleeps `duration` unless the cluster starts terminating; false if it did.
async fn pause(shared: &Shared, cluster_id: &str, wake: &Notify, duration: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + duration;
    loop {
        if !is_alive(shared, cluster_id) {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => return is_alive(shared, cluster_id),
            () = wake.notified() => {}
        }
    }
}

fn is_alive(shared: &Shared, cluster_id: &str) -> bool {
    shared.with_inner(|inner| {
        inner
            .cluster(cluster_id)
            .map(|cluster| cluster.state.is_alive())
            .unwrap_or(false)
    })
}

async fn drive_cluster(shared: Arc<Shared>, cluster_id: String, wake: Arc<Notify>) {
    let timings = shared.timings.clone();
    let started_ok = pause(&shared, &cluster_id, &wake, timings.startup).await
        && bootstrap(&shared, &cluster_id).await
        && pause(&shared, &cluster_id, &wake, timings.bootstrap).await;
    if started_ok {
        shared.with_inner(|inner| {
            if let Ok(cluster) = inner.cluster_mut(&cluster_id) {
                cluster.ready = Some(Utc::now());
                tracing::info!(cluster = %cluster_id, "cluster ready");
            }
        });
        loop {
            let launches = shared.with_inner(|inner| schedule(inner, &cluster_id, &shared));
            let Some(launches) = launches else { break };
            for launch in launches {
                tracing::info!(cluster = %cluster_id, step = %launch.step_id, name = %launch.step_name, "step RUNNING");
                tokio::spawn(run_step(shared.clone(), cluster_id.clone(), launch));
            }
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(timings.poll) => {}
            }
        }
    }
    tokio::time::sleep(timings.terminate).await;
    shared.with_inner(|inner| {
        if let Ok(cluster) = inner.cluster_mut(&cluster_id) {
            cluster.state = cluster.final_state.unwrap_or(ClusterState::Terminated);
            tracing::info!(cluster = %cluster_id, state = %cluster.state, "cluster ended");
            cluster.ended = Some(Utc::now());
        }
    });
}

/// BOOTSTRAPPING: runs the bootstrap actions (mapped scripts) in order; on failure the
/// cluster terminates with BOOTSTRAP_FAILURE. False when the cluster is not going on.
async fn bootstrap(shared: &Arc<Shared>, cluster_id: &str) -> bool {
    let prepared = shared.with_inner(|inner| {
        let injected = if inner.faults.fail_next_bootstraps.is_empty() {
            None
        } else {
            Some(inner.faults.fail_next_bootstraps.remove(0))
        };
        let cluster = inner.cluster_mut(cluster_id).ok()?;
        if !cluster.state.is_alive() {
            return None;
        }
        cluster.state = ClusterState::Bootstrapping;
        let (log_dir, _) = cluster_log_location(shared, cluster);
        Some((cluster.bootstrap_actions.clone(), injected, log_dir))
    });
    let Some((actions, injected, log_dir)) = prepared else {
        return false;
    };
    let failure = match injected {
        Some(message) => Some(format!("On the master instance (local), {message}")),
        None => run_bootstrap_actions(shared, cluster_id, &actions, &log_dir).await,
    };
    match failure {
        None => is_alive(shared, cluster_id),
        Some(message) => {
            shared.with_inner(|inner| {
                if let Ok(cluster) = inner.cluster_mut(cluster_id) {
                    begin_termination(
                        cluster,
                        ClusterState::TerminatedWithErrors,
                        "BOOTSTRAP_FAILURE",
                        &message,
                    );
                }
            });
            false
        }
    }
}

async fn run_bootstrap_actions(
    shared: &Shared,
    cluster_id: &str,
    actions: &[BootstrapAction],
    log_dir: &Path,
) -> Option<String> {
    for (index, action) in actions.iter().enumerate() {
        let number = index + 1;
        let script = shared.layout.uri_to_path(&action.path);
        if !script.is_file() {
            return Some(format!(
                "On the master instance (local), bootstrap action {number} ({}) failed: {} does not exist",
                action.name, action.path
            ));
        }
        let dir = log_dir
            .join("node")
            .join("local")
            .join("bootstrap-actions")
            .join(number.to_string());
        let work_dir = shared.layout.work_dir(cluster_id, "bootstrap");
        if let Err(err) = fs::create_dir_all(&dir).and_then(|_| fs::create_dir_all(&work_dir)) {
            return Some(format!("bootstrap action {number}: {err}"));
        }
        let mut args = vec![script.display().to_string()];
        args.extend(action.args.iter().map(|a| shared.layout.map_s3(a)));
        let spec = ProcessSpec {
            program: "bash".into(),
            args,
            env: shared.layout.step_env(None),
            on_success_touch: vec![],
        };
        let end = exec::run_process(
            &spec,
            &work_dir,
            &dir.join("stdout"),
            &dir.join("stderr"),
            None,
        )
        .await;
        if end != ProcessEnd::Exited(0) {
            return Some(format!(
                "On the master instance (local), bootstrap action {number} returned a non-zero return code"
            ));
        }
    }
    None
}

/// A step the scheduler just moved to RUNNING.
struct Launch {
    step_id: String,
    step_name: String,
    command: StepCommand,
    inject_failure: bool,
    log_dir: PathBuf,
    stderr_uri: String,
    kill: Arc<Notify>,
}

/// Starts steps up to the concurrency level, in submission order, and moves the cluster
/// between RUNNING / WAITING / auto-termination. None once the cluster is terminating.
fn schedule(
    inner: &mut crate::state::Inner,
    cluster_id: &str,
    shared: &Shared,
) -> Option<Vec<Launch>> {
    let faults = &inner.faults;
    let cluster = inner.clusters.iter_mut().find(|c| c.id == cluster_id)?;
    if !cluster.state.is_alive() {
        return None;
    }
    let now = Utc::now();
    let (log_base, log_base_shown) = cluster_log_location(shared, cluster);
    let mut active = cluster
        .steps
        .iter()
        .filter(|s| matches!(s.state, StepState::Running | StepState::CancelPending))
        .count();
    let level = cluster.step_concurrency_level.max(1) as usize;
    let mut launches = Vec::new();
    for step in cluster
        .steps
        .iter_mut()
        .filter(|s| s.state == StepState::Pending)
    {
        if active >= level {
            break;
        }
        let kill = Arc::new(Notify::new());
        step.state = StepState::Running;
        step.started = Some(now);
        step.kill = Some(kill.clone());
        active += 1;
        launches.push(Launch {
            step_id: step.id.clone(),
            step_name: step.name.clone(),
            command: StepCommand {
                jar: step.jar.clone(),
                main_class: step.main_class.clone(),
                args: step.args.clone(),
                properties: step.properties.clone(),
            },
            inject_failure: faults.step_should_fail(&step.name),
            log_dir: log_base.join("steps").join(&step.id),
            stderr_uri: format!("{log_base_shown}/steps/{}/stderr", step.id),
            kill,
        });
    }
    if active > 0 {
        cluster.state = ClusterState::Running;
        cluster.idle_since = None;
        return Some(launches);
    }
    if !cluster.keep_alive && !cluster.termination_protected {
        let any_failed = cluster.steps.iter().any(|s| s.state == StepState::Failed);
        let message = if any_failed {
            "Steps completed with errors"
        } else {
            "Steps completed"
        };
        begin_termination(
            cluster,
            ClusterState::Terminated,
            "ALL_STEPS_COMPLETED",
            message,
        );
        return None;
    }
    cluster.state = ClusterState::Waiting;
    let idle_since = *cluster.idle_since.get_or_insert_with(Instant::now);
    if let Some(idle_timeout) = cluster.idle_timeout_seconds {
        let limit = shared.timings.idle_second * u32::try_from(idle_timeout).unwrap_or(u32::MAX);
        if idle_since.elapsed() >= limit && !cluster.termination_protected {
            let message = format!(
                "Cluster was terminated after being idle for {idle_timeout} seconds (AutoTerminationPolicy)"
            );
            begin_termination(cluster, ClusterState::Terminated, "IDLE_TIMEOUT", &message);
            return None;
        }
    }
    Some(launches)
}

enum StepOutcome {
    Completed,
    Failed { reason: String, message: String },
    Killed,
}

/// Appends timestamped lines to the step's controller log (best effort: a log that
/// cannot be written must not fail the step).
struct ControllerLog(Option<fs::File>);

impl ControllerLog {
    fn open(path: &Path) -> Self {
        ControllerLog(OpenOptions::new().create(true).append(true).open(path).ok())
    }

    fn line(&mut self, text: &str) {
        if let Some(file) = &mut self.0 {
            let _ = writeln!(
                file,
                "{} INFO {text}",
                Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ")
            );
        }
    }
}

async fn execute_step(shared: &Shared, cluster_id: &str, launch: &Launch) -> StepOutcome {
    let work_dir = shared.layout.work_dir(cluster_id, &launch.step_id);
    if let Err(err) =
        fs::create_dir_all(&launch.log_dir).and_then(|_| fs::create_dir_all(&work_dir))
    {
        return StepOutcome::Failed {
            reason: "Step failed: cannot prepare the step".into(),
            message: err.to_string(),
        };
    }
    let stdout = launch.log_dir.join("stdout");
    let stderr = launch.log_dir.join("stderr");
    let mut controller = ControllerLog::open(&launch.log_dir.join("controller"));
    controller.line(&format!(
        "emrflow local EMR: step {} ({}) on cluster {cluster_id}",
        launch.step_id, launch.step_name
    ));
    controller.line(&format!("Jar: {}", launch.command.jar));
    if let Some(main_class) = &launch.command.main_class {
        controller.line(&format!("MainClass: {main_class}"));
    }
    controller.line(&format!("Args: {:?}", launch.command.args));
    controller.line(&format!("Working dir: {}", work_dir.display()));

    if launch.inject_failure {
        let message = format!(
            "emrflow local EMR: step '{}' failed by fault injection",
            launch.step_name
        );
        let _ = fs::write(&stdout, "");
        let _ = fs::write(&stderr, format!("{message}\n"));
        controller.line(&message);
        return StepOutcome::Failed {
            reason: "Step failed with exit code 1".into(),
            message,
        };
    }
    let plan = match exec::plan_step(&shared.layout, &launch.command, &work_dir) {
        Ok(plan) => plan,
        Err(refusal) => {
            let _ = fs::write(&stdout, "");
            let _ = fs::write(
                &stderr,
                format!("{}\n{}\n", refusal.reason, refusal.message),
            );
            controller.line(&format!(
                "Step refused: {}: {}",
                refusal.reason, refusal.message
            ));
            return StepOutcome::Failed {
                reason: refusal.reason,
                message: refusal.message,
            };
        }
    };
    match plan {
        Plan::Process(spec) => {
            controller.line(&format!("Command: {} {:?}", spec.program, spec.args));
            let end = exec::run_process(
                &spec,
                &work_dir,
                &stdout,
                &stderr,
                Some(launch.kill.clone()),
            )
            .await;
            controller.line(&format!("Process ended: {end:?}"));
            match end {
                ProcessEnd::Exited(0) => {
                    for file in &spec.on_success_touch {
                        let _ = fs::write(file, "");
                    }
                    StepOutcome::Completed
                }
                ProcessEnd::Killed => StepOutcome::Killed,
                ProcessEnd::Exited(code) => {
                    let reason = format!("Step failed with exit code {code}");
                    StepOutcome::Failed {
                        message: failure_message(&stderr, &stdout, &reason),
                        reason,
                    }
                }
                ProcessEnd::Signalled => {
                    let reason = "Step failed: the process was killed by a signal".to_string();
                    StepOutcome::Failed {
                        message: failure_message(&stderr, &stdout, &reason),
                        reason,
                    }
                }
                ProcessEnd::CouldNotStart(error) => {
                    let _ = fs::write(&stderr, format!("{error}\n"));
                    StepOutcome::Failed {
                        reason: "Step failed: the command could not be started".into(),
                        message: error,
                    }
                }
            }
        }
        Plan::DistCp(distcp) => {
            controller.line("Command: s3-dist-cp (local copy)");
            let copy = tokio::task::spawn_blocking(move || distcp.run());
            let result = tokio::select! {
                joined = copy => joined.unwrap_or_else(|err| Err(err.to_string())),
                () = launch.kill.notified() => return StepOutcome::Killed,
            };
            match result {
                Ok(report) => {
                    let _ = fs::write(&stdout, format!("{report}\n"));
                    let _ = fs::write(&stderr, "");
                    StepOutcome::Completed
                }
                Err(error) => {
                    let _ = fs::write(&stdout, "");
                    let _ = fs::write(&stderr, format!("s3-dist-cp failed: {error}\n"));
                    StepOutcome::Failed {
                        reason: "Step failed with exit code 1".into(),
                        message: format!("s3-dist-cp failed: {error}"),
                    }
                }
            }
        }
    }
}

/// FailureDetails.Message: the end of stderr, else of stdout, else the reason itself.
fn failure_message(stderr: &Path, stdout: &Path, reason: &str) -> String {
    [stderr, stdout]
        .into_iter()
        .map(|log| exec::tail_lines(log, 5))
        .find(|tail| !tail.is_empty())
        .unwrap_or_else(|| reason.to_string())
}

async fn run_step(shared: Arc<Shared>, cluster_id: String, launch: Launch) {
    let outcome = execute_step(&shared, &cluster_id, &launch).await;
    let summary = match &outcome {
        StepOutcome::Completed => "completed".to_string(),
        StepOutcome::Killed => "killed".to_string(),
        StepOutcome::Failed { reason, .. } => format!("failed: {reason}"),
    };
    tracing::info!(cluster = %cluster_id, step = %launch.step_id, name = %launch.step_name, outcome = %summary, "step process ended");
    shared.with_inner(|inner| {
        let Ok(cluster) = inner.cluster_mut(&cluster_id) else {
            return;
        };
        let now = Utc::now();
        let Some(step) = cluster.step_mut(&launch.step_id) else {
            return;
        };
        match (step.state, outcome) {
            (StepState::CancelPending, _) => step.finish(StepState::Cancelled, now),
            (StepState::Running, StepOutcome::Completed) => step.finish(StepState::Completed, now),
            (StepState::Running, StepOutcome::Killed) => step.finish(StepState::Interrupted, now),
            (StepState::Running, StepOutcome::Failed { reason, message }) => {
                step.finish(StepState::Failed, now);
                step.failure = Some(FailureDetails {
                    reason,
                    message,
                    log_file: Some(launch.stderr_uri.clone()),
                });
                let action = step.action_on_failure.clone();
                apply_action_on_failure(cluster, &action);
            }
            // Already CANCELLED / INTERRUPTED by a termination: keep that.
            _ => {}
        }
        cluster.wake.notify_one();
    });
}
