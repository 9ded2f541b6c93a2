//! What one deployment gives every execution: its pipelines by Name (with the stack's
//! account-specific settings applied), the Region, and how executions learn that steps ended
//! when a pipeline does not say. The Lambda wiring builds it at cold start from the pipelines
//! folder in its package; the local runner from its options. Reading the folder is here too
//! ([`read_pipeline_files`], [`load_pipeline_folder`]): a file that is not a valid spec, or
//! two files with one Name, fail loading, each problem naming the file and the key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::json::echo;
use crate::pipeline::{PipelineSpec, StepCompletion};
use crate::EmrflowError;

/// The deployment the handlers serve.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// The deployed pipelines by Name; empty for a function that never reads them (then
    /// validate-input requires the execution input to carry a `Pipeline`).
    pub pipelines: BTreeMap<String, PipelineSpec>,
    /// The Region the functions run in (script-runner's JAR and the endpoints depend on it).
    pub region: String,
    /// The deployment's choice for pipelines that do not set StepCompletion.
    pub step_completion: StepCompletion,
    /// Whether EMR's events can wake an execution here (a deployed stack: yes; the local
    /// runner against a local EMR in another process: no). Without, every pipeline polls.
    pub event_feed: bool,
}

impl Deployment {
    /// A deployment in `region` without pipelines, polling by default.
    pub fn new(region: impl Into<String>) -> Self {
        Deployment {
            pipelines: BTreeMap::new(),
            region: region.into(),
            step_completion: StepCompletion::default(),
            event_feed: true,
        }
    }

    /// Deploys `pipeline` too (replacing one of the same Name).
    pub fn with_pipeline(mut self, pipeline: PipelineSpec) -> Self {
        self.pipelines.insert(pipeline.name.clone(), pipeline);
        self
    }

    pub fn with_pipelines(mut self, pipelines: BTreeMap<String, PipelineSpec>) -> Self {
        self.pipelines.extend(pipelines);
        self
    }

    pub fn with_step_completion(mut self, step_completion: StepCompletion) -> Self {
        self.step_completion = step_completion;
        self
    }

    /// No event can wake an execution: every pipeline polls, whatever it says.
    pub fn without_event_feed(mut self) -> Self {
        self.event_feed = false;
        self
    }

    /// How executions of `pipeline` learn that steps ended: its own StepCompletion, else the
    /// deployment's — polling wherever there is no event feed.
    pub fn step_completion_of(&self, pipeline: &PipelineSpec) -> StepCompletion {
        if !self.event_feed {
            return StepCompletion::Polling;
        }
        pipeline.step_completion.unwrap_or(self.step_completion)
    }

    /// The deployed pipeline an execution input names (`PipelineName`), or, when it names
    /// none, the only one deployed. InvalidInput lists the deployed Names.
    pub fn pipeline(&self, name: Option<&str>) -> Result<&PipelineSpec, EmrflowError> {
        let deployed = || match self.pipelines.len() {
            0 => "no pipeline is deployed".to_string(),
            _ => format!(
                "deployed: {}",
                self.pipelines
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        match name {
            Some(name) => self.pipelines.get(name).ok_or_else(|| {
                EmrflowError::invalid_input(format!(
                    "key 'PipelineName': '{}' is not a deployed pipeline ({})",
                    echo(name),
                    deployed()
                ))
            }),
            None => match self.pipelines.len() {
                0 => Err(EmrflowError::invalid_input(
                    "key 'Pipeline': not given and no pipeline spec is deployed",
                )),
                1 => Ok(self.pipelines.values().next().ok_or_else(|| {
                    EmrflowError::internal("the one deployed pipeline could not be read")
                })?),
                _ => Err(EmrflowError::invalid_input(format!(
                    "key 'PipelineName': required when more than one pipeline is deployed ({})",
                    deployed()
                ))),
            },
        }
    }

    /// The stack's settings applied to every deployed pipeline.
    pub fn with_settings(mut self, settings: &DeploymentSettings) -> Self {
        for pipeline in self.pipelines.values_mut() {
            settings.apply(pipeline);
        }
        if let Some(step_completion) = settings.step_completion {
            self.step_completion = step_completion;
        }
        self
    }
}

/// Something wrong with one pipeline file: the file, and the problem naming the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// The pipeline files read: the valid ones, and every problem — each file's own (the first
/// its validation finds, as Validate_Input reports one), then each file whose Name an
/// earlier file has (the earlier one is kept).
#[derive(Debug, Clone, Default)]
pub struct PipelineFiles {
    pub valid: Vec<(PathBuf, PipelineSpec)>,
    pub problems: Vec<FileProblem>,
}

/// The `*.json` files of a pipelines folder, in name order.
pub fn pipeline_files_in(folder: &Path) -> Result<Vec<PathBuf>, EmrflowError> {
    let entries = std::fs::read_dir(folder).map_err(|error| {
        EmrflowError::invalid_input(format!(
            "cannot read the pipelines folder {}: {error}",
            folder.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads and validates each file, then checks that no two share a Name.
pub fn read_pipeline_files(paths: &[PathBuf]) -> PipelineFiles {
    let mut files = PipelineFiles::default();
    let mut names: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in paths {
        let spec = std::fs::read_to_string(path)
            .map_err(|error| EmrflowError::invalid_input(format!("cannot read the file: {error}")))
            .and_then(|text| PipelineSpec::from_json_str(&text));
        match spec {
            Err(error) => files.problems.push(FileProblem {
                path: path.clone(),
                message: error.message().to_string(),
            }),
            Ok(spec) => match names.get(&spec.name) {
                Some(first) => files.problems.push(FileProblem {
                    path: path.clone(),
                    message: format!(
                        "pipeline spec: key 'Name': '{}' is already the Name of {}; every pipeline needs a Name of its own",
                        spec.name,
                        first.display()
                    ),
                }),
                None => {
                    names.insert(spec.name.clone(), path.clone());
                    files.valid.push((path.clone(), spec));
                }
            },
        }
    }
    files
}

/// Every pipeline of `folder` by Name; any problem fails the whole load, listing them all.
pub fn load_pipeline_folder(folder: &Path) -> Result<BTreeMap<String, PipelineSpec>, EmrflowError> {
    let files = read_pipeline_files(&pipeline_files_in(folder)?);
    if !files.problems.is_empty() {
        let lines: Vec<String> = files.problems.iter().map(ToString::to_string).collect();
        return Err(EmrflowError::invalid_input(format!(
            "the pipelines folder {} has {} problem(s): {}",
            folder.display(),
            lines.len(),
            lines.join("; ")
        )));
    }
    Ok(files
        .valid
        .into_iter()
        .map(|(_, spec)| (spec.name.clone(), spec))
        .collect())
}

/// Account-specific values the deployed stack passes as environment variables. They replace
/// the pipeline file's, so the cluster gets exactly the roles IAM lets ensure-cluster pass,
/// and the same pipeline file serves every account. Unset or empty: the file's value stays.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeploymentSettings {
    pub service_role: Option<String>,
    pub job_flow_role: Option<String>,
    pub subnet_id: Option<String>,
    pub log_uri: Option<String>,
    /// EMRFLOW_STEP_COMPLETION: EVENTS or POLLING, for pipelines that do not choose.
    pub step_completion: Option<StepCompletion>,
}

impl DeploymentSettings {
    /// `lookup` is the environment in a Lambda; tests pass a map.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let value = |key: &str| lookup(key).filter(|value| !value.trim().is_empty());
        DeploymentSettings {
            service_role: value("EMRFLOW_SERVICE_ROLE"),
            job_flow_role: value("EMRFLOW_JOB_FLOW_ROLE"),
            subnet_id: value("EMRFLOW_EC2_SUBNET_ID"),
            log_uri: value("EMRFLOW_LOG_URI"),
            step_completion: value("EMRFLOW_STEP_COMPLETION").and_then(|text| {
                serde_json::from_value(serde_json::Value::String(text.trim().to_uppercase())).ok()
            }),
        }
    }

    pub fn apply(&self, pipeline: &mut PipelineSpec) {
        let cluster = &mut pipeline.cluster;
        if let Some(role) = &self.service_role {
            cluster.service_role = role.clone();
        }
        if let Some(role) = &self.job_flow_role {
            cluster.job_flow_role = role.clone();
        }
        if let Some(subnet) = &self.subnet_id {
            cluster.ec2_subnet_ids = vec![subnet.clone()];
        }
        if let Some(log_uri) = &self.log_uri {
            cluster.log_uri = Some(log_uri.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn sample() -> PipelineSpec {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../pipelines/daily-etl.json"
        );
        PipelineSpec::load(path).expect("sample pipeline")
    }

    #[test]
    fn the_stack_settings_replace_the_pipeline_files_account_values() {
        // GIVEN the environment a deployed validate-input sees
        let env: HashMap<&str, &str> = HashMap::from([
            ("EMRFLOW_SERVICE_ROLE", "Prod_EMR_Service"),
            ("EMRFLOW_JOB_FLOW_ROLE", "Prod_EMR_EC2"),
            ("EMRFLOW_EC2_SUBNET_ID", "subnet-0abc"),
            ("EMRFLOW_LOG_URI", "s3://prod-logs/emrflow/logs/"),
        ]);
        let mut pipeline = sample();
        let steps_before = pipeline.steps.clone();
        // WHEN they are applied
        DeploymentSettings::from_lookup(|key| env.get(key).map(|v| v.to_string()))
            .apply(&mut pipeline);
        // THEN the cluster uses them, and nothing else changed
        assert_eq!(pipeline.cluster.service_role, "Prod_EMR_Service");
        assert_eq!(pipeline.cluster.job_flow_role, "Prod_EMR_EC2");
        assert_eq!(pipeline.cluster.ec2_subnet_ids, ["subnet-0abc"]);
        assert_eq!(
            pipeline.cluster.log_uri.as_deref(),
            Some("s3://prod-logs/emrflow/logs/")
        );
        assert_eq!(pipeline.steps, steps_before);
    }

    #[test]
    fn a_pipelines_step_completion_wins_except_where_no_event_feed_exists() {
        // GIVEN a pipeline that says EVENTS and one that says nothing
        let mut events = sample();
        events.step_completion = Some(StepCompletion::Events);
        let mut unset = sample();
        unset.step_completion = None;
        let deployment = Deployment::new("eu-west-1").with_step_completion(StepCompletion::Polling);
        // WHEN the deployment resolves them THEN the pipeline's choice, else the deployment's
        assert_eq!(
            deployment.step_completion_of(&events),
            StepCompletion::Events
        );
        assert_eq!(
            deployment.step_completion_of(&unset),
            StepCompletion::Polling
        );
        // AND without an event feed every pipeline polls
        let without = deployment.without_event_feed();
        assert_eq!(without.step_completion_of(&events), StepCompletion::Polling);
    }

    #[test]
    fn unset_or_empty_settings_keep_the_files_values() {
        let env: HashMap<&str, &str> = HashMap::from([("EMRFLOW_SERVICE_ROLE", " ")]);
        let mut pipeline = sample();
        DeploymentSettings::from_lookup(|key| env.get(key).map(|v| v.to_string()))
            .apply(&mut pipeline);
        assert_eq!(pipeline, sample());
    }
}
