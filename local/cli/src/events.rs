//! EMR's events, locally as on AWS (README, "Waking up on EMR's events"): the local EMR
//! publishes EMR's EventBridge events, the real emr-events handler code answers the waiting
//! execution's task token, and the real await-steps code runs the `Wait_For_Step_Events`
//! Task — with an in-memory token store and the interpreter's callback registry standing in
//! for DynamoDB and Step Functions.
//!
//! S3's events for the data wait (README, "When a run starts") go the same way: the real
//! await-data code runs `Wait_For_Input_Data_Events`, and emr-events wakes it on S3's
//! "Object Created". The local S3 is a folder, which sends no events of its own: while an
//! execution waits for objects, the runner looks for exactly those files every
//! [`OBJECT_LOOK_INTERVAL`] (real time) and delivers S3's event, in EventBridge's JSON, for
//! each one that has appeared — whoever wrote it (a step, a test, a person copying a file).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use emrflow_asl::{CallbackError as InterpreterError, TaskTokens};
use emrflow_core::{EmrApi, Handler, SdkEmr};
use emrflow_events::{
    AwaitData, AwaitSteps, CallbackError, EmrEvents, MemoryTokenStore, TaskCallbacks,
};
use emrflow_local_emr::RunningLocalEmr;
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::{local_emr_client, LocalHandlers};

/// How often the local S3 is looked at for the objects executions wait for (real time).
pub const OBJECT_LOOK_INTERVAL: Duration = Duration::from_millis(100);

/// SendTaskSuccess on the interpreter's registry, with Step Functions' error names.
struct InterpreterCallbacks(TaskTokens);

#[async_trait]
impl TaskCallbacks for InterpreterCallbacks {
    async fn send_task_success(
        &self,
        task_token: &str,
        output: Value,
    ) -> Result<(), CallbackError> {
        self.0
            .send_task_success(task_token, output)
            .map_err(|error| {
                let text = error.to_string();
                match error {
                    InterpreterError::TaskDoesNotExist => CallbackError::TaskDoesNotExist(text),
                    InterpreterError::TaskTimedOut => CallbackError::TaskTimedOut(text),
                    InterpreterError::InvalidToken => CallbackError::InvalidToken(text),
                }
            })
    }
}

/// The events of a local EMR running in this process, and a client to look at it.
pub struct LocalEvents {
    emr: Arc<dyn EmrApi>,
    receiver: UnboundedReceiver<Value>,
}

impl LocalEvents {
    /// Subscribes now, so no event of the coming execution is missed.
    pub fn of(running: &RunningLocalEmr) -> LocalEvents {
        let url = running.endpoint_url();
        LocalEvents {
            emr: Arc::new(SdkEmr::with_endpoint_url(local_emr_client(&url), &url)),
            receiver: running.emr.subscribe_events(),
        }
    }
}

/// What one execution needs to wait on events: the await-steps handler for its Task, and the
/// task that delivers every event to emr-events until the execution ends.
pub(crate) struct EventWiring {
    pub await_steps: AwaitSteps,
    pub delivery: tokio::task::JoinHandle<()>,
}

pub(crate) fn wire(events: LocalEvents, tokens: &TaskTokens) -> EventWiring {
    let store = Arc::new(MemoryTokenStore::new());
    let callbacks: Arc<dyn TaskCallbacks> = Arc::new(InterpreterCallbacks(tokens.clone()));
    let await_steps = AwaitSteps::new(events.emr, store.clone(), callbacks.clone());
    let emr_events = EmrEvents::new(store, callbacks);
    let mut receiver = events.receiver;
    let delivery = tokio::spawn(async move {
        while let Some(event) = receiver.recv().await {
            // EventBridge delivers each event to the function; a failed delivery is retried
            // there, here it is only logged (the heartbeat is the net either way).
            if let Err(error) = emr_events.handle(event).await {
                tracing::warn!(%error, "emr-events could not handle an event");
            }
        }
    });
    EventWiring {
        await_steps,
        delivery,
    }
}

/// What one execution needs to wait for its input data: the await-data handler for its Task,
/// and the task that delivers S3's events for the awaited objects to emr-events.
pub(crate) struct DataWiring {
    pub await_data: AwaitData,
    pub delivery: tokio::task::JoinHandle<()>,
}

pub(crate) fn wire_data(handlers: &LocalHandlers, tokens: &TaskTokens) -> DataWiring {
    let store = Arc::new(MemoryTokenStore::new());
    let callbacks: Arc<dyn TaskCallbacks> = Arc::new(InterpreterCallbacks(tokens.clone()));
    let objects = handlers.objects();
    let await_data = AwaitData::new(
        Arc::new(objects.clone()),
        store.clone(),
        callbacks.clone(),
        Arc::new(handlers.deployment.clone()),
    );
    let emr_events = EmrEvents::new(store.clone(), callbacks);
    let delivery = tokio::spawn(async move {
        loop {
            tokio::time::sleep(OBJECT_LOOK_INTERVAL).await;
            let awaited = store
                .all()
                .into_iter()
                .filter(|waiter| waiter.waits_on.starts_with("s3://"));
            for waiter in awaited {
                let there = objects
                    .path_of(&waiter.waits_on)
                    .is_ok_and(|path| path.is_file());
                if !there {
                    continue;
                }
                if let Err(error) = emr_events.handle(object_created(&waiter.waits_on)).await {
                    tracing::warn!(%error, "emr-events could not handle an S3 event");
                }
            }
        }
    });
    DataWiring {
        await_data,
        delivery,
    }
}

/// S3's "Object Created" event for `uri` as EventBridge delivers it.
pub fn object_created(uri: &str) -> Value {
    let rest = uri.strip_prefix("s3://").unwrap_or(uri);
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    json!({
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": crate::definition::LOCAL_ACCOUNT,
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": crate::definition::LOCAL_REGION,
        "resources": [format!("arn:aws:s3:::{bucket}")],
        "detail": {"version": "0", "bucket": {"name": bucket}, "object": {"key": key},
                   "reason": "PutObject"}
    })
}
