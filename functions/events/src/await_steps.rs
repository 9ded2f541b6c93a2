//! await-steps: the Task on `lambda:invoke.waitForTaskToken`. It records the execution's
//! token for its outstanding steps, then looks at EMR once: a step that ended (or the
//! cluster) before the token was stored sent its event to nobody, so that look answers the
//! Task itself. Otherwise the Task waits for emr-events, or for its heartbeat, after which
//! the state machine checks by itself.

use std::sync::Arc;

use async_trait::async_trait;
use emrflow_core::emr::{EmrApi, StepSummary};
use emrflow_core::input::{check_cluster_id, check_execution_name, check_step_id};
use emrflow_core::json::read_payload;
use emrflow_core::{EmrflowError, ErrorName, Handler};
use emrflow_vocabulary::limits::MAX_ACTIVE_STEPS;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::waiter::{expires_at, now_epoch_seconds};
use crate::wake::{wake, Wake};
use crate::{TaskCallbacks, TokenStore, Waiter};

/// The Task's payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AwaitStepsRequest {
    /// `$$.Task.Token`.
    pub task_token: String,
    pub cluster_id: String,
    /// `$$.Execution.Name`: one waiter per execution and cluster.
    pub execution_name: String,
    /// The execution's PENDING / RUNNING step ids from the last check (may be empty: then
    /// only a cluster event wakes it, or the heartbeat).
    pub outstanding: Vec<String>,
    /// The Task's HeartbeatSeconds, when the state machine passes it (else the definition's
    /// hour): the record expires that long, plus a margin, after it is written.
    #[serde(default)]
    pub heartbeat_seconds: Option<u32>,
}

/// What became of the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AwaitOutcome {
    /// The token is stored; an event (or the heartbeat) ends the wait.
    Waiting,
    /// Something had already ended: the Task was answered at once.
    Answered,
    /// Something had ended, but the Task had already been answered (by an event).
    TaskAlreadyEnded,
}

/// The function's return value (Step Functions ignores it; it is for the logs and tests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AwaitStepsSummary {
    pub cluster_id: String,
    pub execution_name: String,
    pub outcome: AwaitOutcome,
    /// What the check saw, in words, when it answered.
    pub reason: Option<String>,
}

/// The await-steps handler: EMR to check, the token store, the callbacks.
#[derive(Clone)]
pub struct AwaitSteps {
    emr: Arc<dyn EmrApi>,
    store: Arc<dyn TokenStore>,
    callbacks: Arc<dyn TaskCallbacks>,
}

#[async_trait]
impl Handler for AwaitSteps {
    const NAME: &'static str = "await-steps";
    const PAYLOAD: &'static str = "await-steps payload";
    /// The raw payload, checked key by key by the handler itself.
    type Request = Value;
    type Response = AwaitStepsSummary;

    async fn handle(&self, payload: Value) -> Result<AwaitStepsSummary, EmrflowError> {
        let request: AwaitStepsRequest = read_payload(Self::PAYLOAD, payload)?;
        self.await_steps(request).await
    }
}

impl AwaitSteps {
    pub fn new(
        emr: Arc<dyn EmrApi>,
        store: Arc<dyn TokenStore>,
        callbacks: Arc<dyn TaskCallbacks>,
    ) -> Self {
        AwaitSteps {
            emr,
            store,
            callbacks,
        }
    }

    /// Records the waiter, THEN checks: in this order an ended step is seen either by the
    /// check or by the event handler, whose query finds the record.
    pub async fn await_steps(
        &self,
        request: AwaitStepsRequest,
    ) -> Result<AwaitStepsSummary, EmrflowError> {
        check(&request)?;
        let waiter = Waiter {
            waits_on: request.cluster_id.clone(),
            waiter: request.execution_name.clone(),
            task_token: request.task_token.clone(),
            step_ids: request.outstanding.clone(),
            expires_at: expires_at(now_epoch_seconds(), request.heartbeat_seconds),
        };
        self.store.put(&waiter).await?;
        let summary = |outcome, reason| AwaitStepsSummary {
            cluster_id: request.cluster_id.clone(),
            execution_name: request.execution_name.clone(),
            outcome,
            reason,
        };
        let Some(reason) = self.ended(&request).await? else {
            tracing::info!(cluster_id = %request.cluster_id, execution = %request.execution_name, outstanding = request.outstanding.len(), "waiting for EMR's events");
            return Ok(summary(AwaitOutcome::Waiting, None));
        };
        tracing::info!(cluster_id = %request.cluster_id, execution = %request.execution_name, %reason, "something already ended: answering at once");
        let output = json!({"WokenBy": "check", "Reason": reason});
        let outcome = match wake(&*self.store, &*self.callbacks, &waiter, output).await? {
            Wake::Woken => AwaitOutcome::Answered,
            Wake::AlreadyEnded => AwaitOutcome::TaskAlreadyEnded,
        };
        Ok(summary(outcome, Some(reason)))
    }

    /// What already ended, in words — None while every outstanding step is PENDING or
    /// RUNNING on a live cluster. ListSteps first: an ended step makes DescribeCluster
    /// unnecessary (EMR's API quota is what this design saves). With no outstanding step
    /// (the execution waits for a retry or a timeout due after the heartbeat) only the
    /// cluster can end the wait. A cluster or step EMR does not know is an answer too:
    /// check-steps then says what is wrong, with the contract's name.
    async fn ended(&self, request: &AwaitStepsRequest) -> Result<Option<String>, EmrflowError> {
        let cluster_id = &request.cluster_id;
        if !request.outstanding.is_empty() {
            let listed = match self.emr.list_steps(cluster_id, &request.outstanding).await {
                Ok(listed) => listed,
                Err(error) if is_unknown(&error) => {
                    return Ok(Some(format!(
                        "the steps of cluster {cluster_id} cannot be listed: {error}"
                    )))
                }
                Err(error) => return Err(error.with_context(format!("ListSteps on {cluster_id}"))),
            };
            let ended = ended_steps(cluster_id, &request.outstanding, &listed);
            if !ended.is_empty() {
                return Ok(Some(ended.join("; ")));
            }
        }
        match self.emr.describe_cluster(cluster_id).await {
            Ok(cluster) if cluster.state.is_ending() => Ok(Some(format!(
                "cluster {cluster_id} is {}",
                cluster.state_with_reason()
            ))),
            Ok(_) => Ok(None),
            Err(error) if is_unknown(&error) => Ok(Some(format!(
                "cluster {cluster_id} cannot be described: {error}"
            ))),
            Err(error) => Err(error.with_context(format!("DescribeCluster {cluster_id}"))),
        }
    }
}

/// EMR rejected the id: the cluster (or a step) does not exist.
fn is_unknown(error: &EmrflowError) -> bool {
    matches!(
        error.name(),
        ErrorName::AwsRequestRejected | ErrorName::ClusterNotFound
    )
}

/// "step s-1 (load) is COMPLETED" for each outstanding step that ended or is missing.
fn ended_steps(cluster_id: &str, outstanding: &[String], listed: &[StepSummary]) -> Vec<String> {
    outstanding
        .iter()
        .filter_map(|id| match listed.iter().find(|step| &step.id == id) {
            None => Some(format!("step {id} is not on cluster {cluster_id}")),
            Some(step) if step.state.is_terminal() => {
                Some(format!("step {id} ({}) is {}", step.name, step.state))
            }
            Some(_) => None,
        })
        .collect()
}

fn check(request: &AwaitStepsRequest) -> Result<(), EmrflowError> {
    check_task_token(&request.task_token, "TaskToken")?;
    check_cluster_id(&request.cluster_id, "ClusterId")?;
    check_execution_name(&request.execution_name)?;
    if request.outstanding.len() > MAX_ACTIVE_STEPS {
        return Err(EmrflowError::invalid_input(format!(
            "key 'Outstanding': {} step ids, but a cluster has at most {MAX_ACTIVE_STEPS} active steps",
            request.outstanding.len()
        )));
    }
    for (index, id) in request.outstanding.iter().enumerate() {
        check_step_id(id, &format!("Outstanding[{index}]"))?;
    }
    if request.heartbeat_seconds == Some(0) {
        return Err(EmrflowError::invalid_input(
            "key 'HeartbeatSeconds': must be at least 1",
        ));
    }
    Ok(())
}

/// Step Functions' limit on a task token (SendTaskSuccess: 1 to 2048 characters).
const MAX_TASK_TOKEN_CHARS: usize = 2048;

pub(crate) fn check_task_token(token: &str, key: &str) -> Result<(), EmrflowError> {
    let length = token.chars().count();
    if (1..=MAX_TASK_TOKEN_CHARS).contains(&length) {
        Ok(())
    } else {
        Err(EmrflowError::invalid_input(format!(
            "key '{key}': a task token has 1 to {MAX_TASK_TOKEN_CHARS} characters, this one {length}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_tokens_respect_step_functions_limits() {
        // GIVEN an empty, a normal and a too long token WHEN checked THEN only the normal passes
        assert!(check_task_token("", "TaskToken").is_err());
        assert!(check_task_token("AQCEAAAAKgAAAAMAAAAA", "TaskToken").is_ok());
        let long = "x".repeat(MAX_TASK_TOKEN_CHARS + 1);
        assert!(check_task_token(&long, "TaskToken").is_err());
    }
}
