//! One running step: plan it, run it with its logs, seal the logs, and record how it ended
//! (its state, FailureDetails, and what its ActionOnFailure does to the cluster).

use std::fs;
use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use emrflow_vocabulary::logs::LogStream;
use emrflow_vocabulary::{FailureDetails, HadoopJarStep, StepState};
use tokio::sync::Notify;

use crate::exec::{
    self, signal_name, ClusterConfigurations, DistCp, Plan, ProcessEnd, ProcessSpec, StepContext,
};
use crate::state::{apply_action_on_failure, Shared};
use crate::step_logs::{display_words, explain_failure, ControllerLog, StepLogs};

/// A step the scheduler just moved to RUNNING.
pub(crate) struct Launch {
    pub step_id: String,
    pub step_name: String,
    pub config: HadoopJarStep,
    pub inject_failure: bool,
    pub logs: StepLogs,
    pub configurations: ClusterConfigurations,
    /// The cluster's metastore lock, for Hive steps.
    pub metastore: Arc<tokio::sync::Mutex<()>>,
    /// Notified when the step is to stop (cancelled, or its cluster terminating).
    pub kill: Arc<Notify>,
}

enum StepOutcome {
    Completed,
    /// FailureDetails' reason, its message when there is one worth its own words, and the
    /// log that explains it (LogFile).
    Failed {
        reason: String,
        message: Option<String>,
        log: LogStream,
    },
    Stopped,
}

impl StepOutcome {
    fn failed(reason: impl Into<String>, message: impl Into<String>) -> Self {
        StepOutcome::Failed {
            reason: reason.into(),
            message: Some(message.into()),
            log: LogStream::Stderr,
        }
    }
}

pub(crate) async fn run_step(shared: Arc<Shared>, cluster_id: String, launch: Launch) {
    let outcome = execute_step(&shared, &cluster_id, &launch).await;
    launch.logs.seal().await;
    let summary = match &outcome {
        StepOutcome::Completed => "completed".to_string(),
        StepOutcome::Stopped => "stopped".to_string(),
        StepOutcome::Failed { reason, .. } => format!("failed: {reason}"),
    };
    tracing::info!(cluster = %cluster_id, step = %launch.step_id, name = %launch.step_name, outcome = %summary, "step process ended");
    shared.with_inner(|inner| {
        let Ok(cluster) = inner.cluster_mut(&cluster_id) else {
            return;
        };
        let now = Utc::now();
        let Some(index) = cluster.step_index(&launch.step_id) else {
            return;
        };
        match (cluster.steps[index].state, outcome) {
            (StepState::CancelPending, _) => {
                cluster.set_step_state(index, StepState::Cancelled, now)
            }
            (StepState::Running, StepOutcome::Completed) => {
                cluster.set_step_state(index, StepState::Completed, now)
            }
            (StepState::Running, StepOutcome::Stopped) => {
                cluster.set_step_state(index, StepState::Interrupted, now)
            }
            (
                StepState::Running,
                StepOutcome::Failed {
                    reason,
                    message,
                    log,
                },
            ) => {
                cluster.steps[index].failure = Some(FailureDetails {
                    reason: Some(reason),
                    message,
                    log_file: Some(launch.logs.uri(log)),
                });
                cluster.set_step_state(index, StepState::Failed, now);
                let action = cluster.steps[index].action_on_failure;
                apply_action_on_failure(cluster, action);
            }
            // Already CANCELLED / INTERRUPTED by a termination: keep that.
            _ => {}
        }
        cluster.wake.notify_one();
    });
}

/// The controller log's opening: which step, what it asked for, where it runs, and the
/// cluster Configurations that do not apply locally.
fn open_controller_log(launch: &Launch, cluster_id: &str, work_dir: &Path) -> ControllerLog {
    let mut controller = ControllerLog::open(&launch.logs.path(LogStream::Controller));
    controller.line(&format!(
        "emrflow local EMR: step {} ({}) on cluster {cluster_id}",
        launch.step_id, launch.step_name
    ));
    controller.line(&format!("Jar: {}", launch.config.jar));
    if let Some(main_class) = &launch.config.main_class {
        controller.line(&format!("MainClass: {main_class}"));
    }
    controller.line(&format!("Args: {}", display_words(&launch.config.args)));
    controller.line(&format!("Working dir: {}", work_dir.display()));
    for note in launch.configurations.notes() {
        controller.line(note);
    }
    controller
}

/// Writes a step's only words to its logs when no process ran (injected failure, refusal).
fn write_logs_without_process(launch: &Launch, stderr_text: &str) {
    let _ = fs::write(launch.logs.path(LogStream::Stdout), "");
    let _ = fs::write(launch.logs.path(LogStream::Stderr), stderr_text);
}

async fn execute_step(shared: &Shared, cluster_id: &str, launch: &Launch) -> StepOutcome {
    let work_dir = shared.layout.work_dir(cluster_id, &launch.step_id);
    if let Err(err) =
        fs::create_dir_all(&launch.logs.dir).and_then(|_| fs::create_dir_all(&work_dir))
    {
        return StepOutcome::failed("Step failed: cannot prepare the step", err.to_string());
    }
    let mut controller = open_controller_log(launch, cluster_id, &work_dir);
    if launch.inject_failure {
        let message = format!(
            "emrflow local EMR: step '{}' failed by fault injection",
            launch.step_name
        );
        write_logs_without_process(launch, &format!("{message}\n"));
        controller.line(&message);
        return StepOutcome::failed("Step failed with exit code 1", message);
    }
    let context = StepContext {
        layout: &shared.layout,
        work_dir: &work_dir,
        cluster_dir: &shared.layout.cluster_dir(cluster_id),
        configurations: &launch.configurations,
    };
    let plan = match exec::plan_step(&context, &launch.config) {
        Ok(plan) => plan,
        Err(refusal) => {
            write_logs_without_process(
                launch,
                &format!("{}\n{}\n", refusal.reason, refusal.message),
            );
            controller.line(&format!(
                "Step refused: {}: {}",
                refusal.reason, refusal.message
            ));
            return StepOutcome::failed(refusal.reason, refusal.message);
        }
    };
    match plan {
        Plan::Process(spec) => {
            controller.line(&format!(
                "Command: {} {}",
                display_words(std::slice::from_ref(&spec.program)),
                display_words(&spec.args)
            ));
            run_planned_process(
                shared,
                cluster_id,
                launch,
                &spec,
                &work_dir,
                &mut controller,
            )
            .await
        }
        Plan::DistCp(distcp) => {
            controller.line("Command: s3-dist-cp (local copy)");
            run_distcp(distcp, launch).await
        }
    }
}

/// Runs a planned process (after taking the cluster's metastore if it needs it).
async fn run_planned_process(
    shared: &Shared,
    cluster_id: &str,
    launch: &Launch,
    spec: &ProcessSpec,
    work_dir: &Path,
    controller: &mut ControllerLog,
) -> StepOutcome {
    let _metastore = if spec.uses_metastore {
        tokio::select! {
            guard = launch.metastore.lock() => Some(guard),
            () = launch.kill.notified() => return StepOutcome::Stopped,
        }
    } else {
        None
    };
    let end = exec::run_process(
        spec,
        work_dir,
        (
            &launch.logs.path(LogStream::Stdout),
            &launch.logs.path(LogStream::Stderr),
        ),
        Some(launch.kill.clone()),
        &shared.supervision(cluster_id),
    )
    .await;
    controller.line(&format!("The process {end}"));
    process_outcome(end, spec, launch)
}

/// s3-dist-cp copies on a blocking thread; its report is the step's stdout.
async fn run_distcp(distcp: DistCp, launch: &Launch) -> StepOutcome {
    let copy = tokio::task::spawn_blocking(move || distcp.run());
    let result = tokio::select! {
        joined = copy => joined.unwrap_or_else(|err| Err(err.to_string())),
        () = launch.kill.notified() => return StepOutcome::Stopped,
    };
    let stdout = launch.logs.path(LogStream::Stdout);
    match result {
        Ok(report) => {
            let _ = fs::write(&stdout, format!("{report}\n"));
            let _ = fs::write(launch.logs.path(LogStream::Stderr), "");
            StepOutcome::Completed
        }
        Err(error) => {
            let message = format!("s3-dist-cp failed: {error}");
            write_logs_without_process(launch, &format!("{message}\n"));
            StepOutcome::failed("Step failed with exit code 1", message)
        }
    }
}

/// What the end of a step's process means for the step.
fn process_outcome(end: ProcessEnd, spec: &ProcessSpec, launch: &Launch) -> StepOutcome {
    let stdout = launch.logs.path(LogStream::Stdout);
    let stderr = launch.logs.path(LogStream::Stderr);
    match end {
        ProcessEnd::Exited(0) => {
            for file in &spec.on_success_touch {
                let _ = fs::write(file, "");
            }
            StepOutcome::Completed
        }
        ProcessEnd::Stopped => StepOutcome::Stopped,
        ProcessEnd::Exited(code) => {
            let reason = format!("Step failed with exit code {code}");
            let explained = explain_failure(&stderr, &stdout);
            StepOutcome::Failed {
                message: Some(explained.message.unwrap_or_else(|| reason.clone())),
                reason,
                log: explained.log,
            }
        }
        // The reason names the signal; the message is what the logs explain, or nothing:
        // never the same words twice.
        ProcessEnd::Signalled(signal) => {
            let explained = explain_failure(&stderr, &stdout);
            StepOutcome::Failed {
                reason: format!(
                    "Step failed: the process was killed by {}",
                    signal_name(signal)
                ),
                message: explained.message,
                log: explained.log,
            }
        }
        ProcessEnd::CouldNotStart(error) => {
            let _ = fs::write(&stderr, format!("{error}\n"));
            StepOutcome::failed("Step failed: the command could not be started", error)
        }
    }
}
