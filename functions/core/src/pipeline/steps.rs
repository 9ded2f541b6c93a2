//! The `Steps` of a pipeline spec: the keys every step has, and one struct per `Type`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::for_each::ForEach;
use super::ActionOnFailure;
use crate::words;
use emrflow_vocabulary::s3::{looks_like_s3, s3_locations_in};

/// One step of the pipeline: the common keys plus the keys of its `Type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", try_from = "RawStep")]
pub struct StepSpec {
    pub name: String,
    #[serde(default = "default_action_on_failure")]
    pub action_on_failure: ActionOnFailure,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Names of the steps that must end first (README, "Pipelines as graphs").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    #[serde(default, skip_serializing_if = "RunIf::is_default")]
    pub run_if: RunIf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<StepRetry>,
    /// An attempt running longer is cancelled and counts as failed (StepTimedOut).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u32>,
    /// One instance of the step per item (README, "Steps over a list"); None in an
    /// execution's expanded pipeline, whose instances are steps of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_each: Option<ForEach>,
    #[serde(flatten)]
    pub kind: StepKind,
}

/// When a step of a graph runs, given how its dependencies ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunIf {
    /// Every dependency completed (the default).
    #[default]
    AllSucceeded,
    /// Every dependency ended, whatever the result: cleanup, notification, a run report.
    AllDone,
    /// At least one dependency failed: quarantine, alerting.
    AnyFailed,
}

impl RunIf {
    pub fn as_str(self) -> &'static str {
        match self {
            RunIf::AllSucceeded => "ALL_SUCCEEDED",
            RunIf::AllDone => "ALL_DONE",
            RunIf::AnyFailed => "ANY_FAILED",
        }
    }

    fn is_default(&self) -> bool {
        *self == RunIf::AllSucceeded
    }
}

/// How a failed (or timed-out) attempt is tried again, as ASL's Retry counts: `MaxAttempts`
/// more attempts, each `IntervalSeconds` after the previous one ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StepRetry {
    pub max_attempts: u32,
    #[serde(default = "default_retry_interval")]
    pub interval_seconds: u32,
}

fn default_retry_interval() -> u32 {
    30
}

/// emrflow's default: a failed step stops the pipeline and leaves the cluster to cleanup
/// (EMR's own API default, TERMINATE_CLUSTER, would also end a reused cluster).
pub(super) const DEFAULT_ACTION_ON_FAILURE: ActionOnFailure = ActionOnFailure::CancelAndWait;

fn default_action_on_failure() -> ActionOnFailure {
    DEFAULT_ACTION_ON_FAILURE
}

/// Serde cannot combine `flatten` with `deny_unknown_fields`, so a step is read in two parts:
/// the common keys here, then the rest as a [`StepKind`] that rejects unknown keys itself.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawStep {
    name: String,
    #[serde(default = "default_action_on_failure")]
    action_on_failure: ActionOnFailure,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    run_if: RunIf,
    #[serde(default)]
    retry: Option<StepRetry>,
    #[serde(default)]
    timeout_seconds: Option<u32>,
    #[serde(default)]
    for_each: Option<ForEach>,
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

/// The keys every step takes, whatever its Type ([`RawStep`]'s fields and `Type`).
const COMMON_KEYS: [&str; 9] = [
    "Name",
    "Type",
    "ActionOnFailure",
    "Description",
    "DependsOn",
    "RunIf",
    "Retry",
    "TimeoutSeconds",
    "ForEach",
];

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

impl StepSpec {
    /// How many attempts the step may take at most (1 without Retry).
    pub fn max_attempts(&self) -> u32 {
        1 + self.retry.map_or(0, |retry| retry.max_attempts)
    }

    /// Whether the step uses any key that only emrflow (not EMR) can honour.
    pub fn uses_graph_keys(&self) -> bool {
        !self.depends_on.is_empty()
            || self.run_if != RunIf::AllSucceeded
            || self.retry.is_some()
            || self.timeout_seconds.is_some()
    }
}

impl TryFrom<RawStep> for StepSpec {
    type Error = String;

    fn try_from(mut raw: RawStep) -> Result<Self, Self::Error> {
        let step = raw.name.clone();
        // Each Type's keys are read straight from the JSON object so that an error can name
        // the exact key (serde's tagged enums lose the path). An unknown key is said with
        // every key a step of this Type takes, the common ones first.
        fn keys<T: serde::de::DeserializeOwned>(
            step: &str,
            rest: serde_json::Map<String, Value>,
        ) -> Result<T, String> {
            crate::json::from_value(Value::Object(rest)).map_err(|error| {
                let path = error.path().to_string();
                let inner = error.into_inner().to_string();
                if let Some((unknown, type_keys)) = crate::json::unknown_field(&inner) {
                    let known: Vec<&str> = COMMON_KEYS
                        .into_iter()
                        .chain(type_keys.iter().map(String::as_str))
                        .collect();
                    return format!("step '{step}': {}", words::unknown_key(&unknown, &known));
                }
                let message = crate::json::humanize(&inner);
                if path == "." {
                    format!("step '{step}': {message}")
                } else {
                    format!("step '{step}': {}: {message}", words::key(&path))
                }
            })
        }
        let type_name = match raw.rest.remove("Type") {
            Some(Value::String(type_name)) => type_name,
            Some(other) => {
                return Err(format!(
                    "step '{step}': key 'Type': {other} is not a string (one of {})",
                    STEP_TYPES.join(", ")
                ))
            }
            None => {
                return Err(format!(
                    "step '{step}': key 'Type' is missing (one of {})",
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
                    "step '{step}': key 'Type': unknown step type '{other}'{} (one of {})",
                    words::did_you_mean(other, &STEP_TYPES),
                    STEP_TYPES.join(", ")
                ))
            }
        };
        Ok(StepSpec {
            name: raw.name,
            action_on_failure: raw.action_on_failure,
            description: raw.description,
            depends_on: raw.depends_on,
            run_if: raw.run_if,
            retry: raw.retry,
            timeout_seconds: raw.timeout_seconds,
            for_each: raw.for_each,
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

impl StepKind {
    /// Every S3 location the step names, with its key (`Application`, `PyFiles[1]`,
    /// `Args[3]`): an Application or a Script must be one (EMR reads it from S3); any other
    /// value is checked when it is written as one (a JAR, an input or a file may also be on
    /// the cluster or in HDFS), inside Args and Variables too.
    pub fn s3_paths(&self) -> Vec<S3Path<'_>> {
        let mut paths = S3Paths::default();
        match self {
            StepKind::Spark(spark) => {
                paths.required("Application", &spark.application);
                paths.list("PyFiles", &spark.py_files);
                paths.list("Jars", &spark.jars);
                paths.arguments("Args", &spark.args);
            }
            StepKind::Hive(script) | StepKind::Pig(script) => {
                paths.required("Script", &script.script);
                for (name, value) in &script.variables {
                    paths.inside(format!("Variables.{name}"), value);
                }
            }
            StepKind::CustomJar(jar) => {
                paths.optional("Jar".to_string(), &jar.jar);
                paths.arguments("Args", &jar.args);
            }
            StepKind::Script(script) => {
                paths.required("Script", &script.script);
                paths.arguments("Args", &script.args);
            }
            StepKind::S3DistCp(copy) => {
                paths.optional("Src".to_string(), &copy.src);
                paths.optional("Dest".to_string(), &copy.dest);
                paths.arguments("Args", &copy.args);
            }
            StepKind::Streaming(streaming) => {
                paths.list("Input", &streaming.input);
                paths.optional("Output".to_string(), &streaming.output);
                paths.optional("Mapper".to_string(), &streaming.mapper);
                paths.optional("Reducer".to_string(), &streaming.reducer);
                paths.list("Files", &streaming.files);
                paths.arguments("Args", &streaming.args);
            }
            StepKind::Command(command) => paths.arguments("Args", &command.args),
        }
        paths.0
    }

    pub(super) fn check_required_values(&self) -> Result<(), String> {
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
                "{} must not be empty for a {} step",
                words::key(key),
                self.type_name()
            )),
            None => Ok(()),
        }
    }
}

/// An S3 location a step names ([`StepKind::s3_paths`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Path<'a> {
    /// The key within the step: `Application`, `Args[2]`, `Variables.INPUT`.
    pub key: String,
    pub value: &'a str,
}

#[derive(Default)]
struct S3Paths<'a>(Vec<S3Path<'a>>);

impl<'a> S3Paths<'a> {
    fn required(&mut self, key: &str, value: &'a str) {
        self.0.push(S3Path {
            key: key.to_string(),
            value,
        });
    }

    fn optional(&mut self, key: String, value: &'a str) {
        if looks_like_s3(value) {
            self.0.push(S3Path { key, value });
        }
    }

    fn list(&mut self, key: &str, values: &'a [String]) {
        for (index, value) in values.iter().enumerate() {
            self.optional(format!("{key}[{index}]"), value);
        }
    }

    /// The S3 locations inside one text (`--input=s3://…`, a comma-separated list).
    fn inside(&mut self, key: String, text: &'a str) {
        for value in s3_locations_in(text) {
            self.optional(key.clone(), value);
        }
    }

    fn arguments(&mut self, key: &str, values: &'a [String]) {
        for (index, value) in values.iter().enumerate() {
            self.inside(format!("{key}[{index}]"), value);
        }
    }
}
