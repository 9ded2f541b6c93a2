//! check-start (state Check_Start_Conditions): may this run start now? It re-derives the
//! run's pipeline from the execution input, then applies the rule of
//! `emrflow_core::handlers::StartFacts` to two looks:
//!
//! 1. the queue — unless the input says `WaitForEarlierRuns: false` — from Step Functions'
//!    own truth: the state machine's RUNNING executions (ListExecutions), those of the same
//!    pipeline (DescribeExecution's input, once per execution: an input never changes, so
//!    the answer is kept for the life of the function), ordered by start time and name;
//! 2. the data, once the run is at the head of its queue: each WaitFor object (HeadObject).
//!
//! Nothing here is stored: an execution holds its place by running and gives it up by
//! ending, however it ends. No cluster exists yet, so a refusal (PipelineBusy,
//! InputNotReady) needs no cleanup.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use emrflow_core::deployment::Deployment;
use emrflow_core::execution::state_machine_arn_of;
use emrflow_core::handlers::{queue_place, QueuePlace, QueuedRun, StartCheck, StartFacts};
use emrflow_core::input::{derive, parse_time, pipeline_name_of, ExecutionRef};
use emrflow_core::objects::{missing_objects, ObjectStore};
use emrflow_core::{EmrflowError, Handler};
use serde::Deserialize;

use super::ExecutionsOf;
use crate::port::{ExecutionStatus, Executions, ListFilter};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CheckStartRequest {
    pub execution: ExecutionRef,
    /// `$$.Execution.Id`: this execution's ARN (its place in the list, its state machine).
    pub execution_id: String,
    /// `$$.State.EnteredTime`: with the execution's start, how long it has waited.
    pub check_time: String,
}

/// check-start: the executions of the state machine a request names, the input data's
/// store, and the deployment (to re-derive pipelines).
pub struct CheckStart {
    executions_of: ExecutionsOf,
    objects: Arc<dyn ObjectStore>,
    deployment: Arc<Deployment>,
    /// Execution ARN → the pipeline its input runs (None: it names none). Never held across
    /// an `.await`.
    pipelines: Mutex<HashMap<String, Option<String>>>,
}

#[async_trait]
impl Handler for CheckStart {
    const NAME: &'static str = "check-start";
    const PAYLOAD: &'static str = "check-start input";
    type Request = CheckStartRequest;
    type Response = StartCheck;

    async fn handle(&self, request: CheckStartRequest) -> Result<StartCheck, EmrflowError> {
        let normalized = derive(&request.execution, &self.deployment)?;
        let facts = StartFacts {
            normalized: &normalized,
            started: parse_time("Execution.StartTime", &request.execution.start_time)?,
            now: parse_time("CheckTime", &request.check_time)?,
        };
        if normalized.wait_for_earlier_runs {
            let place = self
                .queue_place(&request.execution_id, &normalized.pipeline.name)
                .await?;
            if let Some(wait) = facts.judge_queue(&place)? {
                tracing::info!(execution = %request.execution.name, runs_ahead = wait.runs_ahead, "waiting for earlier runs");
                return Ok(wait);
            }
        }
        let missing = missing_objects(
            self.objects.as_ref(),
            normalized.pipeline.waits_for_objects(),
        )
        .await?;
        let answer = facts.judge_data(&missing)?;
        tracing::info!(execution = %request.execution.name, verdict = ?answer.verdict, missing = ?missing, "start conditions looked at");
        Ok(answer)
    }
}

impl CheckStart {
    pub fn new(
        executions_of: ExecutionsOf,
        objects: Arc<dyn ObjectStore>,
        deployment: Arc<Deployment>,
    ) -> Self {
        CheckStart {
            executions_of,
            objects,
            deployment,
            pipelines: Mutex::new(HashMap::new()),
        }
    }

    /// This run's place among the RUNNING executions of `pipeline`. Only the runs that
    /// started before it can be ahead, so only theirs are described.
    async fn queue_place(
        &self,
        execution_arn: &str,
        pipeline: &str,
    ) -> Result<QueuePlace, EmrflowError> {
        let state_machine = state_machine_arn_of(execution_arn).ok_or_else(|| {
            EmrflowError::invalid_input(format!(
                "key 'ExecutionId': '{execution_arn}' is not an execution ARN (arn:…:execution:<state machine>:<name>)"
            ))
        })?;
        let executions = (self.executions_of)(&state_machine);
        let running = executions
            .list(ListFilter {
                status: Some(ExecutionStatus::Running),
                limit: usize::MAX,
            })
            .await
            .map_err(|error| error.with_context("ListExecutions of the running executions"))?;
        let Some(mine) = running
            .iter()
            .find(|run| run.execution_arn == execution_arn)
        else {
            return Ok(QueuePlace::NotListed);
        };
        let mut same_pipeline = Vec::new();
        for run in &running {
            let earlier = (run.start_date, &run.name) < (mine.start_date, &mine.name);
            let is_mine = run.execution_arn == execution_arn;
            if is_mine
                || (earlier
                    && self
                        .pipeline_of(executions.as_ref(), &run.execution_arn)
                        .await?
                        .as_deref()
                        == Some(pipeline))
            {
                same_pipeline.push(QueuedRun {
                    execution_arn: run.execution_arn.clone(),
                    name: run.name.clone(),
                    start_date: run.start_date,
                });
            }
        }
        Ok(queue_place(&same_pipeline, execution_arn))
    }

    /// The pipeline an execution runs, from its input (DescribeExecution once per execution).
    async fn pipeline_of(
        &self,
        executions: &dyn Executions,
        execution_arn: &str,
    ) -> Result<Option<String>, EmrflowError> {
        if let Some(known) = self.known_pipeline(execution_arn) {
            return Ok(known);
        }
        let description = executions
            .describe(execution_arn)
            .await
            .map_err(|error| error.with_context(format!("DescribeExecution {execution_arn}")))?;
        let pipeline = description
            .input
            .as_deref()
            .and_then(|input| pipeline_name_of(input, &self.deployment));
        self.pipelines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(execution_arn.to_string(), pipeline.clone());
        Ok(pipeline)
    }

    fn known_pipeline(&self, execution_arn: &str) -> Option<Option<String>> {
        self.pipelines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(execution_arn)
            .cloned()
    }
}
