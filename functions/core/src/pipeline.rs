//! The pipeline spec (CONTRACT.md): parsing, validation, placeholder rendering, and
//! compilation of each step into EMR's StepConfig shape.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::emr::{ClusterLaunch, HadoopJarStep, StepConfig};
use crate::error::invalid_at_path;
use crate::EmrflowError;

/// EMR's documented limits (AddJobFlowSteps).
pub const MAX_ACTIVE_STEPS: usize = 256;
pub const MAX_HADOOP_JAR_STEP_CHARS: usize = 10_240;
pub const MAX_STEP_NAME_CHARS: usize = 256;
pub const DEFAULT_POLL_INTERVAL_SECONDS: u32 = 30;
/// A day: a daily pipeline still running after that would collide with the next day's run.
pub const DEFAULT_MAX_RUN_MINUTES: u32 = 24 * 60;
/// A week, the longest a run may be told to take.
pub const MAX_RUN_MINUTES_LIMIT: u32 = 7 * 24 * 60;

/// Tag keys that mark a cluster as created by one execution of one pipeline.
pub const PIPELINE_TAG: &str = "emrflow:pipeline";
pub const EXECUTION_TAG: &str = "emrflow:execution";

/// The placeholders a step string (or LogUri) may use.
pub const PLACEHOLDERS: [&str; 4] = [
    "ProcessingDate",
    "ProcessingDateCompact",
    "ExecutionName",
    "PipelineName",
];

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
    pub cluster: ClusterConfig,
    pub steps: Vec<StepSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ClusterConfig {
    pub release_label: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configurations: Vec<EmrConfiguration>,
    pub service_role: String,
    pub job_flow_role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ec2_subnet_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_fleets: Option<Vec<InstanceFleet>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_groups: Option<Vec<InstanceGroup>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_concurrency_level: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bootstrap_actions: Vec<BootstrapAction>,
}

impl ClusterConfig {
    pub fn step_concurrency_level(&self) -> u32 {
        self.step_concurrency_level.unwrap_or(1)
    }
}

/// An EMR application configuration (`Configurations` of RunJobFlow).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EmrConfiguration {
    pub classification: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configurations: Vec<EmrConfiguration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NodeRole {
    Master,
    Core,
    Task,
}

impl NodeRole {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeRole::Master => "MASTER",
            NodeRole::Core => "CORE",
            NodeRole::Task => "TASK",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct InstanceFleet {
    pub instance_fleet_type: NodeRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_on_demand_capacity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_spot_capacity: Option<u32>,
    pub instance_type_configs: Vec<InstanceTypeConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct InstanceTypeConfig {
    pub instance_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weighted_capacity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_price_as_percentage_of_on_demand_price: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_price: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Market {
    OnDemand,
    Spot,
}

impl Market {
    pub fn as_str(self) -> &'static str {
        match self {
            Market::OnDemand => "ON_DEMAND",
            Market::Spot => "SPOT",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct InstanceGroup {
    pub instance_role: NodeRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub instance_type: String,
    pub instance_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<Market>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_price: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct BootstrapAction {
    pub name: String,
    pub path: String,
    #[serde(default)]
    pub args: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActionOnFailure {
    Continue,
    #[default]
    CancelAndWait,
    TerminateCluster,
}

impl ActionOnFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionOnFailure::Continue => "CONTINUE",
            ActionOnFailure::CancelAndWait => "CANCEL_AND_WAIT",
            ActionOnFailure::TerminateCluster => "TERMINATE_CLUSTER",
        }
    }
}

/// One step of the pipeline: the common keys plus the keys of its `Type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", try_from = "RawStep")]
pub struct StepSpec {
    pub name: String,
    #[serde(default)]
    pub action_on_failure: ActionOnFailure,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(flatten)]
    pub kind: StepKind,
}

/// Serde cannot combine `flatten` with `deny_unknown_fields`, so a step is read in two parts:
/// the common keys here, then the rest as a [`StepKind`] that rejects unknown keys itself.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawStep {
    name: String,
    #[serde(default)]
    action_on_failure: ActionOnFailure,
    #[serde(default)]
    description: Option<String>,
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

const STEP_TYPES: [&str; 8] = [
    "Spark",
    "Hive",
    "Pig",
    "CustomJar",
    "Script",
    "S3DistCp",
    "Streaming",
    "Command",
];

impl TryFrom<RawStep> for StepSpec {
    type Error = String;

    fn try_from(mut raw: RawStep) -> Result<Self, Self::Error> {
        let step = raw.name.clone();
        // Each Type's keys are read straight from the JSON object so that an error can name
        // the exact key (serde's tagged enums lose the path).
        fn keys<T: serde::de::DeserializeOwned>(
            step: &str,
            rest: serde_json::Map<String, Value>,
        ) -> Result<T, String> {
            serde_path_to_error::deserialize(Value::Object(rest)).map_err(|error| {
                let path = error.path().to_string();
                if path == "." {
                    format!("step '{step}': {}", error.into_inner())
                } else {
                    format!("step '{step}': key {path}: {}", error.into_inner())
                }
            })
        }
        let type_name = match raw.rest.remove("Type") {
            Some(Value::String(type_name)) => type_name,
            Some(other) => return Err(format!("step '{step}': key Type: {other} is not a string")),
            None => {
                return Err(format!(
                    "step '{step}': key Type is missing (one of {})",
                    STEP_TYPES.join(", ")
                ))
            }
        };
        let rest = raw.rest;
        let kind = match type_name.as_str() {
            "Spark" => StepKind::Spark(keys(&step, rest)?),
            "Hive" => StepKind::Hive(keys(&step, rest)?),
            "Pig" => StepKind::Pig(keys(&step, rest)?),
            "CustomJar" => StepKind::CustomJar(keys(&step, rest)?),
            "Script" => StepKind::Script(keys(&step, rest)?),
            "S3DistCp" => StepKind::S3DistCp(keys(&step, rest)?),
            "Streaming" => StepKind::Streaming(keys(&step, rest)?),
            "Command" => StepKind::Command(keys(&step, rest)?),
            other => {
                return Err(format!(
                    "step '{step}': key Type: unknown step type '{other}' (one of {})",
                    STEP_TYPES.join(", ")
                ))
            }
        };
        Ok(StepSpec {
            name: raw.name,
            action_on_failure: raw.action_on_failure,
            description: raw.description,
            kind,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "Type")]
pub enum StepKind {
    Spark(SparkStep),
    Hive(ScriptWithVariables),
    Pig(ScriptWithVariables),
    CustomJar(CustomJarStep),
    Script(ScriptStep),
    S3DistCp(S3DistCpStep),
    Streaming(StreamingStep),
    Command(CommandStep),
}

impl StepKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            StepKind::Spark(_) => "Spark",
            StepKind::Hive(_) => "Hive",
            StepKind::Pig(_) => "Pig",
            StepKind::CustomJar(_) => "CustomJar",
            StepKind::Script(_) => "Script",
            StepKind::S3DistCp(_) => "S3DistCp",
            StepKind::Streaming(_) => "Streaming",
            StepKind::Command(_) => "Command",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeployMode {
    #[default]
    Cluster,
    Client,
}

impl DeployMode {
    pub fn as_str(self) -> &'static str {
        match self {
            DeployMode::Cluster => "cluster",
            DeployMode::Client => "client",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SparkStep {
    pub application: String,
    #[serde(default)]
    pub deploy_mode: DeployMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_memory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_cores: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor_memory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor_cores: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_executors: Option<u32>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spark_conf: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub py_files: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jars: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
}

/// Hive and Pig steps: a script plus `-d` / `-p` variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ScriptWithVariables {
    pub script: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CustomJarStep {
    pub jar: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_class: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ScriptStep {
    pub script: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct S3DistCpStep {
    pub src: String,
    pub dest: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_codec: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StreamingStep {
    pub input: Vec<String>,
    pub output: String,
    pub mapper: String,
    pub reducer: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CommandStep {
    pub args: Vec<String>,
}

/// The values the placeholders are rendered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceholderValues {
    pub processing_date: chrono::NaiveDate,
    pub execution_name: String,
    pub pipeline_name: String,
}

impl PlaceholderValues {
    fn value_of(&self, placeholder: &str) -> Option<String> {
        match placeholder {
            "ProcessingDate" => Some(self.processing_date.format("%Y-%m-%d").to_string()),
            "ProcessingDateCompact" => Some(self.processing_date.format("%Y%m%d").to_string()),
            "ExecutionName" => Some(self.execution_name.clone()),
            "PipelineName" => Some(self.pipeline_name.clone()),
            _ => None,
        }
    }
}

/// The placeholder names used in `text` (`{{ Name }}`, surrounding spaces allowed).
fn placeholders_in(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|at| at + from) {
        let Some(close) = text[open + 2..].find("}}").map(|at| at + open + 2) else {
            break;
        };
        found.push((open..close + 2, text[open + 2..close].trim()));
        from = close + 2;
    }
    found
}

/// `text` with every placeholder replaced by `value_of(name)`; unknown names are collected.
fn replace_placeholders(
    text: &str,
    value_of: impl Fn(&str) -> Option<String>,
    unknown: &mut Vec<String>,
) -> String {
    let mut rendered = String::with_capacity(text.len());
    let mut copied_up_to = 0;
    for (range, name) in placeholders_in(text) {
        rendered.push_str(&text[copied_up_to..range.start]);
        match value_of(name) {
            Some(value) => rendered.push_str(&value),
            None => {
                unknown.push(name.to_string());
                rendered.push_str(&text[range.clone()]);
            }
        }
        copied_up_to = range.end;
    }
    rendered.push_str(&text[copied_up_to..]);
    rendered
}

/// The name of the cluster one execution of one pipeline creates (the idempotency key).
pub fn cluster_name(pipeline_name: &str, execution_name: &str) -> String {
    format!("emrflow-{pipeline_name}-{execution_name}")
}

/// The EMR step name: the spec's name with the execution suffix (the idempotency key).
pub fn step_name(name: &str, execution_name: &str) -> String {
    format!("{name} [{execution_name}]")
}

/// The script-runner JAR of `region` (EMR hosts one per region).
pub fn script_runner_jar(region: &str) -> String {
    format!("s3://{region}.elasticmapreduce/libs/script-runner/script-runner.jar")
}

impl PipelineSpec {
    /// Parses and validates a spec; every problem is InvalidInput naming the key.
    pub fn from_json_str(text: &str) -> Result<PipelineSpec, EmrflowError> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let spec: PipelineSpec = serde_path_to_error::deserialize(deserializer)
            .map_err(|error| invalid_at_path("pipeline spec", error))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Parses and validates a spec given as JSON value (e.g. the `Pipeline` of a payload).
    pub fn from_value(value: Value) -> Result<PipelineSpec, EmrflowError> {
        let spec: PipelineSpec = serde_path_to_error::deserialize(value)
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

    /// Checks everything that does not depend on the execution: shapes, ranges, uniqueness,
    /// fleets vs groups, ActionOnFailure vs StepConcurrencyLevel, known placeholders.
    pub fn validate(&self) -> Result<(), EmrflowError> {
        let invalid = |message: String| Err(EmrflowError::invalid_input(message));
        if self.name.is_empty()
            || self.name.chars().count() > 64
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return invalid(format!(
                "pipeline spec: key Name: '{}' must be 1 to 64 characters of A-Z a-z 0-9 _ -",
                self.name
            ));
        }
        if let Some(interval) = self.poll_interval_seconds {
            if !(1..=3600).contains(&interval) {
                return invalid(format!(
                    "pipeline spec: key PollIntervalSeconds: {interval} is outside 1..=3600"
                ));
            }
        }
        if let Some(minutes) = self.max_run_minutes {
            if !(1..=MAX_RUN_MINUTES_LIMIT).contains(&minutes) {
                return invalid(format!(
                    "pipeline spec: key MaxRunMinutes: {minutes} is outside 1..={MAX_RUN_MINUTES_LIMIT}"
                ));
            }
        }
        self.cluster.validate()?;
        self.validate_steps()?;
        self.check_placeholders_known()
    }

    fn validate_steps(&self) -> Result<(), EmrflowError> {
        let invalid = |message: String| Err(EmrflowError::invalid_input(message));
        if self.steps.is_empty() {
            return invalid("pipeline spec: key Steps: at least one step is required".into());
        }
        if self.steps.len() > MAX_ACTIVE_STEPS {
            return invalid(format!(
                "pipeline spec: key Steps: {} steps, but EMR allows at most {MAX_ACTIVE_STEPS} active steps per cluster",
                self.steps.len()
            ));
        }
        let concurrency = self.cluster.step_concurrency_level();
        let mut seen = BTreeSet::new();
        for (index, step) in self.steps.iter().enumerate() {
            let at = format!("pipeline spec: key Steps[{index}]");
            if step.name.trim().is_empty() {
                return invalid(format!("{at}.Name: must not be empty"));
            }
            if step.name.contains(['[', ']']) {
                return invalid(format!(
                    "{at}.Name: '{}' must not contain '[' or ']' (emrflow appends ' [<ExecutionName>]')",
                    step.name
                ));
            }
            if !seen.insert(step.name.as_str()) {
                return invalid(format!(
                    "{at}.Name: '{}' is used by more than one step",
                    step.name
                ));
            }
            check_action_on_failure(step, concurrency, &at)?;
            step.kind.check_required_values().map_err(|message| {
                EmrflowError::invalid_input(format!("{at} ('{}'): {message}", step.name))
            })?;
        }
        Ok(())
    }

    fn check_placeholders_known(&self) -> Result<(), EmrflowError> {
        let mut problem = None;
        let value = serde_json::to_value(self).map_err(internal_serialization_error)?;
        for_each_renderable_string(&value, &mut |text, location| {
            for (_, name) in placeholders_in(text) {
                if !PLACEHOLDERS.contains(&name) && problem.is_none() {
                    problem = Some(format!(
                        "pipeline spec: key {location}: unknown placeholder {{{{{name}}}}} (known: {})",
                        PLACEHOLDERS.join(", ")
                    ));
                }
            }
        });
        match problem {
            Some(message) => Err(EmrflowError::invalid_input(message)),
            None => Ok(()),
        }
    }

    /// A placeholder still present (the spec did not go through validate-input).
    pub fn first_unrendered_placeholder(&self) -> Option<String> {
        let value = serde_json::to_value(self).ok()?;
        let mut found = None;
        for_each_renderable_string(&value, &mut |text, location| {
            if found.is_none() {
                if let Some((range, _)) = placeholders_in(text).first() {
                    found = Some(format!("{} in {location}", &text[range.clone()]));
                }
            }
        });
        found
    }

    /// The spec with every placeholder in the steps and in LogUri replaced.
    pub fn render(&self, values: &PlaceholderValues) -> Result<PipelineSpec, EmrflowError> {
        let mut value = serde_json::to_value(self).map_err(internal_serialization_error)?;
        let mut unknown = Vec::new();
        let mut render_text =
            |text: &str| replace_placeholders(text, |name| values.value_of(name), &mut unknown);
        if let Some(steps) = value.get_mut("Steps") {
            render_strings(steps, &mut render_text);
        }
        if let Some(log_uri) = value.get_mut("Cluster").and_then(|c| c.get_mut("LogUri")) {
            render_strings(log_uri, &mut render_text);
        }
        if let Some(name) = unknown.first() {
            return Err(EmrflowError::invalid_input(format!(
                "pipeline spec: unknown placeholder {{{{{name}}}}} (known: {})",
                PLACEHOLDERS.join(", ")
            )));
        }
        Self::from_value(value)
    }

    /// The limits that depend on the execution and the region: step name length with the
    /// execution suffix and the size of each compiled HadoopJarStep.
    pub fn check_execution_limits(
        &self,
        execution_name: &str,
        region: &str,
    ) -> Result<(), EmrflowError> {
        for (index, step) in self.steps.iter().enumerate() {
            let full_name = step_name(&step.name, execution_name);
            let length = full_name.chars().count();
            if length > MAX_STEP_NAME_CHARS {
                return Err(EmrflowError::invalid_input(format!(
                    "pipeline spec: key Steps[{index}].Name: step name '{full_name}' is {length} characters with the execution suffix; EMR allows at most {MAX_STEP_NAME_CHARS}"
                )));
            }
            let compiled = step.compile(execution_name, region);
            let chars = compiled.hadoop_jar_step.total_chars();
            if chars > MAX_HADOOP_JAR_STEP_CHARS {
                return Err(EmrflowError::invalid_input(format!(
                    "pipeline spec: key Steps[{index}] ('{}'): its HadoopJarStep strings total {chars} characters; EMR allows at most {MAX_HADOOP_JAR_STEP_CHARS}",
                    step.name
                )));
            }
        }
        Ok(())
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

fn internal_serialization_error(error: serde_json::Error) -> EmrflowError {
    EmrflowError::invalid_input(format!("pipeline spec cannot be serialized: {error}"))
}

fn check_action_on_failure(
    step: &StepSpec,
    concurrency: u32,
    at: &str,
) -> Result<(), EmrflowError> {
    if concurrency > 1 && step.action_on_failure != ActionOnFailure::Continue {
        return Err(EmrflowError::invalid_input(format!(
            "{at}.ActionOnFailure: step '{}' uses {} but StepConcurrencyLevel is {concurrency}; EMR accepts only CONTINUE when StepConcurrencyLevel > 1",
            step.name,
            step.action_on_failure.as_str()
        )));
    }
    Ok(())
}

/// Checks, against a reused cluster's real StepConcurrencyLevel, that every step may be added.
pub fn check_steps_fit_concurrency(
    spec: &PipelineSpec,
    cluster_id: &str,
    concurrency: u32,
) -> Result<(), EmrflowError> {
    for (index, step) in spec.steps.iter().enumerate() {
        check_action_on_failure(step, concurrency, &format!("Steps[{index}]"))
            .map_err(|error| error.with_context(format!("cluster {cluster_id}")))?;
    }
    Ok(())
}

/// Calls `visit(text, location)` for every string in the parts of a serialized spec that may
/// hold placeholders: the steps and Cluster.LogUri.
fn for_each_renderable_string(spec: &Value, visit: &mut dyn FnMut(&str, &str)) {
    fn walk(value: &Value, location: String, visit: &mut dyn FnMut(&str, &str)) {
        match value {
            Value::String(text) => visit(text, &location),
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, format!("{location}[{index}]"), visit);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    visit(key, &location);
                    walk(item, format!("{location}.{key}"), visit);
                }
            }
            _ => {}
        }
    }
    if let Some(steps) = spec.get("Steps") {
        walk(steps, "Steps".into(), visit);
    }
    if let Some(log_uri) = spec.get("Cluster").and_then(|c| c.get("LogUri")) {
        walk(log_uri, "Cluster.LogUri".into(), visit);
    }
}

fn render_strings(value: &mut Value, render: &mut dyn FnMut(&str) -> String) {
    match value {
        Value::String(text) => *text = render(text),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| render_strings(item, render)),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut item) in entries {
                render_strings(&mut item, render);
                map.insert(render(&key), item);
            }
        }
        _ => {}
    }
}

impl ClusterConfig {
    fn validate(&self) -> Result<(), EmrflowError> {
        let invalid = |message: String| Err(EmrflowError::invalid_input(message));
        for (key, value) in [
            ("ReleaseLabel", &self.release_label),
            ("ServiceRole", &self.service_role),
            ("JobFlowRole", &self.job_flow_role),
        ] {
            if value.trim().is_empty() {
                return invalid(format!(
                    "pipeline spec: key Cluster.{key}: must not be empty"
                ));
            }
        }
        if let Some(level) = self.step_concurrency_level {
            if !(1..=256).contains(&level) {
                return invalid(format!(
                    "pipeline spec: key Cluster.StepConcurrencyLevel: {level} is outside 1..=256"
                ));
            }
        }
        if let Some(idle) = self.idle_timeout_seconds {
            if !(60..=604_800).contains(&idle) {
                return invalid(format!(
                    "pipeline spec: key Cluster.IdleTimeoutSeconds: {idle} is outside 60..=604800"
                ));
            }
        }
        match (&self.instance_fleets, &self.instance_groups) {
            (Some(_), Some(_)) => invalid(
                "pipeline spec: keys Cluster.InstanceFleets and Cluster.InstanceGroups: give exactly one of the two, not both".into(),
            ),
            (None, None) => invalid(
                "pipeline spec: keys Cluster.InstanceFleets and Cluster.InstanceGroups: give exactly one of the two".into(),
            ),
            (Some(fleets), None) => validate_fleets(fleets),
            (None, Some(groups)) => validate_groups(groups),
        }
    }
}

fn check_one_master_at_most_one_core(
    roles: impl Iterator<Item = NodeRole> + Clone,
    key: &str,
) -> Result<(), EmrflowError> {
    let count = |role| roles.clone().filter(|r| *r == role).count();
    if count(NodeRole::Master) != 1 {
        return Err(EmrflowError::invalid_input(format!(
            "pipeline spec: key Cluster.{key}: exactly one MASTER is required"
        )));
    }
    if count(NodeRole::Core) > 1 {
        return Err(EmrflowError::invalid_input(format!(
            "pipeline spec: key Cluster.{key}: at most one CORE is allowed"
        )));
    }
    Ok(())
}

fn validate_fleets(fleets: &[InstanceFleet]) -> Result<(), EmrflowError> {
    check_one_master_at_most_one_core(
        fleets.iter().map(|fleet| fleet.instance_fleet_type),
        "InstanceFleets",
    )?;
    if fleets
        .iter()
        .filter(|fleet| fleet.instance_fleet_type == NodeRole::Task)
        .count()
        > 1
    {
        return Err(EmrflowError::invalid_input(
            "pipeline spec: key Cluster.InstanceFleets: at most one TASK fleet is allowed",
        ));
    }
    for (index, fleet) in fleets.iter().enumerate() {
        let at = format!("pipeline spec: key Cluster.InstanceFleets[{index}]");
        let capacity =
            fleet.target_on_demand_capacity.unwrap_or(0) + fleet.target_spot_capacity.unwrap_or(0);
        if fleet.instance_fleet_type == NodeRole::Master && capacity != 1 {
            return Err(EmrflowError::invalid_input(format!(
                "{at}: the MASTER fleet needs a total target capacity of exactly 1, not {capacity}"
            )));
        }
        if capacity == 0 && fleet.instance_fleet_type == NodeRole::Core {
            return Err(EmrflowError::invalid_input(format!(
                "{at}: the CORE fleet needs TargetOnDemandCapacity or TargetSpotCapacity above 0"
            )));
        }
        if fleet.instance_type_configs.is_empty() || fleet.instance_type_configs.len() > 30 {
            return Err(EmrflowError::invalid_input(format!(
                "{at}.InstanceTypeConfigs: give 1 to 30 instance types"
            )));
        }
        for (type_index, config) in fleet.instance_type_configs.iter().enumerate() {
            if config.instance_type.trim().is_empty() {
                return Err(EmrflowError::invalid_input(format!(
                    "{at}.InstanceTypeConfigs[{type_index}].InstanceType: must not be empty"
                )));
            }
            if config.bid_price.is_some()
                && config.bid_price_as_percentage_of_on_demand_price.is_some()
            {
                return Err(EmrflowError::invalid_input(format!(
                    "{at}.InstanceTypeConfigs[{type_index}]: give BidPrice or BidPriceAsPercentageOfOnDemandPrice, not both"
                )));
            }
        }
    }
    Ok(())
}

fn validate_groups(groups: &[InstanceGroup]) -> Result<(), EmrflowError> {
    check_one_master_at_most_one_core(
        groups.iter().map(|group| group.instance_role),
        "InstanceGroups",
    )?;
    for (index, group) in groups.iter().enumerate() {
        let at = format!("pipeline spec: key Cluster.InstanceGroups[{index}]");
        if group.instance_type.trim().is_empty() {
            return Err(EmrflowError::invalid_input(format!(
                "{at}.InstanceType: must not be empty"
            )));
        }
        if group.instance_count == 0
            || (group.instance_role == NodeRole::Master && group.instance_count != 1)
        {
            return Err(EmrflowError::invalid_input(format!(
                "{at}.InstanceCount: {} is not allowed for {} (MASTER needs 1, others at least 1)",
                group.instance_count,
                group.instance_role.as_str()
            )));
        }
        if group.bid_price.is_some() && group.market != Some(Market::Spot) {
            return Err(EmrflowError::invalid_input(format!(
                "{at}.BidPrice: only a SPOT group takes a BidPrice"
            )));
        }
    }
    Ok(())
}

impl StepKind {
    /// The keys a step of this type cannot leave empty.
    fn check_required_values(&self) -> Result<(), String> {
        let required: Vec<(&str, bool)> = match self {
            StepKind::Spark(spark) => vec![("Application", spark.application.trim().is_empty())],
            StepKind::Hive(hive) | StepKind::Pig(hive) => {
                vec![("Script", hive.script.trim().is_empty())]
            }
            StepKind::CustomJar(jar) => vec![("Jar", jar.jar.trim().is_empty())],
            StepKind::Script(script) => vec![("Script", script.script.trim().is_empty())],
            StepKind::S3DistCp(copy) => vec![
                ("Src", copy.src.trim().is_empty()),
                ("Dest", copy.dest.trim().is_empty()),
            ],
            StepKind::Streaming(streaming) => vec![
                ("Input", streaming.input.is_empty()),
                ("Output", streaming.output.trim().is_empty()),
                ("Mapper", streaming.mapper.trim().is_empty()),
                ("Reducer", streaming.reducer.trim().is_empty()),
            ],
            StepKind::Command(command) => vec![("Args", command.args.is_empty())],
        };
        match required.into_iter().find(|(_, empty)| *empty) {
            Some((key, _)) => Err(format!(
                "key {key} must not be empty for a {} step",
                self.type_name()
            )),
            None => Ok(()),
        }
    }
}

const COMMAND_RUNNER: &str = "command-runner.jar";

fn joined(values: &[String]) -> String {
    values.join(",")
}

impl StepSpec {
    /// This step as EMR's StepConfig (the shapes listed in CONTRACT.md).
    pub fn compile(&self, execution_name: &str, region: &str) -> StepConfig {
        let command = |args: Vec<String>| HadoopJarStep {
            jar: COMMAND_RUNNER.to_string(),
            main_class: None,
            args,
            properties: Vec::new(),
        };
        let hadoop_jar_step = match &self.kind {
            StepKind::Spark(spark) => command(spark_args(spark)),
            StepKind::Hive(hive) => command(script_with_variables_args(
                ["hive-script", "--run-hive-script"],
                "-d",
                hive,
            )),
            StepKind::Pig(pig) => command(script_with_variables_args(
                ["pig-script", "--run-pig-script"],
                "-p",
                pig,
            )),
            StepKind::CustomJar(custom) => HadoopJarStep {
                jar: custom.jar.clone(),
                main_class: custom.main_class.clone(),
                args: custom.args.clone(),
                properties: custom
                    .properties
                    .iter()
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect(),
            },
            StepKind::Script(script) => HadoopJarStep {
                jar: script_runner_jar(region),
                main_class: None,
                args: std::iter::once(script.script.clone())
                    .chain(script.args.iter().cloned())
                    .collect(),
                properties: Vec::new(),
            },
            StepKind::S3DistCp(copy) => command(s3_dist_cp_args(copy)),
            StepKind::Streaming(streaming) => command(streaming_args(streaming)),
            StepKind::Command(raw) => command(raw.args.clone()),
        };
        StepConfig {
            name: step_name(&self.name, execution_name),
            action_on_failure: self.action_on_failure.as_str().to_string(),
            hadoop_jar_step,
        }
    }
}

fn spark_args(spark: &SparkStep) -> Vec<String> {
    let mut args = vec![
        "spark-submit".to_string(),
        "--deploy-mode".to_string(),
        spark.deploy_mode.as_str().to_string(),
    ];
    let mut option = |flag: &str, value: Option<String>| {
        if let Some(value) = value {
            args.push(flag.to_string());
            args.push(value);
        }
    };
    option("--driver-memory", spark.driver_memory.clone());
    option("--driver-cores", spark.driver_cores.map(|n| n.to_string()));
    option("--executor-memory", spark.executor_memory.clone());
    option(
        "--executor-cores",
        spark.executor_cores.map(|n| n.to_string()),
    );
    option(
        "--num-executors",
        spark.num_executors.map(|n| n.to_string()),
    );
    for (key, value) in &spark.spark_conf {
        option("--conf", Some(format!("{key}={value}")));
    }
    if !spark.py_files.is_empty() {
        option("--py-files", Some(joined(&spark.py_files)));
    }
    if !spark.jars.is_empty() {
        option("--jars", Some(joined(&spark.jars)));
    }
    args.push(spark.application.clone());
    args.extend(spark.args.iter().cloned());
    args
}

fn script_with_variables_args(
    runner: [&str; 2],
    variable_flag: &str,
    step: &ScriptWithVariables,
) -> Vec<String> {
    let mut args: Vec<String> = runner.iter().map(|s| s.to_string()).collect();
    args.extend(["--args", "-f"].map(String::from));
    args.push(step.script.clone());
    for (key, value) in &step.variables {
        args.push(variable_flag.to_string());
        args.push(format!("{key}={value}"));
    }
    args
}

fn s3_dist_cp_args(copy: &S3DistCpStep) -> Vec<String> {
    let mut args = vec![
        "s3-dist-cp".to_string(),
        format!("--src={}", copy.src),
        format!("--dest={}", copy.dest),
    ];
    if let Some(pattern) = &copy.src_pattern {
        args.push(format!("--srcPattern={pattern}"));
    }
    if let Some(codec) = &copy.output_codec {
        args.push(format!("--outputCodec={codec}"));
    }
    if let Some(size) = copy.target_size {
        args.push(format!("--targetSize={size}"));
    }
    args.extend(copy.args.iter().cloned());
    args
}

fn streaming_args(streaming: &StreamingStep) -> Vec<String> {
    let mut args = vec!["hadoop-streaming".to_string()];
    if !streaming.files.is_empty() {
        args.push("-files".to_string());
        args.push(joined(&streaming.files));
    }
    args.extend([
        "-mapper".to_string(),
        streaming.mapper.clone(),
        "-reducer".to_string(),
        streaming.reducer.clone(),
    ]);
    for input in &streaming.input {
        args.push("-input".to_string());
        args.push(input.clone());
    }
    args.push("-output".to_string());
    args.push(streaming.output.clone());
    args.extend(streaming.args.iter().cloned());
    args
}
