//! What a page reads, through the same [`Backend`] as `runs`, `show` and `logs`: an
//! execution's record, its steps ([`Backend::steps_of`]) and the pipeline it ran.
//!
//! The pipeline is re-derived as the handlers re-derive it — the execution input (its
//! `Pipeline`, else the pipeline file the console was given) normalized, its digest checked
//! against validate-input's — so the graph drawn is the one that ran, or none: a spec that
//! does not match is not drawn, and the page draws the steps the record knows instead.

use chrono::SecondsFormat;
use emrflow_core::input::normalize;
use emrflow_core::{Deployment, PipelineSpec};
use emrflow_executions::{ExecutionRecord, StepView};
use serde_json::Value;
use std::collections::BTreeMap;

use super::page::Problem;
use super::Console;

/// One execution as its page shows it.
pub struct RunData {
    pub record: ExecutionRecord,
    /// Each step with its attempts; None while no cluster is known.
    pub steps: Option<Vec<StepView>>,
    /// Why the steps could not be read (ListSteps refused, …), in words.
    pub steps_problem: Option<String>,
    /// The pipeline the execution ran, when it can be re-derived.
    pub spec: Option<PipelineSpec>,
}

/// Reads one execution whole; a name that is not an execution, or a record that cannot be
/// read, is a page saying so.
pub async fn load_run(console: &Console, name: &str) -> Result<RunData, Problem> {
    let record = console
        .backend
        .executions
        .record(name)
        .await
        .map_err(|error| {
            Problem::not_found(format!("No execution {name} to show"), error.to_string())
        })?;
    let (steps, steps_problem) = match console.backend.steps_of(&record).await {
        Ok(steps) => (steps, None),
        Err(problem) => (None, Some(problem)),
    };
    let spec = execution_pipeline(&record, &console.pipelines);
    Ok(RunData {
        record,
        steps,
        steps_problem,
        spec,
    })
}

/// The pipeline `record` ran: its input normalized (with `pipelines` deployed), when the
/// digest is validate-input's.
pub fn execution_pipeline(
    record: &ExecutionRecord,
    pipelines: &BTreeMap<String, PipelineSpec>,
) -> Option<PipelineSpec> {
    let summary = record.summary.as_ref()?;
    let input: Value = record
        .execution
        .input
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null);
    // An input that names no pipeline ran the only one deployed then: the summary names it,
    // and the digest below proves it is the same spec.
    let input = match input {
        Value::Object(mut object)
            if !object.contains_key("Pipeline") && !object.contains_key("PipelineName") =>
        {
            object.insert(
                "PipelineName".into(),
                Value::from(summary.pipeline_name.clone()),
            );
            Value::Object(object)
        }
        other => other,
    };
    let region = record
        .execution
        .execution_arn
        .split(':')
        .nth(3)
        .unwrap_or("us-east-1");
    let deployment = Deployment::new(region).with_pipelines(pipelines.clone());
    let start = record
        .execution
        .start_date
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    let normalized = normalize(input, record.name(), &start, &deployment).ok()?;
    let digest = normalized.pipeline_digest().ok()?;
    (digest == summary.pipeline_digest).then_some(normalized.pipeline)
}
