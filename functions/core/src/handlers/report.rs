//! Each step as the execution output reports it: its final state (SKIPPED included), every
//! attempt with its EMR step id, times, log location and FailureDetails. Free text from EMR is
//! cut to a fixed number of JSON bytes, so the report's worst-case size is known in advance
//! (`state_size.rs`).

use emrflow_vocabulary::logs::step_log_prefix;
use serde::{Deserialize, Serialize};

use crate::emr::{ActionOnFailure, FailureDetails, PipelineStepState, StepState, StepSummary};
use crate::graph::evaluate::NodeView;
use crate::graph::{Graph, NodeStatus};

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
    pub state: StepState,
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

pub fn attempt_report(
    attempt: u32,
    step: &StepSummary,
    cluster_id: &str,
    log_uri: Option<&str>,
) -> AttemptReport {
    AttemptReport {
        attempt,
        step_id: step.id.clone(),
        state: step.state,
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
        .map(|(node, view)| StepReport {
            name: node.spec.name.clone(),
            state: view.status.state(),
            action_on_failure: node.spec.action_on_failure,
            skip_reason: match &view.status {
                NodeStatus::Skipped(reason) => Some(fit_json(reason, SKIP_REASON_JSON_BYTES)),
                _ => None,
            },
            attempts: view
                .attempts
                .iter()
                .map(|(attempt, step)| attempt_report(*attempt, step, cluster_id, log_uri))
                .collect(),
        })
        .collect()
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
}
