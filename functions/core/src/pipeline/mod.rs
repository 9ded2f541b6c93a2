//! The pipeline spec (README, "The pipeline spec"): the cluster and the steps a pipeline runs.
//!
//! - [`cluster`]: the `Cluster` keys and their checks (fleets or groups, roles, limits);
//! - [`steps`]: the `Steps` keys, one struct per step `Type`;
//! - [`render`]: `{{Placeholder}}` rendering;
//! - [`validate`]: the checks that need the whole spec, the execution or the cluster;
//! - [`compile`]: each step as EMR's StepConfig.

mod cluster;
mod compile;
mod render;
mod steps;
mod validate;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::emr::{ClusterLaunch, StepConfig};
use crate::error::invalid_at_path;
use crate::EmrflowError;

pub use cluster::{
    BootstrapAction, ClusterConfig, EmrConfiguration, InstanceFleet, InstanceGroup,
    InstanceTypeConfig, Market, NodeRole,
};
pub use compile::script_runner_jar;
pub use emrflow_vocabulary::ActionOnFailure;
pub use render::{PlaceholderValues, PLACEHOLDERS};
pub use steps::{
    CommandStep, CustomJarStep, DeployMode, RunIf, S3DistCpStep, ScriptStep, ScriptWithVariables,
    SparkStep, StepKind, StepRetry, StepSpec, StreamingStep,
};
pub use validate::check_steps_fit_concurrency;

pub const DEFAULT_POLL_INTERVAL_SECONDS: u32 = 30;
/// How far apart checks of the steps may be (an hour at most: a longer wait hides failures).
pub const POLL_INTERVAL_SECONDS: std::ops::RangeInclusive<u32> = 1..=3600;
/// A day: a daily pipeline still running after that would collide with the next day's run.
pub const DEFAULT_MAX_RUN_MINUTES: u32 = 24 * 60;
/// A week, the longest a run may be told to take.
pub const MAX_RUN_MINUTES_LIMIT: u32 = 7 * 24 * 60;

/// Tag keys that mark a cluster as created by one execution of one pipeline.
pub const PIPELINE_TAG: &str = "emrflow:pipeline";
pub const EXECUTION_TAG: &str = "emrflow:execution";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PipelineSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval_seconds: Option<u32>,
    /// How long the steps may run before check-steps gives up with PipelineTimedOut, so a
    /// hung step cannot keep a cluster running (and billing) for the life of the execution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_run_minutes: Option<u32>,
    /// How the execution learns that steps ended: EMR's events (with a check on every
    /// heartbeat as the net) or polling. Unset: the deployment's setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_completion: Option<StepCompletion>,
    pub cluster: ClusterConfig,
    pub steps: Vec<StepSpec>,
}

/// README, "Waking up on EMR's events".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StepCompletion {
    Events,
    #[default]
    Polling,
}

/// The name of the cluster one execution of one pipeline creates (the idempotency key).
pub fn cluster_name(pipeline_name: &str, execution_name: &str) -> String {
    format!("emrflow-{pipeline_name}-{execution_name}")
}

/// The EMR step name of a step's first attempt: the spec's name with the execution suffix
/// (the idempotency key).
pub fn step_name(name: &str, execution_name: &str) -> String {
    crate::graph::attempts::attempt_name(name, execution_name, 1)
}

impl PipelineSpec {
    /// Parses and validates a spec; every problem is InvalidInput naming the key (a key given
    /// twice included).
    pub fn from_json_str(text: &str) -> Result<PipelineSpec, EmrflowError> {
        Self::from_value(crate::json::parse_strict(text, "pipeline spec")?)
    }

    /// Parses and validates a spec given as JSON value (e.g. the `Pipeline` of a payload).
    pub fn from_value(value: Value) -> Result<PipelineSpec, EmrflowError> {
        let spec: PipelineSpec = crate::json::from_value(value)
            .map_err(|error| invalid_at_path("pipeline spec", error))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Reads, parses and validates a spec file.
    pub fn load(path: impl AsRef<Path>) -> Result<PipelineSpec, EmrflowError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| {
            EmrflowError::invalid_input(format!(
                "cannot read pipeline spec {}: {error}",
                path.display()
            ))
        })?;
        Self::from_json_str(&text)
            .map_err(|error| error.with_context(format!("in {}", path.display())))
    }

    pub fn poll_interval_seconds(&self) -> u32 {
        self.poll_interval_seconds
            .unwrap_or(DEFAULT_POLL_INTERVAL_SECONDS)
    }

    pub fn max_run_minutes(&self) -> u32 {
        self.max_run_minutes.unwrap_or(DEFAULT_MAX_RUN_MINUTES)
    }

    /// Every step compiled to EMR's StepConfig, in spec order.
    pub fn compile_steps(&self, execution_name: &str, region: &str) -> Vec<StepConfig> {
        self.steps
            .iter()
            .map(|step| step.compile(execution_name, region))
            .collect()
    }

    /// The RunJobFlow request of this pipeline for one execution.
    pub fn cluster_launch(&self, execution_name: &str) -> ClusterLaunch {
        let mut tags = self.cluster.tags.clone();
        tags.insert(PIPELINE_TAG.to_string(), self.name.clone());
        tags.insert(EXECUTION_TAG.to_string(), execution_name.to_string());
        ClusterLaunch {
            name: cluster_name(&self.name, execution_name),
            config: self.cluster.clone(),
            tags,
        }
    }
}
