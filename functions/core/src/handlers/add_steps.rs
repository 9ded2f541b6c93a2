//! add-steps (state Submit_Pipeline_Steps): submits what is ready, once. A list pipeline's
//! steps all go in the first call; a graph's as their dependencies end and their retries
//! fall due. What is already on the cluster (found by its EMR step name, which carries the
//! execution and the attempt) is never submitted again, so a retried call adds no duplicate.

use std::sync::Arc;

use async_trait::async_trait;
use emrflow_vocabulary::limits::MAX_ACTIVE_STEPS;
use serde::{Deserialize, Serialize};

use super::{Handler, Now};
use crate::deployment::Deployment;
use crate::emr::{EmrApi, StepConfig};
use crate::graph::{evaluate, Graph};
use crate::input::{check_cluster_id, check_execution_name, derive, ExecutionRef};
use crate::lookup::describe_existing;
use crate::pipeline::check_steps_fit_concurrency;
use crate::{EmrflowError, ErrorName};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AddStepsRequest {
    pub cluster_id: String,
    pub execution: ExecutionRef,
}

/// Counts only: the state machine keeps this, so its size must not grow with the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddStepsResponse {
    pub cluster_id: String,
    /// EMR steps this call added.
    pub added: usize,
    /// This execution's EMR steps that were on the cluster already (a retry finds them).
    pub already_submitted: usize,
}

impl AddStepsResponse {
    pub(super) fn worst_case() -> Self {
        AddStepsResponse {
            cluster_id: "j-XXXXXXXXXXXXXXXXXXXX".to_string(),
            added: usize::MAX,
            already_submitted: usize::MAX,
        }
    }
}

/// add-steps: EMR, the deployment (to re-derive the pipeline) and the clock retries are
/// judged by.
pub struct AddSteps {
    pub emr: Arc<dyn EmrApi>,
    pub deployment: Arc<Deployment>,
    pub now: Now,
}

#[async_trait]
impl Handler for AddSteps {
    const NAME: &'static str = "add-steps";
    const PAYLOAD: &'static str = "add-steps input";
    type Request = AddStepsRequest;
    type Response = AddStepsResponse;

    /// Submits every step that is ready and not yet on the cluster, in one call.
    async fn handle(&self, request: AddStepsRequest) -> Result<AddStepsResponse, EmrflowError> {
        check_cluster_id(&request.cluster_id, "ClusterId")?;
        check_execution_name(&request.execution.name)?;
        let normalized = derive(&request.execution, &self.deployment)?;
        let pipeline = &normalized.pipeline;
        let cluster_id = request.cluster_id;
        let cluster = describe_existing(self.emr.as_ref(), &cluster_id).await?;
        if !cluster.state.accepts_steps() {
            return Err(EmrflowError::cluster_not_usable(format!(
                "cluster {cluster_id} cannot take steps: it is {}; EMR adds steps only to a STARTING, BOOTSTRAPPING, RUNNING or WAITING cluster",
                cluster.state_with_reason()
            )));
        }
        check_steps_fit_concurrency(pipeline, &cluster_id, cluster.step_concurrency_level)?;
        // Every step of the cluster: the active ones of other executions count against
        // EMR's limit too.
        let on_cluster = self.emr.list_steps(&cluster_id, &[]).await?;
        let graph = Graph::new(pipeline).rerunning(normalized.rerun_of.as_ref());
        let evaluation = evaluate(
            &graph,
            &on_cluster,
            &normalized.execution_name,
            (self.now)(),
        );
        let ready: Vec<StepConfig> = evaluation
            .to_submit
            .iter()
            .map(|&(index, attempt)| {
                graph.nodes[index].spec.compile_attempt(
                    &normalized.execution_name,
                    &self.deployment.region,
                    attempt,
                    graph.mode,
                )
            })
            .collect();
        let active = on_cluster
            .iter()
            .filter(|step| step.state.is_active())
            .count();
        if active + ready.len() > MAX_ACTIVE_STEPS {
            return Err(EmrflowError::cluster_not_usable(format!(
                "cluster {cluster_id} has {active} active (PENDING/RUNNING) steps; adding {} would exceed EMR's limit of {MAX_ACTIVE_STEPS}",
                ready.len()
            )));
        }
        self.add_job_flow_steps(&cluster_id, &ready).await?;
        let already_submitted = evaluation
            .nodes
            .iter()
            .map(|node| node.attempts.len())
            .sum();
        Ok(AddStepsResponse {
            cluster_id,
            added: ready.len(),
            already_submitted,
        })
    }
}

impl AddSteps {
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
