//! Step Functions fails an execution whose state passes 256 KiB with States.DataLimitExceeded,
//! which no Catch can handle: once a cluster exists, that would leave it running, protected.
//! So the state stays small by design (the spec is never in it; reports cut EMR's free text
//! to a fixed size) and validate-input computes, for the given spec, the largest state the
//! execution can reach — building the worst-case value of every part and measuring it — and
//! refuses a spec that could pass the limit.

use serde::Serialize;

use super::add_steps::AddStepsResponse;
use super::check_steps::{CheckStepsResponse, Progress, Verdict, WakeOn};
use super::ensure_cluster::EnsureClusterResponse;
use super::report::{
    AttemptReport, StepReport, MESSAGE_JSON_BYTES, REASON_JSON_BYTES, SKIP_REASON_JSON_BYTES,
};
use super::start_check::START_CHECK_JSON_BYTES;
use super::summary::RunSummary;
use super::terminate_cluster::{TerminateClusterResponse, NOTE_JSON_BYTES};
use super::termination_protection::TerminationProtectionResponse;
use crate::cost::Cost;
use crate::emr::{ClusterState, FailureDetails, PipelineStepState};
use crate::error::MAX_MESSAGE_BYTES;
use crate::graph::Graph;
use crate::input::NormalizedInput;
use crate::naming::cluster_name;
use crate::pipeline::PipelineSpec;
use crate::EmrflowError;

/// Step Functions' limit on an execution's state, a task's input or output: 256 KiB.
pub const STATE_LIMIT_BYTES: usize = 256 * 1024;
/// Room for the keys the definition adds around the parts measured here.
const SLACK_BYTES: usize = 2048;
/// What a Task's input adds to the execution input it carries.
const TASK_INPUT_OVERHEAD_BYTES: usize = 1024;
/// Longer than any EMR id (cluster `j-` + 13, step `s-` + 13 today).
const LONGEST_ID: &str = "x-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";
const A_TIME: &str = "2026-11-22T06:00:00.000000+00:00";

fn bytes<T: Serialize>(value: &T) -> usize {
    serde_json::to_string(value).map_or(0, |text| text.len())
}

fn filled(json_bytes: usize) -> String {
    "x".repeat(json_bytes)
}

/// The longest wire name of a pipeline step state (a report's step and attempt states).
fn longest_state() -> PipelineStepState {
    PipelineStepState::ALL
        .iter()
        .copied()
        .max_by_key(|state| state.as_str().len())
        .unwrap_or(PipelineStepState::Interrupted)
}

/// The largest report of one step in a succeeded run's output: FailureDetails appear only on
/// the attempts Retry tried again (the last one completed), a skip reason only on an
/// ANY_FAILED step; every field is at its longest. A failed run's report is fitted into the
/// size of these (`report::fit_report`).
fn worst_step_report(
    step: &crate::pipeline::StepSpec,
    completed_elsewhere: bool,
    log_uri: Option<&str>,
) -> StepReport {
    let location =
        log_uri.map(|uri| emrflow_vocabulary::logs::step_log_prefix(uri, LONGEST_ID, LONGEST_ID));
    let attempts = step.max_attempts();
    let attempt = |number: u32| AttemptReport {
        attempt: number,
        step_id: LONGEST_ID.to_string(),
        state: longest_state(),
        started_at: Some(A_TIME.to_string()),
        ended_at: Some(A_TIME.to_string()),
        log_location: location.clone(),
        failure_details: (number < attempts).then(|| FailureDetails {
            reason: Some(filled(REASON_JSON_BYTES)),
            message: Some(filled(MESSAGE_JSON_BYTES)),
            log_file: location.as_ref().map(|prefix| format!("{prefix}stderr.gz")),
        }),
    };
    StepReport {
        name: step.name.clone(),
        state: longest_state(),
        action_on_failure: crate::emr::ActionOnFailure::TerminateCluster,
        skip_reason: (step.run_if == crate::pipeline::RunIf::AnyFailed || completed_elsewhere)
            .then(|| filled(SKIP_REASON_JSON_BYTES)),
        attempts: (1..=attempts).map(attempt).collect(),
    }
}

/// Every step's worst report; a re-run's skipped steps (`RerunOf`) carry a skip reason.
fn worst_reports(graph: &Graph<'_>, log_uri: Option<&str>) -> Vec<StepReport> {
    graph
        .nodes
        .iter()
        .map(|node| worst_step_report(node.spec, node.completed_elsewhere.is_some(), log_uri))
        .collect()
}

/// The most JSON bytes every step's report can take in a succeeded run of `pipeline` (its
/// `graph`): what a failed run's report is fitted into.
pub(super) fn worst_case_report_bytes(pipeline: &PipelineSpec, graph: &Graph<'_>) -> usize {
    bytes(&worst_reports(graph, pipeline.cluster.log_uri.as_deref()))
}

fn longest_error_name() -> &'static str {
    crate::ErrorName::ALL
        .iter()
        .map(|name| name.as_str())
        .max_by_key(|name| name.len())
        .unwrap_or_default()
}

/// The largest the execution state can get for `normalized`, in bytes.
pub fn worst_case_state_bytes(summary: &RunSummary, normalized: &NormalizedInput) -> usize {
    let pipeline = &normalized.pipeline;
    let log_uri = pipeline.cluster.log_uri.as_deref();
    let cluster = EnsureClusterResponse {
        cluster_id: LONGEST_ID.to_string(),
        created: true,
        cluster_name: cluster_name(&pipeline.name, &normalized.execution_name),
        state: ClusterState::TerminatedWithErrors,
        log_uri: log_uri.map(str::to_string),
        termination_protected: true,
    };
    let protection = TerminationProtectionResponse {
        cluster_id: LONGEST_ID.to_string(),
        protected: true,
        previous: true,
    };
    let submitted = AddStepsResponse::worst_case();
    let graph = Graph::new(pipeline).rerunning(normalized.rerun_of.as_ref());
    let reports = worst_reports(&graph, log_uri);
    let running_names: Vec<String> = pipeline
        .steps
        .iter()
        .map(|step| step.name.clone())
        .collect();
    let check = |steps: Option<Vec<StepReport>>, running: Vec<String>| CheckStepsResponse {
        verdict: Verdict::Completed,
        cluster_state: Some(ClusterState::TerminatedWithErrors),
        next_check_seconds: u32::MAX,
        wake_on: WakeOn::Events,
        outstanding: vec![LONGEST_ID.to_string(); running.len()],
        progress: Progress::worst_case(),
        running,
        error: None,
        cause: None,
        steps,
        cost: Some(Cost::worst_case()),
    };
    let final_check = bytes(&check(Some(reports.clone()), Vec::new()));
    let running_check = bytes(&check(None, running_names));
    // A failed verdict: the report (fitted into the same size), the error and its cause.
    let failed_check = bytes(&CheckStepsResponse {
        verdict: Verdict::Failed,
        error: Some(longest_error_name().to_string()),
        cause: Some(filled(2 * MAX_MESSAGE_BYTES)),
        ..check(Some(reports), Vec::new())
    });
    let termination = TerminateClusterResponse {
        cluster_id: Some(LONGEST_ID.to_string()),
        terminated: true,
        state: Some(ClusterState::TerminatedWithErrors),
        note: filled(NOTE_JSON_BYTES),
    };
    // On the failure path the check is a running one (another Task's error was caught) or a
    // failed verdict, and Failure / CleanupFailure carry the error and cause: a message is
    // cut to MAX_MESSAGE_BYTES, its JSON at most twice that, and the cleanup-failure cause
    // quotes both once more.
    let failure = 6 * (2 * MAX_MESSAGE_BYTES + 256);
    let common = bytes(summary)
        + START_CHECK_JSON_BYTES
        + bytes(&cluster)
        + bytes(&protection)
        + bytes(&submitted);
    let success = common + final_check + bytes(&termination);
    let failed = common + running_check.max(failed_check) + failure + bytes(&termination);
    success.max(failed) + SLACK_BYTES
}

/// validate-input's check: the state and every Task input stay under Step Functions' limit.
pub(super) fn check_state_size(
    summary: &RunSummary,
    normalized: &NormalizedInput,
    input_bytes: usize,
) -> Result<usize, EmrflowError> {
    if input_bytes + TASK_INPUT_OVERHEAD_BYTES > STATE_LIMIT_BYTES {
        return Err(EmrflowError::invalid_input(format!(
            "execution input: {input_bytes} bytes; with what each Task adds ({TASK_INPUT_OVERHEAD_BYTES} bytes) it would pass Step Functions' limit of {STATE_LIMIT_BYTES} bytes per Task input — put the pipeline in the deployed pipeline file instead of the input"
        )));
    }
    let worst = worst_case_state_bytes(summary, normalized);
    if worst > STATE_LIMIT_BYTES && !normalized.item_sources.is_empty() {
        return Err(EmrflowError::invalid_input(format!(
            "{}: with these items the pipeline runs {} steps and instances, and in the worst case (every one reported with every attempt) this execution's state reaches {worst} bytes, over Step Functions' limit of {STATE_LIMIT_BYTES} bytes; give fewer items, shorten step names or LogUri, lower Retry.MaxAttempts, or split the pipeline",
            normalized.item_sources.iter().map(crate::words::key).collect::<Vec<_>>().join(", "),
            normalized.pipeline.steps.len()
        )));
    }
    if worst > STATE_LIMIT_BYTES {
        return Err(EmrflowError::invalid_input(format!(
            "pipeline spec: in the worst case (every step reported with every attempt) this execution's state reaches {worst} bytes, over Step Functions' limit of {STATE_LIMIT_BYTES} bytes; shorten step names or LogUri, lower Retry.MaxAttempts, or split the pipeline"
        )));
    }
    Ok(worst)
}
