//! await-data: the Task `Wait_For_Input_Data_Events` on `lambda:invoke.waitForTaskToken`,
//! the data wait's twin of await-steps. It records the execution's token once per WaitFor
//! object (the object's `s3://` location as the waiter's key), then looks at the objects
//! once: one created before the token was stored sent its event to nobody, so if all are
//! there now the look answers the Task itself. Otherwise S3's Object Created event, through
//! emr-events, wakes it — or its heartbeat, after which Check_Start_Conditions looks.

use std::sync::Arc;

use async_trait::async_trait;
use emrflow_core::deployment::Deployment;
use emrflow_core::input::{check_execution_name, derive, ExecutionRef};
use emrflow_core::json::read_payload;
use emrflow_core::objects::{missing_objects, ObjectStore};
use emrflow_core::{EmrflowError, Handler};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::await_steps::{check_task_token, AwaitOutcome};
use crate::waiter::{expires_at, now_epoch_seconds};
use crate::wake::{wake, Wake};
use crate::{TaskCallbacks, TokenStore, Waiter};

/// The Task's payload.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AwaitDataRequest {
    /// `$$.Task.Token`.
    pub task_token: String,
    /// The execution, from which the WaitFor objects are re-derived (never carried).
    pub execution: ExecutionRef,
    /// The Task's HeartbeatSeconds: the records expire that long, plus a margin, after.
    #[serde(default)]
    pub heartbeat_seconds: Option<u32>,
}

/// The function's return value (Step Functions ignores it; it is for the logs and tests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AwaitDataSummary {
    pub execution_name: String,
    pub outcome: AwaitOutcome,
    /// The WaitFor objects still missing at the look.
    pub missing: Vec<String>,
}

/// The await-data handler: the objects to look at, the token store, the callbacks, and the
/// deployment (to re-derive the pipeline).
#[derive(Clone)]
pub struct AwaitData {
    objects: Arc<dyn ObjectStore>,
    store: Arc<dyn TokenStore>,
    callbacks: Arc<dyn TaskCallbacks>,
    deployment: Arc<Deployment>,
}

#[async_trait]
impl Handler for AwaitData {
    const NAME: &'static str = "await-data";
    const PAYLOAD: &'static str = "await-data payload";
    /// The raw payload, checked key by key by the handler itself.
    type Request = Value;
    type Response = AwaitDataSummary;

    async fn handle(&self, payload: Value) -> Result<AwaitDataSummary, EmrflowError> {
        let request: AwaitDataRequest = read_payload(Self::PAYLOAD, payload)?;
        self.await_data(request).await
    }
}

impl AwaitData {
    pub fn new(
        objects: Arc<dyn ObjectStore>,
        store: Arc<dyn TokenStore>,
        callbacks: Arc<dyn TaskCallbacks>,
        deployment: Arc<Deployment>,
    ) -> Self {
        AwaitData {
            objects,
            store,
            callbacks,
            deployment,
        }
    }

    /// Records a waiter per missing object, THEN looks at them again: in this order an object
    /// created meanwhile is seen either by the look or by emr-events, whose query finds the
    /// record.
    pub async fn await_data(
        &self,
        request: AwaitDataRequest,
    ) -> Result<AwaitDataSummary, EmrflowError> {
        check_task_token(&request.task_token, "TaskToken")?;
        let name = request.execution.name.clone();
        check_execution_name(&name)?;
        if request.heartbeat_seconds == Some(0) {
            return Err(EmrflowError::invalid_input(
                "key 'HeartbeatSeconds': must be at least 1",
            ));
        }
        let normalized = derive(&request.execution, &self.deployment)?;
        let objects = normalized.pipeline.waits_for_objects();
        let Some(any_object) = objects.first() else {
            return Err(EmrflowError::invalid_input(format!(
                "pipeline '{}' has no WaitFor objects: nothing to wait for",
                normalized.pipeline.name
            )));
        };
        // Only the objects missing now get a waiter: one already there sends no event.
        let missing_before = missing_objects(self.objects.as_ref(), objects).await?;
        let expires = expires_at(now_epoch_seconds(), request.heartbeat_seconds);
        let waiter_on = |object: &String| Waiter {
            waits_on: object.clone(),
            waiter: name.clone(),
            task_token: request.task_token.clone(),
            step_ids: Vec::new(),
            expires_at: expires,
        };
        for object in &missing_before {
            self.store.put(&waiter_on(object)).await?;
        }
        let missing = missing_objects(self.objects.as_ref(), &missing_before).await?;
        let summary = |outcome| AwaitDataSummary {
            execution_name: name.clone(),
            outcome,
            missing: missing.clone(),
        };
        if !missing.is_empty() {
            tracing::info!(execution = %name, missing = ?missing, "waiting for S3's events");
            return Ok(summary(AwaitOutcome::Waiting));
        }
        let first = waiter_on(missing_before.first().unwrap_or(any_object));
        tracing::info!(execution = %name, "every WaitFor object is there: answering at once");
        let output = json!({"WokenBy": "check", "Reason": "every WaitFor object exists"});
        let outcome = match wake(&*self.store, &*self.callbacks, &first, output).await? {
            Wake::Woken => AwaitOutcome::Answered,
            Wake::AlreadyEnded => AwaitOutcome::TaskAlreadyEnded,
        };
        Ok(summary(outcome))
    }
}
