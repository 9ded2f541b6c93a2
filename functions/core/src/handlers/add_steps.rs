//! add-steps (state Submit_Pipeline_Steps): submits the pipeline's steps once per execution,
//! in spec order; a retry returns what the first attempt added and adds only what is missing.

use std::collections::BTreeMap;

use emrflow_vocabulary::limits::MAX_ACTIVE_STEPS;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{parse_pipeline, Handlers};
use crate::emr::{StepConfig, StepSummary};
use crate::input::{check_cluster_id, check_execution_name};
use crate::pipeline::check_steps_fit_concurrency;
use crate::{EmrflowError, ErrorName};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AddStepsRequest {
    pub cluster_id: String,
    pub execution_name: String,
    pub pipeline: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubmittedStep {
    pub name: String,
    pub step_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddStepsResponse {
    pub cluster_id: String,
    pub step_ids: Vec<String>,
    pub steps: Vec<SubmittedStep>,
    /// True when at least one step was found already submitted by this execution (a retry).
    pub already_submitted: bool,
}

impl Handlers {
    /// add-steps: submits the pipeline's steps once per execution, in spec order.
    pub async fn add_steps(
        &self,
        request: AddStepsRequest,
    ) -> Result<AddStepsResponse, EmrflowError> {
        check_cluster_id(&request.cluster_id, "ClusterId")?;
        check_execution_name(&request.execution_name)?;
        let pipeline = parse_pipeline(request.pipeline)?;
        if let Some(placeholder) = pipeline.first_unrendered_placeholder() {
            return Err(EmrflowError::invalid_input(format!(
                "key Pipeline: placeholder {placeholder} is not rendered; pass the pipeline through validate-input first"
            )));
        }
        pipeline.check_execution_limits(&request.execution_name, &self.region)?;
        let cluster_id = request.cluster_id;
        let cluster = self.describe_existing(&cluster_id).await?;
        if !cluster.state.accepts_steps() {
            return Err(EmrflowError::cluster_not_usable(format!(
                "cluster {cluster_id} cannot take steps: it is {}; EMR adds steps only to a STARTING, BOOTSTRAPPING, RUNNING or WAITING cluster",
                cluster.state_with_reason()
            )));
        }
        check_steps_fit_concurrency(&pipeline, &cluster_id, cluster.step_concurrency_level)?;
        let existing_steps = self.emr.list_steps(&cluster_id, &[]).await?;
        let compiled = pipeline.compile_steps(&request.execution_name, &self.region);
        let steps = self
            .submit_missing(&cluster_id, &existing_steps, &compiled)
            .await?;
        let added = steps.iter().filter(|(_, new)| *new).count();
        let steps: Vec<SubmittedStep> = steps.into_iter().map(|(step, _)| step).collect();
        Ok(AddStepsResponse {
            cluster_id,
            step_ids: steps.iter().map(|step| step.step_id.clone()).collect(),
            already_submitted: added < compiled.len(),
            steps,
        })
    }

    /// Adds the compiled steps that are not on the cluster yet (by name), in one call, and
    /// returns every step with its id and whether this call added it.
    async fn submit_missing(
        &self,
        cluster_id: &str,
        existing_steps: &[StepSummary],
        compiled: &[StepConfig],
    ) -> Result<Vec<(SubmittedStep, bool)>, EmrflowError> {
        // EMR lists the newest step first; keep the oldest copy of a name as the canonical one.
        let mut ids: BTreeMap<&str, &str> = BTreeMap::new();
        for step in existing_steps.iter().rev() {
            ids.entry(step.name.as_str()).or_insert(step.id.as_str());
        }
        let missing: Vec<StepConfig> = compiled
            .iter()
            .filter(|step| !ids.contains_key(step.name.as_str()))
            .cloned()
            .collect();
        let active = existing_steps
            .iter()
            .filter(|step| step.state.is_active())
            .count();
        if active + missing.len() > MAX_ACTIVE_STEPS {
            return Err(EmrflowError::cluster_not_usable(format!(
                "cluster {cluster_id} has {active} active (PENDING/RUNNING) steps; adding {} would exceed EMR's limit of {MAX_ACTIVE_STEPS}",
                missing.len()
            )));
        }
        let new_ids = self.add_job_flow_steps(cluster_id, &missing).await?;
        let new_by_name: BTreeMap<&str, &str> = missing
            .iter()
            .zip(&new_ids)
            .map(|(step, id)| (step.name.as_str(), id.as_str()))
            .collect();
        Ok(compiled
            .iter()
            .map(|step| {
                let (id, new) = match ids.get(step.name.as_str()) {
                    Some(id) => (*id, false),
                    None => (
                        new_by_name
                            .get(step.name.as_str())
                            .copied()
                            .unwrap_or_default(),
                        true,
                    ),
                };
                let submitted = SubmittedStep {
                    name: step.name.clone(),
                    step_id: id.to_string(),
                };
                (submitted, new)
            })
            .collect())
    }

    /// AddJobFlowSteps, checking that EMR answered one id per step.
    async fn add_job_flow_steps(
        &self,
        cluster_id: &str,
        steps: &[StepConfig],
    ) -> Result<Vec<String>, EmrflowError> {
        if steps.is_empty() {
            return Ok(Vec::new());
        }
        let ids = self
            .emr
            .add_job_flow_steps(cluster_id, steps)
            .await
            .map_err(|error| {
                error.with_context(format!("AddJobFlowSteps on cluster {cluster_id}"))
            })?;
        if ids.len() != steps.len() {
            return Err(EmrflowError::new(
                ErrorName::AwsTransient,
                format!(
                    "AddJobFlowSteps on cluster {cluster_id} returned {} step ids for {} steps",
                    ids.len(),
                    steps.len()
                ),
            ));
        }
        Ok(ids)
    }
}
