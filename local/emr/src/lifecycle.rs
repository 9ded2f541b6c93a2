//! A task per cluster drives its life cycle: STARTING → BOOTSTRAPPING (bootstrap actions
//! run) → RUNNING / WAITING (steps scheduled up to the concurrency level) → TERMINATING →
//! TERMINATED[_WITH_ERRORS]. Each launched step runs in a task of its own ([`crate::step_run`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use emrflow_vocabulary::{ClusterState, StepState};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::exec::{self, ClusterConfigurations, ProcessEnd, ProcessSpec};
use crate::model::{BootstrapAction, Cluster};
use crate::state::{begin_termination, Inner, Shared};
use crate::step_logs::{remove_empty_dirs, BootstrapLogs, StepLogs};
use crate::step_run::{run_step, Launch};

pub(crate) fn spawn_cluster_driver(shared: Arc<Shared>, cluster_id: String, wake: Arc<Notify>) {
    tokio::spawn(drive_cluster(shared, cluster_id, wake));
}

/// Sleeps `duration` unless the cluster starts terminating; false if it did.
async fn pause(shared: &Shared, cluster_id: &str, wake: &Notify, duration: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + duration;
    loop {
        if !accepts_steps(shared, cluster_id) {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => return accepts_steps(shared, cluster_id),
            () = wake.notified() => {}
        }
    }
}

fn accepts_steps(shared: &Shared, cluster_id: &str) -> bool {
    shared.with_inner(|inner| {
        inner
            .cluster(cluster_id)
            .map(|cluster| cluster.state.accepts_steps())
            .unwrap_or(false)
    })
}

async fn drive_cluster(shared: Arc<Shared>, cluster_id: String, wake: Arc<Notify>) {
    let timings = shared.timings.clone();
    let mut step_tasks: Vec<JoinHandle<()>> = Vec::new();
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
            step_tasks.retain(|task| !task.is_finished());
            for launch in launches {
                tracing::info!(cluster = %cluster_id, step = %launch.step_id, name = %launch.step_name, "step RUNNING");
                step_tasks.push(tokio::spawn(run_step(
                    shared.clone(),
                    cluster_id.clone(),
                    launch,
                )));
            }
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(timings.poll) => {}
            }
        }
    }
    tokio::time::sleep(timings.terminate).await;
    wait_for_steps(&shared, &cluster_id, step_tasks).await;
    release_node(&shared, &cluster_id).await;
    shared.with_inner(|inner| {
        if let Ok(cluster) = inner.cluster_mut(&cluster_id) {
            let final_state = cluster.final_state.unwrap_or(ClusterState::Terminated);
            cluster.ended = Some(Utc::now());
            cluster.set_state(final_state);
            tracing::info!(cluster = %cluster_id, state = %cluster.state, "cluster ended");
        }
    });
}

/// TERMINATING lasts until the cluster's steps have ended — their processes (they get the
/// stop grace, then SIGKILL) and their tasks (logs sealed, end recorded) — so a TERMINATED
/// cluster has none left.
async fn wait_for_steps(shared: &Shared, cluster_id: &str, step_tasks: Vec<JoinHandle<()>>) {
    let deadline =
        tokio::time::Instant::now() + shared.timings.stop_grace * 2 + Duration::from_secs(5);
    while shared.groups.count_of(cluster_id) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for task in step_tasks {
        if tokio::time::timeout_at(deadline, task).await.is_err() {
            tracing::warn!(cluster = %cluster_id, "a step of a terminating cluster did not end in time");
        }
    }
}

/// The cluster's local disk (step work dirs, its Hive metastore and warehouse) goes with it,
/// as an EMR cluster's instances do, and so do the node's log folders its sealed logs left
/// empty; its logs and the local S3 stay.
async fn release_node(shared: &Shared, cluster_id: &str) {
    let cluster_dir = shared.layout.cluster_dir(cluster_id);
    if let Err(error) = tokio::fs::remove_dir_all(&cluster_dir).await {
        if error.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(%error, dir = %cluster_dir.display(), "could not remove a terminated cluster's folder");
        }
    }
    let node_logs = shared.layout.node_log_dir(cluster_id);
    let _ = tokio::task::spawn_blocking(move || remove_empty_dirs(&node_logs)).await;
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
        if !cluster.state.accepts_steps() {
            return None;
        }
        cluster.set_state(ClusterState::Bootstrapping);
        Some((
            cluster.bootstrap_actions.clone(),
            injected,
            cluster.log_uri.clone(),
        ))
    });
    let Some((actions, injected, log_uri)) = prepared else {
        return false;
    };
    let failure = match injected {
        Some(message) => Some(format!("On the master instance (local), {message}")),
        None => run_bootstrap_actions(shared, cluster_id, &actions, log_uri.as_deref()).await,
    };
    match failure {
        None => accepts_steps(shared, cluster_id),
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
    log_uri: Option<&str>,
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
        let logs = BootstrapLogs::new(&shared.layout, log_uri, cluster_id, number);
        let dir = &logs.dir;
        let work_dir = shared.layout.work_dir(cluster_id, "bootstrap");
        if let Err(err) =
            std::fs::create_dir_all(dir).and_then(|_| std::fs::create_dir_all(&work_dir))
        {
            return Some(format!("bootstrap action {number}: {err}"));
        }
        let mut args = vec![script.display().to_string()];
        args.extend(action.args.iter().map(|a| shared.layout.map_s3(a)));
        let spec = ProcessSpec::bootstrap(args, &shared.layout);
        let end = exec::run_process(
            &spec,
            &work_dir,
            (&dir.join("stdout"), &dir.join("stderr")),
            None,
            &shared.supervision(cluster_id),
        )
        .await;
        logs.seal().await;
        if end != ProcessEnd::Exited(0) {
            return Some(format!(
                "On the master instance (local), bootstrap action {number} returned a non-zero return code"
            ));
        }
    }
    None
}

/// Starts steps up to the concurrency level, in submission order, and moves the cluster
/// between RUNNING / WAITING / auto-termination. None once the cluster is terminating.
fn schedule(inner: &mut Inner, cluster_id: &str, shared: &Shared) -> Option<Vec<Launch>> {
    let faults = &inner.faults;
    let cluster = inner.clusters.iter_mut().find(|c| c.id == cluster_id)?;
    if !cluster.state.accepts_steps() {
        return None;
    }
    let configurations = ClusterConfigurations::read(&shared.layout, &cluster.configurations);
    let mut active = cluster
        .steps
        .iter()
        .filter(|s| matches!(s.state, StepState::Running | StepState::CancelPending))
        .count();
    let level = cluster.step_concurrency_level.max(1) as usize;
    let now = Utc::now();
    let mut launches = Vec::new();
    for index in 0..cluster.steps.len() {
        if active >= level {
            break;
        }
        if cluster.steps[index].state != StepState::Pending {
            continue;
        }
        let kill = Arc::new(Notify::new());
        cluster.steps[index].kill = Some(kill.clone());
        cluster.set_step_state(index, StepState::Running, now);
        active += 1;
        let step = &cluster.steps[index];
        launches.push(Launch {
            step_id: step.id.clone(),
            step_name: step.name.clone(),
            config: step.config.clone(),
            inject_failure: faults.step_should_fail(&step.name),
            logs: StepLogs::new(
                &shared.layout,
                cluster.log_uri.as_deref(),
                cluster_id,
                &step.id,
            ),
            configurations: configurations.clone(),
            metastore: cluster.metastore.clone(),
            kill,
        });
    }
    if active > 0 {
        cluster.set_state(ClusterState::Running);
        cluster.idle_since = None;
        return Some(launches);
    }
    if end_when_idle(cluster, shared) {
        return None;
    }
    Some(launches)
}

/// A cluster with nothing to run: terminates (no KeepJobFlowAliveWhenNoSteps, or idle past
/// its AutoTerminationPolicy) unless protected, else WAITING. True when it terminates.
fn end_when_idle(cluster: &mut Cluster, shared: &Shared) -> bool {
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
        return true;
    }
    cluster.set_state(ClusterState::Waiting);
    let idle_since = *cluster.idle_since.get_or_insert_with(Instant::now);
    if let Some(idle_timeout) = cluster.idle_timeout_seconds {
        let limit = shared.timings.idle_second * u32::try_from(idle_timeout).unwrap_or(u32::MAX);
        if idle_since.elapsed() >= limit && !cluster.termination_protected {
            let message = format!(
                "Cluster was terminated after being idle for {idle_timeout} seconds (AutoTerminationPolicy)"
            );
            begin_termination(cluster, ClusterState::Terminated, "IDLE_TIMEOUT", &message);
            return true;
        }
    }
    false
}
