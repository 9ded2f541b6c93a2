//! What the state machine keeps of the input after Validate_Input: a small summary, never the
//! spec itself (README, "The execution state").

use serde::{Deserialize, Serialize};

use crate::pipeline::StepCompletion;

/// `$` after Validate_Input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunSummary {
    pub create_cluster: bool,
    pub terminate_cluster: bool,
    pub cluster_id: Option<String>,
    pub processing_date: String,
    pub execution_name: String,
    pub pipeline_name: String,
    /// The fingerprint every later handler checks its re-derived pipeline against.
    pub pipeline_digest: String,
    /// LIST or GRAPH (README, "Pipelines as graphs").
    pub mode: String,
    pub steps: usize,
    pub step_completion: StepCompletion,
    pub poll_interval_seconds: u32,
    pub max_run_minutes: u32,
    /// How many runs of the pipeline may go at once (README, "When a run starts"). The
    /// defaults read histories written before these keys existed.
    #[serde(default = "one")]
    pub max_concurrent_runs: u32,
    /// False when the input asked to start beside earlier runs instead of queueing.
    #[serde(default = "yes")]
    pub wait_for_earlier_runs: bool,
    /// How many WaitFor objects must exist before the run starts.
    #[serde(default)]
    pub waits_for_objects: usize,
    /// The largest the execution state can grow for this spec (kept under 256 KiB).
    pub worst_case_state_bytes: usize,
}

fn one() -> u32 {
    crate::pipeline::DEFAULT_MAX_CONCURRENT_RUNS
}

fn yes() -> bool {
    true
}
