//! The verdict of one look at a run: which contract error a failed run ends with, and the
//! cause a person reads (cluster, step, EMR's FailureDetails, the other steps).

use crate::emr::{ClusterDescription, FailureDetails, StepState, StepSummary};
use crate::{EmrflowError, ErrorName};

/// How long the steps have run, and for how long they may.
pub(super) struct RunTimeLimit {
    pub elapsed: chrono::Duration,
    pub max_minutes: u32,
}

/// `'name' (id) STATE` of a step.
fn describe(step: &StepSummary) -> String {
    format!("'{}' ({}) {}", step.name, step.id, step.state)
}

fn others_summary(steps: &[&StepSummary], except_id: &str) -> String {
    let others: Vec<String> = steps
        .iter()
        .filter(|step| step.id != except_id)
        .map(|step| describe(step))
        .collect();
    if others.is_empty() {
        "no other steps".to_string()
    } else {
        format!("other steps: {}", others.join(", "))
    }
}

/// `'name' (id) STATE, …` for every step that has not completed.
fn unfinished_steps(steps: &[&StepSummary]) -> String {
    steps
        .iter()
        .filter(|step| step.state != StepState::Completed)
        .map(|step| describe(step))
        .collect::<Vec<_>>()
        .join(", ")
}

/// PipelineTimedOut when unfinished steps have run past MaxRunMinutes.
pub(super) fn run_time_exceeded(
    limit: &Option<RunTimeLimit>,
    cluster: &ClusterDescription,
    steps: &[&StepSummary],
) -> Option<EmrflowError> {
    let limit = limit.as_ref()?;
    if limit.elapsed <= chrono::Duration::minutes(i64::from(limit.max_minutes)) {
        return None;
    }
    Some(EmrflowError::new(
        ErrorName::PipelineTimedOut,
        format!(
            "the pipeline has run {} minutes on cluster {} ({}), over its MaxRunMinutes of {}; unfinished steps: {}",
            limit.elapsed.num_minutes(),
            cluster.id,
            cluster.state_with_reason(),
            limit.max_minutes,
            unfinished_steps(steps)
        ),
    ))
}

/// The error of a failed run, or None while it may still succeed (or has succeeded).
pub(super) fn failed_verdict(
    cluster: &ClusterDescription,
    steps: &[&StepSummary],
) -> Option<EmrflowError> {
    let all_terminal = steps.iter().all(|step| step.state.is_terminal());
    let cluster_dying = cluster.state.is_ending();
    if !all_terminal && !cluster_dying {
        return None;
    }
    let first_in = |state: StepState| steps.iter().find(|step| step.state == state);
    if let Some(failed) = first_in(StepState::Failed) {
        return Some(EmrflowError::new(
            ErrorName::StepFailed,
            format!(
                "step '{}' ({}) FAILED on cluster {} (cluster {}): {}; {}",
                failed.name,
                failed.id,
                cluster.id,
                cluster.state_with_reason(),
                FailureDetails::describe(failed.failure_details.as_ref()),
                others_summary(steps, &failed.id)
            ),
        ));
    }
    // A dead cluster interrupts and cancels its steps: the cluster is the cause to report.
    let all_completed = steps.iter().all(|step| step.state == StepState::Completed);
    if cluster_dying && !all_completed {
        return Some(EmrflowError::new(
            ErrorName::ClusterFailed,
            format!(
                "cluster {} is {} before all steps completed; unfinished steps: {}",
                cluster.id,
                cluster.state_with_reason(),
                unfinished_steps(steps)
            ),
        ));
    }
    if !all_terminal {
        return None;
    }
    [
        (StepState::Cancelled, ErrorName::StepCancelled),
        (StepState::Interrupted, ErrorName::StepInterrupted),
    ]
    .into_iter()
    .find_map(|(state, name)| {
        first_in(state).map(|step| {
            EmrflowError::new(
                name,
                format!(
                    "step '{}' ({}) was {state} on cluster {} (cluster {}); {}",
                    step.name,
                    step.id,
                    cluster.id,
                    cluster.state_with_reason(),
                    others_summary(steps, &step.id)
                ),
            )
        })
    })
}
