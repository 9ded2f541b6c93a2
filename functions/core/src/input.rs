//! The execution input (README, "The execution input"): defaults, unknown keys, wrong types,
//! contradictions; and the execution a handler works for, whose pipeline every later handler
//! re-derives from that input exactly as validate-input did ([`derive`]).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::deployment::Deployment;
pub use crate::json::echo;
use crate::json::invalid_at_path;
use crate::pipeline::{check_execution_limits, InputItems, PipelineSpec, PlaceholderValues};
use crate::{words, EmrflowError};

mod rerun;
pub use rerun::{RerunOf, SkippedStep};

/// Which execution a handler works for, as the state machine passes it from its context
/// object: the handlers that need the pipeline re-derive it from the execution input, exactly
/// as validate-input did, so the execution state never carries the whole spec.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ExecutionRef {
    #[serde(default)]
    pub input: Value,
    pub name: String,
    pub start_time: String,
    /// validate-input's fingerprint of the pipeline; absent when a person calls a handler.
    #[serde(default)]
    pub pipeline_digest: Option<String>,
}

/// The execution input normalized (defaults, pipeline resolved and rendered, EMR's limits
/// checked): what validate-input checks and what later handlers re-derive.
pub fn normalize(
    input: Value,
    execution_name: &str,
    start_time: &str,
    deployment: &Deployment,
) -> Result<NormalizedInput, EmrflowError> {
    let start_time = parse_time("StartTime", start_time)?;
    ExecutionInput::from_value(input)?.normalize(execution_name, start_time, deployment)
}

/// The execution's pipeline, re-derived from its input (the deployed pipeline its
/// `PipelineName` names, or its own `Pipeline`); a redeployed pipeline (a different digest)
/// is refused rather than run half old, half new.
pub fn derive(
    execution: &ExecutionRef,
    deployment: &Deployment,
) -> Result<NormalizedInput, EmrflowError> {
    let normalized = normalize(
        execution.input.clone(),
        &execution.name,
        &execution.start_time,
        deployment,
    )
    .map_err(|error| error.with_context("Execution.Input"))?;
    if let Some(expected) = &execution.pipeline_digest {
        let digest = normalized.pipeline_digest()?;
        if &digest != expected {
            return Err(EmrflowError::invalid_input(format!(
                "key 'Execution.PipelineDigest': the pipeline this execution started with ({}) is no longer the one deployed ({}); the deployment changed during the run — start a new execution",
                short(expected),
                short(&digest)
            )));
        }
    }
    Ok(normalized)
}

/// The name of the pipeline an execution input runs, read leniently from the input as
/// DescribeExecution returns it (JSON text): its `PipelineName`, else its inline
/// `Pipeline.Name`, else the only deployed pipeline's. None when the input names none (such an
/// execution fails its validation). The start queue groups running executions by it.
pub fn pipeline_name_of(input: &str, deployment: &Deployment) -> Option<String> {
    let input: Value = serde_json::from_str(input).ok()?;
    if let Some(name) = input.get("PipelineName") {
        return name.as_str().map(str::to_string);
    }
    match input.get("Pipeline") {
        Some(Value::Object(pipeline)) => pipeline
            .get("Name")
            .and_then(Value::as_str)
            .map(str::to_string),
        Some(Value::Null) | None => deployment
            .pipeline(None)
            .ok()
            .map(|pipeline| pipeline.name.clone()),
        Some(_) => None,
    }
}

/// The first characters of a digest, enough to tell two apart in a message.
fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// An RFC 3339 time from the state machine's context object.
pub fn parse_time(key: &str, text: &str) -> Result<DateTime<Utc>, EmrflowError> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|error| {
            EmrflowError::invalid_input(format!(
                "{}: '{text}' is not an RFC 3339 time: {error}",
                words::key(key)
            ))
        })
}

/// The execution input as a person or the schedule writes it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ExecutionInput {
    #[serde(default)]
    pub create_cluster: Option<bool>,
    #[serde(default)]
    pub terminate_cluster: Option<bool>,
    #[serde(default)]
    pub cluster_id: Option<String>,
    #[serde(default)]
    pub processing_date: Option<String>,
    /// The deployed pipeline to run: required when more than one is deployed.
    #[serde(default)]
    pub pipeline_name: Option<String>,
    /// A spec of the execution's own, instead of a deployed pipeline.
    #[serde(default)]
    pub pipeline: Option<Value>,
    /// The items of the steps whose ForEach says FromInput, by key (README, "Steps over a
    /// list"): `{"Tenants": ["tenant_b"]}` runs those steps for tenant_b only.
    #[serde(default)]
    pub items: Option<InputItems>,
    /// False: start even while earlier runs of the pipeline are going (a manual re-run that
    /// must not queue), ignoring MaxConcurrentRuns. Default true.
    #[serde(default)]
    pub wait_for_earlier_runs: Option<bool>,
    /// The execution this one re-runs and the steps that completed there, which it skips
    /// (`emrflow rerun` writes it; README, "Re-running an execution").
    #[serde(default)]
    pub rerun_of: Option<RerunOf>,
}

/// The normalized input: every default applied, the pipeline resolved and rendered.
/// This is validate-input's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct NormalizedInput {
    pub create_cluster: bool,
    pub terminate_cluster: bool,
    pub cluster_id: Option<String>,
    pub processing_date: String,
    pub execution_name: String,
    /// The pipeline this execution runs: a step with ForEach as one step per item.
    pub pipeline: PipelineSpec,
    /// The keys whose items made instances (`Steps[0].ForEach`, `Items.Tenants`), for
    /// messages about the pipeline's size.
    #[serde(skip)]
    pub item_sources: Vec<String>,
    /// Whether the run queues behind earlier runs of its pipeline (MaxConcurrentRuns).
    pub wait_for_earlier_runs: bool,
    /// The execution re-run and the steps skipped, checked against `pipeline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerun_of: Option<RerunOf>,
}

/// `j-` followed by 1 to 20 upper-case letters or digits.
pub fn check_cluster_id(cluster_id: &str, key: &str) -> Result<(), EmrflowError> {
    check_emr_id(cluster_id, key, "cluster", "j-", 20)
}

/// `s-` followed by 1 to 254 upper-case letters or digits (a step id has at most 256
/// characters).
pub fn check_step_id(step_id: &str, key: &str) -> Result<(), EmrflowError> {
    check_emr_id(step_id, key, "step", "s-", 254)
}

/// `prefix` followed by 1 to `max_chars` upper-case letters or digits: EMR's ids.
fn check_emr_id(
    id: &str,
    key: &str,
    kind: &str,
    prefix: &str,
    max_chars: usize,
) -> Result<(), EmrflowError> {
    let well_shaped = id.strip_prefix(prefix).is_some_and(|rest| {
        (1..=max_chars).contains(&rest.len())
            && rest
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    });
    if well_shaped {
        Ok(())
    } else {
        Err(EmrflowError::invalid_input(format!(
            "{}: '{}' is not an EMR {kind} id (expected '{prefix}' followed by 1 to {max_chars} characters A-Z 0-9)",
            words::key(key),
            echo(id)
        )))
    }
}

/// Step Functions execution names: 1 to 80 characters, no whitespace, and none of the
/// characters emrflow uses as separators in step names and placeholders.
pub fn check_execution_name(execution_name: &str) -> Result<(), EmrflowError> {
    let length = execution_name.chars().count();
    let bad_char = execution_name
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "[]{}<>\"#%\\^|~`$&,;:/?*".contains(*c));
    if !(1..=80).contains(&length) {
        return Err(EmrflowError::invalid_input(format!(
            "the execution's name '{}' must be 1 to 80 characters",
            echo(execution_name)
        )));
    }
    if let Some(c) = bad_char {
        return Err(EmrflowError::invalid_input(format!(
            "the execution's name '{execution_name}' contains the character '{}', which a Step Functions execution name cannot hold",
            c.escape_default()
        )));
    }
    Ok(())
}

/// The data days a pipeline can process (there is no year 0; a year-9999 day is a typo).
const FIRST_YEAR: i32 = 1900;
const LAST_YEAR: i32 = 9999;

/// Parses `YYYY-MM-DD` strictly (a real calendar date, exactly that shape).
pub fn parse_processing_date(text: &str) -> Result<NaiveDate, EmrflowError> {
    let shaped = text.len() == 10
        && text.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    match parsed {
        Some(date) if shaped && (FIRST_YEAR..=LAST_YEAR).contains(&date.year()) => Ok(date),
        Some(_) if shaped => Err(EmrflowError::invalid_input(format!(
            "key 'ProcessingDate': '{text}' is outside the years {FIRST_YEAR} to {LAST_YEAR}"
        ))),
        _ => Err(EmrflowError::invalid_input(format!(
            "key 'ProcessingDate': '{}' is not a date in the form YYYY-MM-DD",
            echo(text)
        ))),
    }
}

impl NormalizedInput {
    /// A fingerprint of the pipeline this execution runs. validate-input hands it on; every
    /// handler that re-derives the pipeline from the execution input checks it, so a
    /// redeployed default pipeline cannot change an execution half way.
    pub fn pipeline_digest(&self) -> Result<String, EmrflowError> {
        use sha2::Digest;
        let text = serde_json::to_string(&self.pipeline).map_err(|error| {
            EmrflowError::internal(format!(
                "the pipeline spec could not be written as JSON: {error}"
            ))
        })?;
        Ok(hex::encode(sha2::Sha256::digest(text.as_bytes())))
    }
}

impl ExecutionInput {
    /// Reads the execution input; `null` means `{}`.
    pub fn from_value(value: Value) -> Result<ExecutionInput, EmrflowError> {
        match value {
            Value::Null => Ok(ExecutionInput::default()),
            Value::Object(_) => crate::json::from_value(value)
                .map_err(|error| invalid_at_path("execution input", error)),
            other => Err(EmrflowError::invalid_input(format!(
                "execution input: must be a JSON object, not {other}"
            ))),
        }
    }

    /// Applies the defaults, rejects contradictions, resolves and renders the pipeline, and
    /// checks every EMR limit that can be checked without calling EMR.
    pub fn normalize(
        self,
        execution_name: &str,
        start_time: DateTime<Utc>,
        deployment: &Deployment,
    ) -> Result<NormalizedInput, EmrflowError> {
        check_execution_name(execution_name)?;
        let create_cluster = self.create_cluster.unwrap_or(true);
        let cluster_id = match (create_cluster, self.cluster_id) {
            (true, Some(id)) => {
                return Err(EmrflowError::invalid_input(format!(
                    "key 'ClusterId': '{id}' is given but CreateCluster is true; give ClusterId only with CreateCluster false"
                )))
            }
            (false, None) => {
                return Err(EmrflowError::invalid_input(
                    "key 'ClusterId': required when CreateCluster is false (the cluster to reuse)",
                ))
            }
            (true, None) => None,
            (false, Some(id)) => {
                check_cluster_id(&id, "ClusterId")?;
                Some(id)
            }
        };
        // A reused cluster belongs to someone else: never terminate it unless asked to.
        let terminate_cluster = self.terminate_cluster.unwrap_or(create_cluster);
        let processing_date = match &self.processing_date {
            Some(text) => parse_processing_date(text)?,
            None => start_time.date_naive(),
        };
        let mut pipeline = match (self.pipeline_name, self.pipeline) {
            (Some(_), Some(_)) => {
                return Err(EmrflowError::invalid_input(
                    "key 'PipelineName': give PipelineName (a deployed pipeline) or Pipeline (a spec of the execution's own), not both",
                ))
            }
            (None, Some(value)) => PipelineSpec::from_value(value)
                .map_err(|error| error.with_context("key 'Pipeline'"))?,
            (name, None) => deployment.pipeline(name.as_deref())?.clone(),
        };
        // The schedule says when executions start, not what they run: left out of the run's
        // pipeline (and of its digest), so editing it never disturbs a running execution.
        pipeline.schedule = None;
        let rendered = pipeline.render(&PlaceholderValues {
            processing_date,
            execution_name: execution_name.to_string(),
            pipeline_name: pipeline.name.clone(),
        })?;
        // Expanded here, once: every handler re-derives the same instances from the input.
        let (instances, item_sources) = rendered.instances(&self.items.unwrap_or_default())?;
        check_execution_limits(&instances, execution_name, &deployment.region)?;
        let mut rendered = rendered.with_instances(instances);
        // The state machine reads Pipeline.PollIntervalSeconds and Pipeline.MaxRunMinutes:
        // always spell out the defaults.
        rendered.poll_interval_seconds = Some(rendered.poll_interval_seconds());
        rendered.max_run_minutes = Some(rendered.max_run_minutes());
        if let Some(rerun_of) = &self.rerun_of {
            rerun_of.check(&rendered, execution_name)?;
        }
        Ok(NormalizedInput {
            create_cluster,
            terminate_cluster,
            cluster_id,
            processing_date: processing_date.format("%Y-%m-%d").to_string(),
            execution_name: execution_name.to_string(),
            pipeline: rendered,
            item_sources,
            wait_for_earlier_runs: self.wait_for_earlier_runs.unwrap_or(true),
            rerun_of: self.rerun_of,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_ids_are_checked_for_emrs_shape() {
        // GIVEN good and bad step ids WHEN checked THEN only EMR's shape passes, named by key
        assert!(check_step_id("s-1A2B3C4D5E6F7", "Outstanding[0]").is_ok());
        for bad in [
            "",
            "s-",
            "j-ABC",
            "s-abc",
            "s-1 2",
            &format!("s-{}", "A".repeat(255)),
        ] {
            let error = check_step_id(bad, "Outstanding[3]").unwrap_err();
            assert!(
                error.message().starts_with("key 'Outstanding[3]': "),
                "{error}"
            );
        }
    }
}
