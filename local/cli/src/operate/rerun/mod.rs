//! `emrflow rerun EXECUTION [--from-failure | --steps NAME…] [--cluster j-…]`: a new
//! execution of the same pipeline, date and input, named as the original's next attempt
//! (`emrflow_core::naming::next_attempt_name`), whose input says what it re-runs
//! (`RerunOf`: the steps it skips, each with the EMR step that completed it).
//!
//! The original's step outcomes come from its own record — check-steps' final report in its
//! history (on AWS, GetExecutionHistory: kept 90 days; locally the run's record under the
//! root) — so a re-run works after the original's cluster is gone. Every refusal (no such
//! execution, another pipeline or state machine, still running, a step renamed or removed
//! since, an unknown step) is made here before anything starts, and the input is then checked
//! by validate-input itself, with the pipelines folder as deployed: nothing exists yet when a
//! re-run is refused. The plan is `plan.rs`, its words `render/rerun.rs`.

mod plan;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use clap::Args;
use emrflow_core::deployment::load_pipeline_folder;
use emrflow_core::graph::Graph;
use emrflow_core::handlers::{ValidateInput, ValidateInputRequest};
use emrflow_core::input::{normalize, RerunOf};
use emrflow_core::naming::next_attempt_name;
use emrflow_core::{Deployment, ErrorName, PipelineSpec};
use emrflow_executions::{ExecutionRecord, Started};
use serde_json::{json, Value};

use super::{json_text, Backend, BackendKind, Printed, Target};
use crate::render::rerun::started_text;
pub use plan::{plan, Plan, Selection, Skip};

/// The pipelines folder read by default, as `emrflow backfill` and `make deploy` do.
const DEFAULT_PIPELINES: &str = "pipelines";
/// Names tried after the next attempt's when those are taken (`-r3`, `-r4`, …).
const NAMES_TRIED: u32 = 20;

#[derive(Args, Debug, Clone)]
pub struct RerunArgs {
    /// The execution to re-run: its name or ARN.
    pub execution: String,
    /// Skip the steps that COMPLETED in it; run what failed, was cancelled, skipped or never
    /// ran, and every step that waits for those.
    #[arg(long, conflicts_with = "steps")]
    pub from_failure: bool,
    /// Run these steps and every step that waits for them; skip the rest (which must have
    /// completed in it).
    #[arg(long, num_args = 1.., value_name = "NAME")]
    pub steps: Vec<String>,
    /// Run on this existing cluster (CreateCluster false, ClusterId; not terminated).
    #[arg(long, value_name = "j-…")]
    pub cluster: Option<String>,
    /// Refuse unless the execution ran this pipeline.
    #[arg(long)]
    pub pipeline: Option<String>,
    /// The pipelines folder as deployed (or, with --local, one pipeline file): the steps
    /// are judged against the pipeline as it is now [default: pipelines].
    #[arg(long)]
    pub pipelines: Option<PathBuf>,
    #[command(flatten)]
    pub target: Target,
    /// With --local: more options for `emrflow local run` (after `--`).
    #[arg(last = true)]
    pub local_run_args: Vec<String>,
}

impl RerunArgs {
    fn pipelines_path(&self) -> PathBuf {
        self.pipelines
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_PIPELINES))
    }

    /// What the local run is started with: the pipelines read here, then the options after
    /// `--`.
    pub fn local_run_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(path) = &self.pipelines {
            let option = if path.is_file() {
                "--pipeline"
            } else {
                "--pipelines"
            };
            args.extend([option.to_string(), path.display().to_string()]);
        }
        args.extend(self.local_run_args.iter().cloned());
        args
    }

    fn selection(&self) -> Selection {
        match (self.from_failure, self.steps.is_empty()) {
            (true, _) => Selection::FromFailure,
            (false, false) => Selection::Steps(self.steps.clone()),
            (false, true) => Selection::All,
        }
    }
}

/// The deployment the re-run is judged against: the pipelines as they are now.
fn deployment(path: &Path, region: &str) -> Result<Deployment, String> {
    let deployment = Deployment::new(region);
    if path.is_file() {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let spec = PipelineSpec::from_json_str(&text)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        return Ok(deployment.with_pipeline(spec));
    }
    if !path.is_dir() {
        return Err(format!(
            "{}: no such folder; a re-run judges the original's steps against the pipelines as deployed: give --pipelines DIR (the folder `make deploy` deploys)",
            path.display()
        ));
    }
    let specs = load_pipeline_folder(path).map_err(|error| error.to_string())?;
    Ok(deployment.with_pipelines(specs))
}

/// Why `record` cannot be re-run by `backend`: still running, or of another state machine or
/// pipeline.
fn refusal(backend: &Backend, args: &RerunArgs, record: &ExecutionRecord) -> Option<String> {
    let name = record.name();
    if !record.execution.status.has_ended() {
        return Some(format!(
            "InvalidInput: {name} is still {}: a re-run starts once it has ended (wait for it: emrflow watch {}{name}; or stop it: emrflow stop {}{name})",
            record.execution.status.as_str(),
            backend.options,
            backend.options
        ));
    }
    if let BackendKind::Aws { state_machine_arn } = &backend.kind {
        if &record.execution.state_machine_arn != state_machine_arn {
            return Some(format!(
                "InvalidInput: {name} is an execution of another state machine ({}), not of {state_machine_arn}",
                record.execution.state_machine_arn
            ));
        }
    }
    let ran = record.pipeline_name();
    match (&args.pipeline, ran) {
        (Some(asked), Some(ran)) if *asked != ran => Some(format!(
            "InvalidInput: {name} ran pipeline '{ran}', not '{asked}'"
        )),
        (Some(asked), None) => Some(format!(
            "InvalidInput: {name} names no pipeline in its input, so it is not a run of '{asked}'"
        )),
        _ => None,
    }
}

/// The original's input as it was, without its own re-run origin (`{}` when it had none).
fn original_input(record: &ExecutionRecord) -> Result<Value, String> {
    let name = record.name();
    let input: Value = match record.execution.input.as_deref() {
        Some(text) => serde_json::from_str(text)
            .map_err(|error| format!("the input of {name} is not JSON: {error}"))?,
        None => Value::Null,
    };
    let mut object = match input {
        Value::Null => serde_json::Map::new(),
        Value::Object(object) => object,
        _ => return Err(format!("the input of {name} is not a JSON object")),
    };
    object.remove("RerunOf");
    Ok(Value::Object(object))
}

/// The original's re-run origin, when it was a re-run itself.
fn original_rerun_of(record: &ExecutionRecord) -> Option<RerunOf> {
    let input: Value = serde_json::from_str(record.execution.input.as_deref()?).ok()?;
    serde_json::from_value(input.get("RerunOf")?.clone()).ok()
}

/// The re-run's input: the original's with its origin and, with --cluster, on that cluster
/// (never terminating it, as `start` with ClusterId does).
fn rerun_input(
    mut input: Value,
    rerun_of: &RerunOf,
    cluster: Option<&str>,
) -> Result<Value, String> {
    let rerun_of = serde_json::to_value(rerun_of)
        .map_err(|error| format!("the re-run's origin could not be written: {error}"))?;
    if let Some(object) = input.as_object_mut() {
        if let Some(cluster) = cluster {
            object.insert("CreateCluster".into(), Value::Bool(false));
            object.insert("ClusterId".into(), Value::from(cluster));
            object.remove("TerminateCluster");
        }
        object.insert("RerunOf".into(), rerun_of);
    }
    Ok(input)
}

fn region_of(backend: &Backend) -> String {
    match &backend.kind {
        BackendKind::Aws { state_machine_arn } => {
            emrflow_core::execution::arn_region(state_machine_arn)
                .unwrap_or(crate::definition::LOCAL_REGION)
                .to_string()
        }
        BackendKind::Local { .. } => crate::definition::LOCAL_REGION.to_string(),
    }
}

/// `emrflow rerun`: refuses, or starts the re-run and says what it runs and skips.
pub async fn rerun(backend: &Backend, args: &RerunArgs) -> Result<Printed, String> {
    let record = backend
        .executions
        .record(&args.execution)
        .await
        .map_err(|error| format!("{}: cannot re-run: {error}", error.name()))?;
    if let Some(refused) = refusal(backend, args, &record) {
        return Err(refused);
    }
    let original = record.name().to_string();
    let deployment = Arc::new(deployment(&args.pipelines_path(), &region_of(backend))?);
    let steps = backend.steps_of(&record).await?.unwrap_or_default();
    let input = original_input(&record)?;
    let now = Utc::now();
    let first_name = next_attempt_name(&original, 1);
    let now_spec =
        normalize(input.clone(), &first_name, &now.to_rfc3339(), &deployment).map_err(|error| {
            format!(
                "{}: {original}'s input does not run on the pipelines as they are now: {error}",
                error.name()
            )
        })?;
    let graph = Graph::new(&now_spec.pipeline);
    let (plan, rerun_of) = plan(
        &original,
        &steps,
        original_rerun_of(&record).as_ref(),
        &graph,
        &args.selection(),
    )?;
    let input = rerun_input(input, &rerun_of, args.cluster.as_deref())?;
    let validate = ValidateInput {
        deployment: deployment.clone(),
    };
    validate
        .validate(ValidateInputRequest {
            input: input.clone(),
            execution_name: first_name.clone(),
            start_time: now.to_rfc3339(),
        })
        .map_err(|error| format!("{}: {error}", error.name()))?;
    let started = start_next(backend, &original, &input.to_string()).await?;
    if args.target.json {
        return json_text(&json!({
            "execution": started,
            "rerunOf": original,
            "runs": plan.runs,
            "skips": plan.skips,
        }))
        .map(Printed::ok);
    }
    let skips: Vec<(&str, &str)> = plan
        .skips
        .iter()
        .map(|skip| (skip.name.as_str(), skip.reason.as_str()))
        .collect();
    Ok(Printed::ok(started_text(
        &started,
        &original,
        &plan.runs,
        &skips,
        &backend.options,
        !backend.is_local(),
    )))
}

/// StartExecution as the original's next attempt not taken yet.
async fn start_next(backend: &Backend, original: &str, input: &str) -> Result<Started, String> {
    let mut later = 1;
    loop {
        let name = next_attempt_name(original, later);
        match backend.executions.start(&name, input).await {
            Err(error)
                if error.name() == ErrorName::ExecutionAlreadyExists && later < NAMES_TRIED =>
            {
                later += 1
            }
            other => return other.map_err(|error| format!("{}: {error}", error.name())),
        }
    }
}
