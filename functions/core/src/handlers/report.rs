//! Each step as the execution output reports it: its final state (SKIPPED included), every
//! attempt with its EMR step id, state (TIMED_OUT for emrflow's timeout), times, log location
//! and FailureDetails. Free text from EMR is cut to a fixed number of JSON bytes, so the
//! report's worst-case size is known in advance (`state_size.rs`); a failed run's report,
//! which may carry more of it, is fitted into that same size ([`fit_report`]).

use emrflow_vocabulary::logs::step_log_prefix;
use serde::{Deserialize, Serialize};

use crate::emr::{ActionOnFailure, FailureDetails, PipelineStepState, StepSummary};
use crate::graph::evaluate::NodeView;
use crate::graph::{attempt_state, Graph};

/// JSON bytes kept of EMR's FailureDetails.Reason and .Message in a report.
pub const REASON_JSON_BYTES: usize = 256;
pub const MESSAGE_JSON_BYTES: usize = 1024;
/// JSON bytes kept of a skip reason.
pub const SKIP_REASON_JSON_BYTES: usize = 400;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttemptReport {
    pub attempt: u32,
    pub step_id: String,
    /// EMR's state of the step, but TIMED_OUT for an attempt emrflow cancelled at its
    /// TimeoutSeconds (EMR only knows it as CANCELLED).
    pub state: PipelineStepState,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub log_location: Option<String>,
    /// Only for an attempt that did not complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_details: Option<FailureDetails>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StepReport {
    pub name: String,
    /// COMPLETED, FAILED, TIMED_OUT, CANCELLED, INTERRUPTED, SKIPPED (or, before the end,
    /// WAITING, READY, RETRY_PENDING, RUNNING).
    pub state: PipelineStepState,
    pub action_on_failure: ActionOnFailure,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    pub attempts: Vec<AttemptReport>,
}

/// `text` cut so that it takes at most `max_bytes` once written as a JSON string's content.
pub fn fit_json(text: &str, max_bytes: usize) -> String {
    const MORE: &str = " …";
    let escaped_len = |c: char| match c {
        '"' | '\\' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    };
    if text.chars().map(escaped_len).sum::<usize>() <= max_bytes {
        return text.to_string();
    }
    let budget = max_bytes.saturating_sub(MORE.len());
    let mut used = 0;
    let mut cut = String::new();
    for c in text.chars() {
        used += escaped_len(c);
        if used > budget {
            break;
        }
        cut.push(c);
    }
    cut + MORE
}

fn fitted(details: &FailureDetails) -> FailureDetails {
    FailureDetails {
        reason: details
            .reason
            .as_deref()
            .map(|text| fit_json(text, REASON_JSON_BYTES)),
        message: details
            .message
            .as_deref()
            .map(|text| fit_json(text, MESSAGE_JSON_BYTES)),
        log_file: details.log_file.clone(),
    }
}

/// One attempt as EMR lists it (its state EMR's: only the graph knows a timeout).
pub fn attempt_report(
    attempt: u32,
    step: &StepSummary,
    cluster_id: &str,
    log_uri: Option<&str>,
) -> AttemptReport {
    AttemptReport {
        attempt,
        step_id: step.id.clone(),
        state: step.state.into(),
        started_at: step.started_at.clone(),
        ended_at: step.ended_at.clone(),
        log_location: log_uri.map(|uri| step_log_prefix(uri, cluster_id, &step.id)),
        failure_details: step.failure_details.as_ref().map(fitted),
    }
}

/// Every step of the graph, in spec order.
pub fn step_reports(
    graph: &Graph<'_>,
    nodes: &[NodeView<'_>],
    cluster_id: &str,
    log_uri: Option<&str>,
) -> Vec<StepReport> {
    graph
        .nodes
        .iter()
        .zip(nodes)
        .enumerate()
        .map(|(index, (node, view))| StepReport {
            name: node.spec.name.clone(),
            state: view.status.state(),
            action_on_failure: node.spec.action_on_failure,
            skip_reason: view
                .status
                .skip_reason()
                .map(|reason| fit_json(reason, SKIP_REASON_JSON_BYTES)),
            attempts: view
                .attempts
                .iter()
                .map(|(attempt, step)| AttemptReport {
                    state: attempt_state(step, graph.timeout_seconds(index)),
                    ..attempt_report(*attempt, step, cluster_id, log_uri)
                })
                .collect(),
        })
        .collect()
}

/// JSON bytes kept of FailureDetails and skip reasons when a failed run's report is fitted.
const FITTED_TEXT_JSON_BYTES: usize = 64;

/// A failed run's report within `budget` JSON bytes (the most a succeeded run's report can
/// take, so the state's worst case holds): as it is when it fits, else with EMR's free text
/// cut short, then without FailureDetails (the cause and the step logs still have them) and
/// with short skip reasons; None only if even that does not fit.
pub fn fit_report(reports: Vec<StepReport>, budget: usize) -> Option<Vec<StepReport>> {
    let fits = |reports: &Vec<StepReport>| {
        serde_json::to_string(reports).is_ok_and(|text| text.len() <= budget)
    };
    if fits(&reports) {
        return Some(reports);
    }
    let shorter = |details: &FailureDetails| FailureDetails {
        reason: details
            .reason
            .as_deref()
            .map(|text| fit_json(text, FITTED_TEXT_JSON_BYTES)),
        message: details
            .message
            .as_deref()
            .map(|text| fit_json(text, FITTED_TEXT_JSON_BYTES)),
        log_file: details.log_file.clone(),
    };
    let mut reports = reports;
    for_each_attempt(&mut reports, |attempt| {
        attempt.failure_details = attempt.failure_details.as_ref().map(shorter);
    });
    if fits(&reports) {
        return Some(reports);
    }
    for_each_attempt(&mut reports, |attempt| attempt.failure_details = None);
    for report in &mut reports {
        report.skip_reason = report
            .skip_reason
            .as_deref()
            .map(|text| fit_json(text, FITTED_TEXT_JSON_BYTES));
    }
    fits(&reports).then_some(reports)
}

fn for_each_attempt(reports: &mut [StepReport], mut change: impl FnMut(&mut AttemptReport)) {
    for attempt in reports.iter_mut().flat_map(|report| &mut report.attempts) {
        change(attempt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_by_its_json_size_never_past_the_budget() {
        // GIVEN texts heavy in characters JSON escapes WHEN fitted THEN they stay in budget
        for text in [
            "plain words ".repeat(100),
            "\"quoted\" ".repeat(100),
            "\u{1}".repeat(300),
        ] {
            let fitted = fit_json(&text, 100);
            let json = serde_json::to_string(&fitted).unwrap();
            assert!(json.len() - 2 <= 100, "{} bytes: {json}", json.len());
        }
        assert_eq!(fit_json("short", 100), "short");
    }

    fn failed_step(name: &str) -> StepReport {
        StepReport {
            name: name.to_string(),
            state: PipelineStepState::Failed,
            action_on_failure: ActionOnFailure::Continue,
            skip_reason: None,
            attempts: vec![AttemptReport {
                attempt: 1,
                step_id: "s-1".to_string(),
                state: PipelineStepState::Failed,
                started_at: None,
                ended_at: None,
                log_location: None,
                failure_details: Some(FailureDetails {
                    reason: Some("r".repeat(REASON_JSON_BYTES)),
                    message: Some("m".repeat(MESSAGE_JSON_BYTES)),
                    log_file: Some("s3://logs/j-1/steps/s-1/stderr.gz".to_string()),
                }),
            }],
        }
    }

    #[test]
    fn a_failed_report_is_fitted_into_its_budget_keeping_every_step() {
        // GIVEN the report of ten failed steps, each with FailureDetails at their longest
        let reports: Vec<StepReport> = (0..10).map(|n| failed_step(&format!("s{n}"))).collect();
        let size = |reports: &Vec<StepReport>| serde_json::to_string(reports).unwrap().len();
        let full = size(&reports);
        // WHEN it fits THEN it is kept as it is
        assert_eq!(fit_report(reports.clone(), full), Some(reports.clone()));
        // WHEN the budget is a third THEN EMR's text is cut short, every step still there
        let cut = fit_report(reports.clone(), full / 3).expect("fitted");
        assert!(size(&cut) <= full / 3);
        assert_eq!(cut.len(), 10);
        let details = cut[0].attempts[0].failure_details.as_ref().expect("kept");
        assert!(details.message.as_ref().is_some_and(|m| m.len() < 100));
        // WHEN smaller still THEN without FailureDetails; and None when nothing fits
        let bare = fit_report(reports.clone(), full / 8).expect("fitted");
        assert!(bare[0].attempts[0].failure_details.is_none());
        assert_eq!(bare[9].attempts[0].state, PipelineStepState::Failed);
        assert_eq!(fit_report(reports, 10), None);
    }
}
