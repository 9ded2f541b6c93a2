//! emr-events: the target of the EventBridge rules on EMR's "EMR Step Status Change" and "EMR
//! Cluster State Change", and on S3's "Object Created" (the data waits of WaitFor). It reads
//! only the structured `detail` fields (never the `message` text, which is for people and may
//! change), finds the waiters of the cluster (or of the object) and wakes those the event
//! concerns. EMR's events are best effort and unordered and EventBridge delivers at
//! least once, so a missing waiter, a duplicate, a late event or a task that already ended
//! is normal: logged at info, never an error.

use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use emrflow_core::emr::{ClusterState, StepState};
use emrflow_core::input::{check_cluster_id, check_step_id};
use emrflow_core::json::read_payload;
use emrflow_core::{EmrflowError, Handler};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::wake::{wake, Wake};
use crate::{TaskCallbacks, TokenStore, Waiter};

pub const EMR_SOURCE: &str = "aws.emr";
pub const STEP_STATUS_CHANGE: &str = "EMR Step Status Change";
pub const CLUSTER_STATE_CHANGE: &str = "EMR Cluster State Change";
pub const S3_SOURCE: &str = "aws.s3";
pub const OBJECT_CREATED: &str = "Object Created";

/// The fields of S3's "Object Created" `detail` emrflow reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ObjectCreatedDetail {
    pub bucket: NamedBucket,
    pub object: CreatedObject,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NamedBucket {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedObject {
    pub key: String,
}

/// The fields of an EMR event's `detail` emrflow reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmrEventDetail {
    pub cluster_id: String,
    /// Step events only.
    #[serde(default)]
    pub step_id: Option<String>,
    pub state: String,
    /// The step's or the cluster's name (for the logs).
    #[serde(default)]
    pub name: Option<String>,
}

/// Whom an event concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Concerns {
    /// A step ended: the waiters of that step.
    Step(String),
    /// The cluster is going away: every waiter of the cluster.
    Cluster,
    /// Nothing ended (the reason, in words).
    Nobody(String),
}

impl Concerns {
    /// Another execution's step on the same cluster is none of this waiter's business.
    fn wakes(&self, waiter: &Waiter) -> bool {
        match self {
            Concerns::Step(step_id) => waiter.waits_for_step(step_id),
            Concerns::Cluster => true,
            Concerns::Nobody(_) => false,
        }
    }
}

/// The function's return value (for the logs and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EmrEventsSummary {
    /// The executions woken.
    pub woken: Vec<String>,
    /// The executions whose task had already ended (their records are deleted).
    pub already_ended: Vec<String>,
    /// Why the event was ignored, in words.
    pub ignored: Option<String>,
}

/// The emr-events handler: the token store and the callbacks.
#[derive(Clone)]
pub struct EmrEvents {
    store: Arc<dyn TokenStore>,
    callbacks: Arc<dyn TaskCallbacks>,
}

impl EmrEvents {
    pub fn new(store: Arc<dyn TokenStore>, callbacks: Arc<dyn TaskCallbacks>) -> Self {
        EmrEvents { store, callbacks }
    }
}

#[async_trait]
impl Handler for EmrEvents {
    const NAME: &'static str = "emr-events";
    const PAYLOAD: &'static str = "EventBridge event";
    /// The event as delivered, read by the handler itself (its detail only once it is
    /// known to be EMR's).
    type Request = Value;
    type Response = EmrEventsSummary;

    async fn handle(&self, event: Value) -> Result<EmrEventsSummary, EmrflowError> {
        let event: EventBridgeEvent = read_payload(Self::PAYLOAD, event)?;
        if event.source == S3_SOURCE && event.detail_type == OBJECT_CREATED {
            return self.object_created(event.detail).await;
        }
        if event.source != EMR_SOURCE
            || ![STEP_STATUS_CHANGE, CLUSTER_STATE_CHANGE].contains(&event.detail_type.as_str())
        {
            return Ok(ignored(format!(
                "not an EMR step or cluster state change, nor an S3 Object Created ({} from {})",
                event.detail_type, event.source
            )));
        }
        let detail: EmrEventDetail = read_payload("EventBridge event detail", event.detail)?;
        check_cluster_id(&detail.cluster_id, "detail.clusterId")?;
        let concerns = concerns(&event.detail_type, &detail)?;
        if let Concerns::Nobody(reason) = concerns {
            return Ok(ignored(reason));
        }
        let cluster_id = &detail.cluster_id;
        let concerned: Vec<Waiter> = self
            .store
            .waiters_of(cluster_id)
            .await?
            .into_iter()
            .filter(|waiter| concerns.wakes(waiter))
            .collect();
        if concerned.is_empty() {
            tracing::info!(%cluster_id, step_id = detail.step_id.as_deref(), state = %detail.state, "no execution waits for this event");
        }
        let output = json!({
            "WokenBy": "event",
            "DetailType": event.detail_type,
            "ClusterId": cluster_id,
            "StepId": detail.step_id,
            "State": detail.state,
        });
        self.wake_all(&concerned, output).await
    }
}

impl EmrEvents {
    /// S3 created an object: every execution waiting for it is woken (Check_Start_Conditions
    /// then looks at all its objects). EventBridge gives the key as written; a key S3 would
    /// URL-encode elsewhere is looked up in both forms.
    async fn object_created(&self, detail: Value) -> Result<EmrEventsSummary, EmrflowError> {
        let detail: ObjectCreatedDetail = read_payload("EventBridge event detail", detail)?;
        let bucket = &detail.bucket.name;
        let mut keys = vec![detail.object.key.clone()];
        let decoded = url_decoded(&detail.object.key);
        if !keys.contains(&decoded) {
            keys.push(decoded);
        }
        let mut concerned = Vec::new();
        for key in &keys {
            concerned.extend(
                self.store
                    .waiters_of(&format!("s3://{bucket}/{key}"))
                    .await?,
            );
        }
        let object = format!("s3://{bucket}/{}", detail.object.key);
        if concerned.is_empty() {
            tracing::info!(%object, "no execution waits for this object");
        }
        let output = json!({"WokenBy": "event", "DetailType": OBJECT_CREATED, "Object": object});
        self.wake_all(&concerned, output).await
    }

    /// Wakes every concerned waiter; one failure does not keep the others waiting, and is
    /// returned afterwards so that the event is retried.
    async fn wake_all(
        &self,
        waiters: &[Waiter],
        output: Value,
    ) -> Result<EmrEventsSummary, EmrflowError> {
        let mut summary = EmrEventsSummary::default();
        let mut failure = None;
        for waiter in waiters {
            match wake(&*self.store, &*self.callbacks, waiter, output.clone()).await {
                Ok(Wake::Woken) => summary.woken.push(waiter.waiter.clone()),
                Ok(Wake::AlreadyEnded) => summary.already_ended.push(waiter.waiter.clone()),
                Err(error) => {
                    tracing::error!(error_type = error.name().as_str(), message = %error, "an execution could not be woken");
                    failure.get_or_insert(error);
                }
            }
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(summary),
        }
    }
}

fn ignored(reason: String) -> EmrEventsSummary {
    tracing::info!(%reason, "event ignored");
    EmrEventsSummary {
        ignored: Some(reason),
        ..EmrEventsSummary::default()
    }
}

/// Whom the event concerns: nobody while a step is still PENDING or RUNNING, a cluster still
/// alive, or for a state this version does not know. A step event without its step id is
/// malformed (InvalidInput).
fn concerns(detail_type: &str, detail: &EmrEventDetail) -> Result<Concerns, EmrflowError> {
    let nobody = |what: String| Concerns::Nobody(format!("{what}: nothing ended"));
    if detail_type == STEP_STATUS_CHANGE {
        let step_id = detail.step_id.clone().ok_or_else(|| {
            EmrflowError::invalid_input("key detail.stepId: missing in an EMR Step Status Change")
        })?;
        check_step_id(&step_id, "detail.stepId")?;
        return Ok(match StepState::parse(&detail.state) {
            Ok(state) if state.is_terminal() => Concerns::Step(step_id),
            Ok(state) => nobody(format!("step {step_id} is {state}")),
            Err(unknown) => nobody(format!("step {step_id}: {unknown}")),
        });
    }
    let cluster_id = &detail.cluster_id;
    Ok(match ClusterState::parse(&detail.state) {
        Ok(state) if state.is_ending() => Concerns::Cluster,
        Ok(state) => nobody(format!("cluster {cluster_id} is {state}")),
        Err(unknown) => nobody(format!("cluster {cluster_id}: {unknown}")),
    })
}

/// `key` with `%XX` escapes and `+` (a space) decoded, as S3's other notifications write keys;
/// text that is not a valid escape is kept as it is.
fn url_decoded(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = || std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok();
        match bytes[index] {
            b'%' => match hex().and_then(|text| u8::from_str_radix(text, 16).ok()) {
                Some(byte) => {
                    decoded.push(byte);
                    index += 3;
                    continue;
                }
                None => decoded.push(b'%'),
            },
            b'+' => decoded.push(b' '),
            byte => decoded.push(byte),
        }
        index += 1;
    }
    String::from_utf8(decoded).unwrap_or_else(|_| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_plain_and_url_decoded() {
        // GIVEN keys as S3 may write them WHEN decoded THEN escapes and '+' are undone
        assert_eq!(
            url_decoded("raw/orders/2026-11-21/_SUCCESS"),
            "raw/orders/2026-11-21/_SUCCESS"
        );
        assert_eq!(url_decoded("raw/my+file%3D1.csv"), "raw/my file=1.csv");
        assert_eq!(url_decoded("raw/100%"), "raw/100%");
    }
}
