//! What `emrflow local run` does once its execution has ended: one look at EMR, bounded, then
//! the embedded local EMR stops.
//!
//! The look is the reaper for an ABORTED, FAILED or TIMED_OUT execution (as the EventBridge
//! rule starts it on AWS), then the execution's steps for its record. EMR may not answer: a
//! local EMR that is stopped (SIGSTOP) still accepts connections and never replies. The
//! execution's result is printed by then, so nothing it says depends on this look, and the
//! runner must not outlive it silently: after [`PATIENCE`] the look says what it waits for
//! and that Ctrl-C leaves it; on Ctrl-C or SIGTERM, or past [`LOOK_BUDGET`], it gives up and
//! prints the commands that finish by hand. The embedded local EMR then stops in any case:
//! that ends its clusters and their step processes, within its own bound.

use std::time::Duration;

use emrflow_core::naming::cluster_name;
use emrflow_core::SdkEmr;
use emrflow_executions::{list_execution_steps, reap, ExecutionRecord, LocalRecorder};
use emrflow_local_emr::RunningLocalEmr;
use tokio::sync::watch;
use tokio::time::Instant;

/// The most the look at EMR after the execution may take (the README states it). The reaper
/// needs a few calls and at most 20 s for cancelled steps to end (`CANCEL_SETTLE`).
pub const LOOK_BUDGET: Duration = Duration::from_secs(60);

/// How long the look runs before the runner says what it is waiting for.
const PATIENCE: Duration = Duration::from_secs(2);

/// The ended execution, and the EMR endpoint it ran against.
pub(super) struct AfterRun<'a> {
    pub(super) emr: &'a SdkEmr,
    pub(super) endpoint: &'a str,
    pub(super) record: &'a ExecutionRecord,
    pub(super) recorder: &'a LocalRecorder,
}

/// How the look ended.
enum LookEnd {
    /// It ran to its end; false when the reaper could not do its work.
    Done(bool),
    GaveUp,
    Left(&'static str),
}

impl AfterRun<'_> {
    /// The look at EMR, then the embedded local EMR's stop.
    pub(super) async fn finish(&self, embedded: Option<RunningLocalEmr>) {
        let (phase, watched) = watch::channel(String::new());
        let end = tokio::select! {
            reaped = self.look(&phase) => LookEnd::Done(reaped),
            () = announce(self.endpoint, watched) => LookEnd::GaveUp,
            Some(signal) = super::next_signal() => LookEnd::Left(signal),
        };
        let waited_for = phase.borrow().clone();
        match end {
            LookEnd::Done(true) => {}
            LookEnd::Done(false) => self.print_what_is_left(embedded.is_some()),
            LookEnd::GaveUp => {
                anstream::eprintln!(
                    "gave up after {} s: EMR at {} did not answer {waited_for}",
                    LOOK_BUDGET.as_secs(),
                    self.endpoint
                );
                self.print_what_is_left(embedded.is_some());
            }
            LookEnd::Left(signal) => {
                anstream::eprintln!("{signal}: left {waited_for}");
                self.print_what_is_left(embedded.is_some());
            }
        }
        if let Some(running) = embedded {
            stop_embedded(running).await;
        }
    }

    /// The reaper (for an execution it acts on), then the steps for the record; `phase`
    /// says which, for the announcements. False when the reaper failed.
    async fn look(&self, phase: &watch::Sender<String>) -> bool {
        let record = self.record;
        let mut reaped = true;
        if record.execution.status.is_reaped() {
            let target = match record.cluster_id() {
                Some(cluster) => format!("cluster {cluster}"),
                None => "this execution's cluster, if it made one".to_string(),
            };
            phase.send_replace(format!("the reaper's cleanup of {target}"));
            reaped = reap_locally(self.emr, record).await;
        }
        if let Some(cluster) = record.cluster_id() {
            phase.send_replace(format!(
                "ListSteps on cluster {cluster} (the steps, for the record)"
            ));
        }
        if let Ok(Some(steps)) = list_execution_steps(self.emr, record).await {
            self.recorder.steps(&steps);
        }
        reaped
    }

    /// What the unfinished look leaves to do, and the commands that do it.
    fn print_what_is_left(&self, embedded: bool) {
        let record = self.record;
        if embedded {
            anstream::eprintln!(
                "  the local EMR's shutdown below ends its clusters and their step processes"
            );
            return;
        }
        let left = if !record.execution.status.is_reaped() {
            vec![]
        } else {
            cleanup_commands(record, self.endpoint)
        };
        if left.is_empty() {
            anstream::eprintln!("  nothing is left to clean up; the record has no step list");
            return;
        }
        anstream::eprintln!("  the reaper did not finish; to finish by hand:");
        for line in left {
            anstream::eprintln!("    {line}");
        }
    }
}

/// After [`PATIENCE`], says what the look waits for (again when that changes) and how to
/// leave it; returns when [`LOOK_BUDGET`] has passed.
async fn announce(endpoint: &str, mut phase: watch::Receiver<String>) {
    let deadline = Instant::now() + LOOK_BUDGET;
    tokio::time::sleep(PATIENCE).await;
    loop {
        let left = deadline.saturating_duration_since(Instant::now()).as_secs();
        anstream::eprintln!(
            "waiting for EMR at {endpoint} to answer {}: giving up in {left} s; Ctrl-C leaves it now",
            *phase.borrow_and_update()
        );
        // Said again when the look moves on to its next part.
        match tokio::time::timeout_at(deadline, phase.changed()).await {
            Ok(Ok(())) => {}
            // No sender: the look is over, and is seen as done.
            Ok(Err(_)) => return std::future::pending().await,
            Err(_elapsed) => return,
        }
    }
}

/// What the reaper would still have done, as AWS CLI commands against `endpoint`.
fn cleanup_commands(record: &ExecutionRecord, endpoint: &str) -> Vec<String> {
    let at = format!("--endpoint-url {endpoint}");
    let Some(summary) = &record.summary else {
        return vec![];
    };
    let Some(cluster) = &record.cluster else {
        if !summary.create_cluster {
            return vec![];
        }
        let name = cluster_name(&summary.pipeline_name, record.name());
        return vec![
            format!("aws emr list-clusters --active {at}   # a cluster named {name}, if any"),
            format!(
                "aws emr modify-cluster-attributes --cluster-id <it> --no-termination-protected {at} && aws emr terminate-clusters --cluster-ids <it> {at}"
            ),
        ];
    };
    let id = &cluster.cluster_id;
    let mut commands = vec![format!(
        "aws emr list-steps --cluster-id {id} --step-states PENDING RUNNING {at}   # then aws emr cancel-steps --cluster-id {id} --step-ids … {at} for this execution's ('… [{}]')",
        record.name()
    )];
    commands.push(if cluster.created && summary.terminate_cluster {
        format!(
            "aws emr modify-cluster-attributes --cluster-id {id} --no-termination-protected {at} && aws emr terminate-clusters --cluster-ids {id} {at}"
        )
    } else {
        let protection = if cluster.termination_protected {
            "--termination-protected"
        } else {
            "--no-termination-protected"
        };
        format!("aws emr modify-cluster-attributes --cluster-id {id} {protection} {at}")
    });
    commands
}

/// The reaper against the local EMR, saying what it did; false when it failed.
async fn reap_locally(emr: &SdkEmr, record: &ExecutionRecord) -> bool {
    match reap(emr, record).await {
        Ok(report) => {
            for action in &report.actions {
                anstream::eprintln!("reaper: {action}");
            }
            anstream::eprintln!("reaper: {}", report.outcome);
            true
        }
        Err(error) => {
            anstream::eprintln!("reaper: {error} ({})", error.name());
            false
        }
    }
}

/// Stops the embedded local EMR and waits for its step processes to end.
async fn stop_embedded(running: RunningLocalEmr) {
    let terminated = running.stop().await;
    if terminated.is_empty() {
        anstream::eprintln!("stopped the local EMR: no cluster was left running");
    } else {
        anstream::eprintln!(
            "stopped the local EMR: terminated cluster(s) {} (TerminateCluster false) and ended their step processes",
            terminated.join(", ")
        );
    }
}
