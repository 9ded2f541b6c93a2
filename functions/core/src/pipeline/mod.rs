//! The pipeline spec (README, "The pipeline spec"): the cluster and the steps a pipeline runs.
//!
//! - [`cluster`]: the `Cluster` keys and their checks (fleets or groups, roles, limits);
//! - [`steps`]: the `Steps` keys, one struct per step `Type`;
//! - [`render`]: `{{Placeholder}}` rendering;
//! - [`validate`]: the checks that need the whole spec, the execution or the cluster, and
//!   `dependencies.rs` those of the graph keys (DependsOn, Retry, TimeoutSeconds);
//! - [`for_each`]: steps over a list — the `ForEach` key, the input's `Items`, and the
//!   expansion into one instance per item;
//! - [`start`]: when a run may start (MaxConcurrentRuns, QueueTimeoutMinutes, WaitFor);
//! - [`compile`]: each step as EMR's StepConfig;
//! - [`schedule`]: `Schedule` (cron or rate, time zone, processing day), with EventBridge's
//!   cron dialect in `cron.rs`.

mod cluster;
mod compile;
mod cron;
mod dependencies;
mod for_each;
mod render;
mod schedule;
mod start;
mod steps;
mod validate;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::emr::{ClusterLaunch, Instances};
use crate::json::invalid_at_path;
use crate::naming::{cluster_name, EXECUTION_TAG, PIPELINE_TAG};
use crate::EmrflowError;

pub use cluster::{
    BootstrapAction, ClusterConfig, EmrConfiguration, InstanceFleet, InstanceGroup,
    InstanceTypeConfig, Market, NodeRole,
};
pub use compile::script_runner_jar;
pub use cron::{Cron, CRON_YEARS};
pub use dependencies::{RETRY_ATTEMPTS, RETRY_INTERVAL_SECONDS, STEP_TIMEOUT_SECONDS};
pub use emrflow_vocabulary::ActionOnFailure;
pub use for_each::{ForEach, InputItems, Instance, InstanceItem};
pub use render::{PlaceholderValues, ITEM, PLACEHOLDERS};
pub use schedule::{
    Rate, RateUnit, ScheduleSpec, When, DEFAULT_PROCESSING_DAY_OFFSET, DEFAULT_TIMEZONE,
    PROCESSING_DAY_OFFSET_LIMIT,
};
pub use start::{
    WaitFor, DEFAULT_MAX_CONCURRENT_RUNS, DEFAULT_QUEUE_TIMEOUT_MINUTES,
    DEFAULT_WAIT_FOR_TIMEOUT_MINUTES, MAX_CONCURRENT_RUNS, MAX_WAIT_FOR_OBJECTS,
};
pub use steps::{
    CommandStep, CustomJarStep, DeployMode, RunIf, S3DistCpStep, S3Path, ScriptStep,
    ScriptWithVariables, SparkStep, StepKind, StepRetry, StepSpec, StreamingStep,
};
pub use validate::{check_execution_limits, check_steps_fit_concurrency};

/// InvalidInput about the spec's key at `path`: `pipeline spec: key 'Cluster.LogUri': …`.
pub(crate) fn spec_error(
    path: impl std::fmt::Display,
    message: impl std::fmt::Display,
) -> EmrflowError {
    EmrflowError::invalid_input(format!(
        "pipeline spec: {}: {message}",
        crate::words::key(path)
    ))
}

pub const DEFAULT_POLL_INTERVAL_SECONDS: u32 = 30;
/// How far apart checks of the steps may be (an hour at most: a longer wait hides failures).
pub const POLL_INTERVAL_SECONDS: std::ops::RangeInclusive<u32> = 1..=3600;
/// A day: a daily pipeline still running after that would collide with the next day's run.
pub const DEFAULT_MAX_RUN_MINUTES: u32 = 24 * 60;
/// A week, the longest a run may be told to take.
pub const MAX_RUN_MINUTES_LIMIT: u32 = 7 * 24 * 60;

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
    /// The most a run may cost (USD, the running estimate of a cluster it created): past it,
    /// check-steps ends the run with BudgetExceeded and cleanup terminates the cluster.
    #[serde(
        rename = "MaxCostUSD",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_cost_usd: Option<f64>,
    /// How the execution learns that steps ended: EMR's events (with a check on every
    /// heartbeat as the net) or polling. Unset: the deployment's setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_completion: Option<StepCompletion>,
    /// When EventBridge Scheduler starts the pipeline; none: only by hand. It says when
    /// executions start, not what they run, so an execution's pipeline leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleSpec>,
    /// How many runs of this pipeline may go at once; later ones queue in start order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_runs: Option<u32>,
    /// How long a queued run waits for earlier ones before it ends with PipelineBusy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_timeout_minutes: Option<u32>,
    /// Input objects that must exist before any cluster is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_for: Option<WaitFor>,
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

/// Who enforces ActionOnFailure and ordering (README, "Pipelines as graphs").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every step is submitted at once; EMR runs them in order (or StepConcurrencyLevel at a
    /// time) and applies each step's ActionOnFailure.
    List,
    /// emrflow submits steps as they become ready (always as CONTINUE) and applies
    /// DependsOn, RunIf, Retry, TimeoutSeconds and ActionOnFailure itself.
    Graph,
}

impl Mode {
    pub fn of(spec: &PipelineSpec) -> Mode {
        if spec.steps.iter().any(StepSpec::uses_graph_keys) {
            Mode::Graph
        } else {
            Mode::List
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::List => "LIST",
            Mode::Graph => "GRAPH",
        }
    }
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

    /// The RunJobFlow request of this pipeline for one execution.
    pub fn cluster_launch(&self, execution_name: &str) -> ClusterLaunch {
        let cluster = &self.cluster;
        let mut tags = cluster.tags.clone();
        tags.insert(PIPELINE_TAG.to_string(), self.name.clone());
        tags.insert(EXECUTION_TAG.to_string(), execution_name.to_string());
        let instances = match (&cluster.instance_fleets, &cluster.instance_groups) {
            (Some(fleets), _) => Instances::Fleets(fleets.clone()),
            (None, groups) => Instances::Groups(groups.clone().unwrap_or_default()),
        };
        ClusterLaunch {
            name: cluster_name(&self.name, execution_name),
            release_label: cluster.release_label.clone(),
            applications: cluster.applications.clone(),
            configurations: cluster.configurations.clone(),
            service_role: cluster.service_role.clone(),
            job_flow_role: cluster.job_flow_role.clone(),
            log_uri: cluster.log_uri.clone(),
            instances,
            ec2_subnet_ids: cluster.ec2_subnet_ids.clone(),
            step_concurrency_level: cluster.step_concurrency_level(),
            idle_timeout_seconds: cluster.idle_timeout_seconds,
            bootstrap_actions: cluster.bootstrap_actions.clone(),
            tags,
        }
    }
}
