//! The reaper: what the cleanup path would have done, for an execution that ended without
//! it. StopExecution and timeouts skip the definition's Catch, so the cluster would stay up,
//! termination-protected, with its steps running; and a FAILED execution's cleanup may itself
//! have failed (CleanupFailed). The same code runs behind the EventBridge rule on AWS
//! (`reap-execution`) and after Ctrl-C on `emrflow local run`.
//!
//! It touches only the execution's own cluster: the one ensure-cluster answered with, or —
//! when that answer never reached the history (a lost RunJobFlow response, a stop during
//! Create_A_Cluster) — the one named and tagged with the execution, created since it started.
//! Then, as cleanup would: the execution's PENDING and RUNNING steps are cancelled; a cluster
//! it created with TerminateCluster true loses its protection and is terminated; one it
//! created to keep gets protection back off; a reused one gets back the protection
//! ensure-cluster found. Every action is idempotent, so an event delivered twice, or a FAILED
//! execution whose cleanup did succeed, costs a few reads and changes nothing.

use chrono::Duration;
use emrflow_core::emr::{ClusterDescription, EmrApi, StepState};
use emrflow_core::handlers::RunSummary;
use emrflow_core::lookup::{describe_existing, find_execution_cluster, was_created_by};
use emrflow_core::naming::parse_attempt_name;
use emrflow_core::{EmrflowError, ErrorName};
use serde::Serialize;

use crate::port::ExecutionStatus;
use crate::record::ExecutionRecord;

/// ListSteps' newest-first look stops at steps older than the execution by this margin.
const CLOCK_SKEW_MINUTES: i64 = 5;

/// How long the reaper waits, before terminating a cluster, for EMR to end the steps it
/// cancelled: a step cancelled with TERMINATE_PROCESS ends in seconds, and then reads
/// CANCELLED ("Cancelled by user request") rather than INTERRUPTED by the termination.
/// Termination ends whatever is still running after that.
pub const CANCEL_SETTLE: std::time::Duration = std::time::Duration::from_secs(20);
const SETTLE_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// What the reaper did, in words and as facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReapReport {
    pub execution: String,
    pub status: ExecutionStatus,
    pub cluster_id: Option<String>,
    /// EMR step ids whose cancellation was requested.
    pub steps_cancelled: Vec<String>,
    /// Termination protection as the reaper left it, when it set it.
    pub protection_set_to: Option<bool>,
    pub terminated: bool,
    /// Each thing done, in order, in words.
    pub actions: Vec<String>,
    /// The conclusion, in words.
    pub outcome: String,
    /// A Task whose function had been called and had not answered when the execution
    /// ended: it may still act (Step Functions does not stop a running Lambda function).
    pub task_in_flight: Option<String>,
}

impl ReapReport {
    /// A second look's report with what the first look did before it: every action and
    /// cancelled step in order, terminated or protection set by either.
    pub fn after(mut self, first: ReapReport) -> ReapReport {
        self.actions = [first.actions, self.actions].concat();
        self.steps_cancelled = [first.steps_cancelled, self.steps_cancelled].concat();
        self.terminated |= first.terminated;
        self.protection_set_to = self.protection_set_to.or(first.protection_set_to);
        self
    }
}

/// The cluster the reaper works on, and what cleanup knows about it.
struct Target {
    cluster: ClusterDescription,
    created: bool,
    protected_before: bool,
}

/// Does what cleanup would have done for `record`'s execution (see the module comment).
pub async fn reap(emr: &dyn EmrApi, record: &ExecutionRecord) -> Result<ReapReport, EmrflowError> {
    reap_with(emr, record, CANCEL_SETTLE).await
}

/// [`reap`], waiting at most `settle` for cancelled steps to end before a termination.
pub async fn reap_with(
    emr: &dyn EmrApi,
    record: &ExecutionRecord,
    settle: std::time::Duration,
) -> Result<ReapReport, EmrflowError> {
    let mut report = ReapReport {
        execution: record.name().to_string(),
        status: record.execution.status,
        cluster_id: record.cluster_id().map(str::to_string),
        steps_cancelled: Vec::new(),
        protection_set_to: None,
        terminated: false,
        actions: Vec::new(),
        outcome: String::new(),
        task_in_flight: record.task_in_flight.clone(),
    };
    if !record.execution.status.is_reaped() {
        report.outcome = format!(
            "the execution is {}: the reaper acts only on ABORTED, TIMED_OUT and FAILED executions",
            record.execution.status
        );
        return Ok(report);
    }
    let Some(summary) = &record.summary else {
        report.outcome =
            "the execution ended before validate-input answered: it created and changed nothing"
                .to_string();
        return Ok(report);
    };
    if !record.reached_a_cluster() {
        report.outcome =
            "the execution ended before any cluster existed (it never reached Create_A_Cluster or Check_Existing_Cluster): it created and changed nothing"
                .to_string();
        return Ok(report);
    }
    let target = match find_target(emr, record, summary).await? {
        Ok(target) => target,
        Err(outcome) => {
            report.outcome = outcome;
            return Ok(report);
        }
    };
    let cluster = &target.cluster;
    report.cluster_id = Some(cluster.id.clone());
    if !cluster.state.accepts_steps() {
        report.outcome = format!(
            "cluster {} is {}: nothing left to do",
            cluster.id,
            cluster.state_with_reason()
        );
        return Ok(report);
    }
    cancel_steps(emr, record, cluster, &mut report).await?;
    settle_cluster(emr, record, summary, &target, settle, &mut report).await?;
    Ok(report)
}

/// The execution's cluster, or why there is none to work on.
async fn find_target(
    emr: &dyn EmrApi,
    record: &ExecutionRecord,
    summary: &RunSummary,
) -> Result<Result<Target, String>, EmrflowError> {
    if let Some(known) = &record.cluster {
        return match describe_existing(emr, &known.cluster_id).await {
            Ok(cluster) => Ok(Ok(Target {
                cluster,
                created: known.created,
                protected_before: known.termination_protected,
            })),
            Err(error) if error.name() == ErrorName::ClusterNotFound => Ok(Err(format!(
                "cluster {} no longer exists: nothing left to do",
                known.cluster_id
            ))),
            Err(error) => Err(error),
        };
    }
    if !summary.create_cluster {
        return Ok(Err(format!(
            "the reused cluster {} was never checked by this execution, so its protection was never changed: nothing to do",
            summary.cluster_id.as_deref().unwrap_or("(none)")
        )));
    }
    let found = find_execution_cluster(
        emr,
        &summary.pipeline_name,
        record.name(),
        Some(record.execution.start_date),
    )
    .await?;
    Ok(match found {
        Some(cluster) => Ok(Target {
            cluster,
            created: true,
            protected_before: false,
        }),
        None => Err(
            "no cluster named and tagged for this execution was created since it started: nothing to do"
                .to_string(),
        ),
    })
}

/// CancelSteps for the execution's PENDING and RUNNING steps (never another execution's).
async fn cancel_steps(
    emr: &dyn EmrApi,
    record: &ExecutionRecord,
    cluster: &ClusterDescription,
    report: &mut ReapReport,
) -> Result<(), EmrflowError> {
    let since = record.execution.start_date - Duration::minutes(CLOCK_SKEW_MINUTES);
    let steps = emr
        .list_steps_since(&cluster.id, since)
        .await
        .map_err(|error| error.with_context(format!("ListSteps on {}", cluster.id)))?;
    let active: Vec<_> = steps
        .iter()
        .filter(|step| matches!(step.state, StepState::Pending | StepState::Running))
        .filter(|step| parse_attempt_name(&step.name, record.name()).is_some())
        .collect();
    if active.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = active.iter().map(|step| step.id.clone()).collect();
    let outcomes = emr
        .cancel_steps(&cluster.id, &ids)
        .await
        .map_err(|error| error.with_context(format!("CancelSteps on {}", cluster.id)))?;
    let named: Vec<String> = active
        .iter()
        .map(|step| format!("'{}' ({}, {})", step.name, step.id, step.state))
        .collect();
    report.actions.push(format!(
        "asked EMR to cancel {} step(s) on {}: {}",
        ids.len(),
        cluster.id,
        named.join(", ")
    ));
    for refused in outcomes.iter().filter(|outcome| !outcome.submitted) {
        report.actions.push(format!(
            "EMR did not cancel {}: {}",
            refused.step_id,
            refused.reason.as_deref().unwrap_or("no reason given")
        ));
    }
    report.steps_cancelled = ids;
    Ok(())
}

/// Terminate, or put protection back, as cleanup would.
async fn settle_cluster(
    emr: &dyn EmrApi,
    record: &ExecutionRecord,
    summary: &RunSummary,
    target: &Target,
    settle: std::time::Duration,
    report: &mut ReapReport,
) -> Result<(), EmrflowError> {
    let cluster = &target.cluster;
    let ours = was_created_by(cluster, &summary.pipeline_name, record.name());
    if target.created && summary.terminate_cluster {
        if !ours {
            report.outcome = format!(
                "cluster {} does not carry this execution's tags: left alone",
                cluster.id
            );
            return Ok(());
        }
        wait_for_cancelled_steps(emr, record, cluster, settle, report).await?;
        set_protection(emr, cluster, false, report).await?;
        emr.terminate_job_flows(&cluster.id)
            .await
            .map_err(|error| error.with_context(format!("TerminateJobFlows {}", cluster.id)))?;
        report.terminated = true;
        report
            .actions
            .push(format!("asked EMR to terminate cluster {}", cluster.id));
        report.outcome = format!(
            "cluster {} is terminating (created by this execution, TerminateCluster true)",
            cluster.id
        );
        return Ok(());
    }
    set_protection(emr, cluster, target.protected_before, report).await?;
    let whose = if target.created {
        "created by this execution, TerminateCluster false"
    } else {
        "reused"
    };
    report.outcome = format!(
        "cluster {} keeps running ({whose}), termination protection {} as before the execution",
        cluster.id,
        on_off(target.protected_before)
    );
    Ok(())
}

/// Waits at most `settle` until the steps the reaper cancelled have ended.
async fn wait_for_cancelled_steps(
    emr: &dyn EmrApi,
    record: &ExecutionRecord,
    cluster: &ClusterDescription,
    settle: std::time::Duration,
    report: &mut ReapReport,
) -> Result<(), EmrflowError> {
    if report.steps_cancelled.is_empty() || settle.is_zero() {
        return Ok(());
    }
    let since = record.execution.start_date - Duration::minutes(CLOCK_SKEW_MINUTES);
    let started = tokio::time::Instant::now();
    loop {
        let steps = emr
            .list_steps_since(&cluster.id, since)
            .await
            .map_err(|error| error.with_context(format!("ListSteps on {}", cluster.id)))?;
        let ended = steps
            .iter()
            .filter(|step| report.steps_cancelled.contains(&step.id))
            .all(|step| step.state.is_terminal());
        if ended {
            return Ok(());
        }
        if started.elapsed() >= settle {
            report.actions.push(format!(
                "the cancelled steps had not ended after {} s: terminating anyway",
                settle.as_secs()
            ));
            return Ok(());
        }
        tokio::time::sleep(SETTLE_POLL).await;
    }
}

async fn set_protection(
    emr: &dyn EmrApi,
    cluster: &ClusterDescription,
    protected: bool,
    report: &mut ReapReport,
) -> Result<(), EmrflowError> {
    if cluster.termination_protected == protected {
        return Ok(());
    }
    emr.set_termination_protection(&cluster.id, protected)
        .await
        .map_err(|error| error.with_context(format!("SetTerminationProtection {}", cluster.id)))?;
    report.protection_set_to = Some(protected);
    report.actions.push(format!(
        "turned termination protection of {} {}",
        cluster.id,
        on_off(protected)
    ));
    Ok(())
}

fn on_off(protected: bool) -> &'static str {
    if protected {
        "on"
    } else {
        "off"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(
        actions: &[&str],
        steps: &[&str],
        terminated: bool,
        protection: Option<bool>,
    ) -> ReapReport {
        ReapReport {
            execution: "daily-1".into(),
            status: ExecutionStatus::Aborted,
            cluster_id: Some("j-1".into()),
            steps_cancelled: steps.iter().map(|step| step.to_string()).collect(),
            protection_set_to: protection,
            terminated,
            actions: actions.iter().map(|action| action.to_string()).collect(),
            outcome: "done".into(),
            task_in_flight: None,
        }
    }

    #[test]
    fn a_second_look_reports_what_both_looks_did_in_order() {
        // GIVEN a first look that cancelled s-1 and set protection off, and a second that
        // cancelled s-2 and terminated
        let first = report(
            &["cancelled s-1", "protection off"],
            &["s-1"],
            false,
            Some(false),
        );
        let second = report(&["cancelled s-2", "terminated"], &["s-2"], true, None);
        // WHEN the second is reported after the first
        let both = second.after(first);
        // THEN every action and step in order, terminated, and the protection the first set
        assert_eq!(
            both.actions,
            [
                "cancelled s-1",
                "protection off",
                "cancelled s-2",
                "terminated"
            ]
        );
        assert_eq!(both.steps_cancelled, ["s-1", "s-2"]);
        assert!(both.terminated);
        assert_eq!(both.protection_set_to, Some(false));
    }
}
