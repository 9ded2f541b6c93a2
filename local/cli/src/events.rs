//! EMR's events, locally as on AWS (README, "Waking up on EMR's events"): the local EMR
//! publishes EMR's EventBridge events, the real emr-events handler code answers the waiting
//! execution's task token, and the real await-steps code runs the `Wait_For_Step_Events`
//! Task — with an in-memory token store and the interpreter's callback registry standing in
//! for DynamoDB and Step Functions.

use std::sync::Arc;

use async_trait::async_trait;
use emrflow_asl::{CallbackError as InterpreterError, TaskTokens};
use emrflow_core::{EmrApi, Handler, SdkEmr};
use emrflow_events::{AwaitSteps, CallbackError, EmrEvents, MemoryTokenStore, TaskCallbacks};
use emrflow_local_emr::RunningLocalEmr;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::local_emr_client;

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
