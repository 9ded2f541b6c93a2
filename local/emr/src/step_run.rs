//! One running step: plan it, run it with its logs, and record how it ended (its state,
//! FailureDetails, and what its ActionOnFailure does to the cluster).

use std::fs;
use std::sync::Arc;

use chrono::Utc;
use emrflow_vocabulary::{FailureDetails, HadoopJarStep, StepState};
use tokio::sync::Notify;

use crate::exec::{self, signal_name, DistCp, Plan, ProcessEnd, ProcessSpec};
use crate::state::{apply_action_on_failure, Shared};
use crate::step_logs::{display_words, failure_message, log_tail, ControllerLog, StepLogs};

/// A step the scheduler just moved to RUNNING.
pub(crate) struct Launch {
    pub step_id: String,
    pub step_name: String,
    pub config: HadoopJarStep,
    pub inject_failure: bool,
    pub logs: StepLogs,
    /// Notified when the step is to stop (cancelled, or its cluster terminating).
    pub kill: Arc<Notify>,
}

enum StepOutcome {
    Completed,
    /// FailureDetails' reason, and its message when there is one worth its own words.
    Failed {
        reason: String,
        message: Option<String>,
    },
    Stopped,
}

impl StepOutcome {
    fn failed(reason: impl Into<String>, message: impl Into<String>) -> Self {
        StepOutcome::Failed {
            reason: reason.into(),
            message: Some(message.into()),
        }
    }
}

pub(crate) async fn run_step(shared: Arc<Shared>, cluster_id: String, launch: Launch) {
    let outcome = execute_step(&shared, &cluster_id, &launch).await;
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
            (StepState::Running, StepOutcome::Failed { reason, message }) => {
                cluster.steps[index].failure = Some(FailureDetails {
                    reason: Some(reason),
                    message,
                    log_file: Some(launch.logs.uri("stderr")),
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

async fn execute_step(shared: &Shared, cluster_id: &str, launch: &Launch) -> StepOutcome {
    let work_dir = shared.layout.work_dir(cluster_id, &launch.step_id);
    if let Err(err) =
        fs::create_dir_all(&launch.logs.dir).and_then(|_| fs::create_dir_all(&work_dir))
    {
        return StepOutcome::failed("Step failed: cannot prepare the step", err.to_string());
    }
    let stdout = launch.logs.path("stdout");
    let stderr = launch.logs.path("stderr");
    let mut controller = ControllerLog::open(&launch.logs.path("controller"));
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

    if launch.inject_failure {
        let message = format!(
            "emrflow local EMR: step '{}' failed by fault injection",
            launch.step_name
        );
        let _ = fs::write(&stdout, "");
        let _ = fs::write(&stderr, format!("{message}\n"));
        controller.line(&message);
        return StepOutcome::failed("Step failed with exit code 1", message);
    }
    let plan = match exec::plan_step(&shared.layout, &launch.config, &work_dir) {
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
            let end = exec::run_process(
                &spec,
                &work_dir,
                (&stdout, &stderr),
                Some(launch.kill.clone()),
                &shared.supervision(cluster_id),
            )
            .await;
            controller.line(&format!("The process {end}"));
            process_outcome(end, &spec, launch)
        }
        Plan::DistCp(distcp) => {
            controller.line("Command: s3-dist-cp (local copy)");
            run_distcp(distcp, launch).await
        }
    }
}

/// s3-dist-cp copies on a blocking thread; its report is the step's stdout.
async fn run_distcp(distcp: DistCp, launch: &Launch) -> StepOutcome {
    let stdout = launch.logs.path("stdout");
    let stderr = launch.logs.path("stderr");
    let copy = tokio::task::spawn_blocking(move || distcp.run());
    let result = tokio::select! {
        joined = copy => joined.unwrap_or_else(|err| Err(err.to_string())),
        () = launch.kill.notified() => return StepOutcome::Stopped,
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
            StepOutcome::failed(
                "Step failed with exit code 1",
                format!("s3-dist-cp failed: {error}"),
            )
        }
    }
}

/// What the end of a step's process means for the step.
fn process_outcome(end: ProcessEnd, spec: &ProcessSpec, launch: &Launch) -> StepOutcome {
    let stdout = launch.logs.path("stdout");
    let stderr = launch.logs.path("stderr");
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
            let message = failure_message(&stderr, &stdout, &reason);
            StepOutcome::failed(reason, message)
        }
        // The reason names the signal; the message is the log's end, or nothing: never the
        // same words twice.
        ProcessEnd::Signalled(signal) => StepOutcome::Failed {
            reason: format!(
                "Step failed: the process was killed by {}",
                signal_name(signal)
            ),
            message: log_tail(&stderr, &stdout),
        },
        ProcessEnd::CouldNotStart(error) => {
            let _ = fs::write(&stderr, format!("{error}\n"));
            StepOutcome::failed("Step failed: the command could not be started", error)
        }
    }
}
