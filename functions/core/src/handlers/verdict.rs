//! The verdict of one look at a run: which contract error a failed run ends with, and the
//! cause a person reads (cluster, step, attempts, EMR's FailureDetails, the other steps).

use chrono::{DateTime, Utc};

use crate::emr::{ClusterDescription, FailureDetails};
use crate::graph::evaluate::NodeView;
use crate::graph::{Evaluation, FailureKind, Graph, NodeStatus};
use crate::pipeline::PipelineSpec;
use crate::{EmrflowError, ErrorName};

/// `'name' (id) STATE` of a step: its last attempt's EMR name and id, or its spec name.
fn describe(graph: &Graph<'_>, view: &NodeView<'_>, index: usize) -> String {
    match view.last_attempt() {
        Some(step) => format!("'{}' ({}) {}", step.name, step.id, view.status.label()),
        None => format!("'{}' {}", graph.nodes[index].spec.name, view.status.label()),
    }
}

fn others_summary(graph: &Graph<'_>, evaluation: &Evaluation<'_>, except: usize) -> String {
    let others: Vec<String> = evaluation
        .nodes
        .iter()
        .enumerate()
        .filter(|(index, _)| *index != except)
        .map(|(index, view)| describe(graph, view, index))
        .collect();
    if others.is_empty() {
        "no other steps".to_string()
    } else {
        format!("other steps: {}", others.join(", "))
    }
}

/// `'name' (id) STATE, …` for every step that has not completed.
pub(super) fn unfinished_steps(graph: &Graph<'_>, evaluation: &Evaluation<'_>) -> String {
    evaluation
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, view)| view.status != NodeStatus::Succeeded)
        .map(|(index, view)| describe(graph, view, index))
        .collect::<Vec<_>>()
        .join(", ")
}

/// PipelineTimedOut when unfinished steps have run past MaxRunMinutes.
pub(super) fn run_time_exceeded(
    pipeline: &PipelineSpec,
    start: DateTime<Utc>,
    check_time: Option<DateTime<Utc>>,
    cluster: &ClusterDescription,
    graph: &Graph<'_>,
    evaluation: &Evaluation<'_>,
) -> Option<EmrflowError> {
    let elapsed = check_time? - start;
    let max_minutes = pipeline.max_run_minutes();
    if elapsed <= chrono::Duration::minutes(i64::from(max_minutes)) {
        return None;
    }
    Some(EmrflowError::new(
        ErrorName::PipelineTimedOut,
        format!(
            "the pipeline has run {} on cluster {} ({}), over its MaxRunMinutes of {max_minutes}; unfinished steps: {}",
            ran_for(elapsed),
            cluster.id,
            cluster.state_with_reason(),
            unfinished_steps(graph, evaluation)
        ),
    ))
}

/// `61 minutes`, `1 minute 1 second`: how long the pipeline has run, to the second.
fn ran_for(elapsed: chrono::Duration) -> String {
    let seconds = elapsed.num_seconds().max(0);
    let minutes = crate::words::count(seconds / 60, "minute");
    match seconds % 60 {
        0 => minutes,
        rest => format!("{minutes} {}", crate::words::count(rest, "second")),
    }
}

/// The error of one failed step (after its retries), naming attempts and EMR's details.
fn step_error(
    graph: &Graph<'_>,
    evaluation: &Evaluation<'_>,
    cluster: &ClusterDescription,
    index: usize,
    kind: FailureKind,
) -> EmrflowError {
    let view = &evaluation.nodes[index];
    let spec = graph.nodes[index].spec;
    let (emr_name, id) = view
        .last_attempt()
        .map(|step| (step.name.as_str(), step.id.as_str()))
        .unwrap_or((spec.name.as_str(), "never submitted"));
    let attempts = match view.attempts.len() {
        0 | 1 => String::new(),
        n => format!(" after {n} attempts"),
    };
    let others = others_summary(graph, evaluation, index);
    let on = format!(
        "on cluster {} (cluster {})",
        cluster.id,
        cluster.state_with_reason()
    );
    let (name, text) = match kind {
        FailureKind::Failed => (
            ErrorName::StepFailed,
            format!(
                "step '{emr_name}' ({id}) FAILED{attempts} {on}: {}; {others}",
                FailureDetails::describe(view.last_attempt().and_then(|s| s.failure_details.as_ref()))
            ),
        ),
        FailureKind::TimedOut => (
            ErrorName::StepTimedOut,
            format!(
                "step '{emr_name}' ({id}) ran longer than its TimeoutSeconds of {} and was cancelled{attempts} {on}; {others}",
                spec.timeout_seconds.unwrap_or_default()
            ),
        ),
        FailureKind::Cancelled => (
            ErrorName::StepCancelled,
            format!("step '{emr_name}' ({id}) was CANCELLED {on}; {others}"),
        ),
        FailureKind::Interrupted => (
            ErrorName::StepInterrupted,
            format!("step '{emr_name}' ({id}) was INTERRUPTED {on}; {others}"),
        ),
    };
    EmrflowError::new(name, text)
}

/// The error of a failed run, or None while it may still succeed (or has succeeded): raised
/// only once every step that can still run has run — or at once when nothing more can run
/// (a dying cluster, a TERMINATE_CLUSTER failure).
pub(super) fn failed_verdict(
    graph: &Graph<'_>,
    evaluation: &Evaluation<'_>,
    cluster: &ClusterDescription,
) -> Option<EmrflowError> {
    let error_of = |(index, kind)| step_error(graph, evaluation, cluster, index, kind);
    if let Some(halt) = evaluation
        .halt
        .filter(|halt| halt.action.terminates_cluster())
    {
        if let NodeStatus::Failed(kind) = evaluation.nodes[halt.node].status {
            return Some(error_of((halt.node, kind)));
        }
    }
    if cluster.state.is_ending() {
        // A step that FAILED is the root cause; otherwise the dead cluster interrupted and
        // cancelled its steps, and the cluster is the cause to report.
        let failed = evaluation
            .first_failure()
            .filter(|(_, kind)| *kind == FailureKind::Failed);
        if let Some(failure) = failed {
            return Some(error_of(failure));
        }
        let all_completed = evaluation
            .nodes
            .iter()
            .all(|view| view.status == NodeStatus::Succeeded);
        if !all_completed {
            return Some(EmrflowError::new(
                ErrorName::ClusterFailed,
                format!(
                    "cluster {} is {} before all steps completed; unfinished steps: {}",
                    cluster.id,
                    cluster.state_with_reason(),
                    unfinished_steps(graph, evaluation)
                ),
            ));
        }
        return None;
    }
    if !evaluation.finished() {
        return None;
    }
    evaluation.first_failure().map(error_of)
}
