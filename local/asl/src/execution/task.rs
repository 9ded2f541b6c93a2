//! Running one attempt of a Task state: its payload, the call to the invoker under
//! TimeoutSeconds, and the Task* history events.

use serde_json::Value;

use super::{guard_timeout, sized_text, Run};
use crate::definition::{State, TaskState};
use crate::error::{names, StateError, TaskError};
use crate::history::*;

/// How a task ended without a result; each has its own history event.
#[derive(Debug, Clone, Copy)]
enum Ending {
    Failed,
    TimedOut,
}

/// The resource a task event names: (resourceType, resource).
struct Resource {
    resource_type: String,
    resource: String,
}

impl Run<'_> {
    pub(super) async fn attempt_task(
        &self,
        state: &State,
        task: &TaskState,
        raw_input: &Value,
        context: &Value,
        last_event: &mut u64,
    ) -> Result<Value, StateError> {
        let effective = state.input_path.apply(raw_input, context, "InputPath")?;
        let payload = Self::render(&task.parameters, effective, context)?;
        let payload_text = sized_text(&payload, &format!("The payload of state '{}'", state.name))?;
        let (resource_type, resource, region) = self.describe_resource(&task.resource);

        let mut event = HistoryEvent::new("TaskScheduled", self.now());
        event.task_scheduled_event_details = Some(TaskScheduledDetails {
            resource_type: resource_type.clone(),
            resource: resource.clone(),
            region,
            parameters: payload_text,
            timeout_in_seconds: task.timeout_seconds,
            heartbeat_in_seconds: task.heartbeat_seconds,
        });
        *last_event = self.record(event, *last_event);
        let mut event = HistoryEvent::new("TaskStarted", self.now());
        event.task_started_event_details = Some(TaskResourceDetails {
            resource_type: resource_type.clone(),
            resource: resource.clone(),
        });
        *last_event = self.record(event, *last_event);
        let described = Resource {
            resource_type,
            resource,
        };

        // HeartbeatSeconds is recorded but not enforced: invokers send no heartbeats.
        let call = self.options.invoker.invoke(&task.resource, payload);
        let outcome = guard_timeout(self.options.clock.as_ref(), task.timeout_seconds, call).await;
        let result = match outcome {
            None => {
                let error = TaskError::new(
                    names::TIMEOUT,
                    format!(
                        "The task did not finish within TimeoutSeconds ({} s)",
                        task.timeout_seconds.unwrap_or_default()
                    ),
                );
                return Err(self.task_ended(Ending::TimedOut, &described, error, last_event));
            }
            Some(Err(error)) => {
                return Err(self.task_ended(Ending::Failed, &described, error, last_event))
            }
            Some(Ok(result)) => result,
        };
        let result_text =
            match sized_text(&result, &format!("The result of state '{}'", state.name)) {
                Ok(text) => text,
                Err(error) => {
                    return Err(self.task_ended(Ending::Failed, &described, error, last_event))
                }
            };
        let mut event = HistoryEvent::new("TaskSucceeded", self.now());
        event.task_succeeded_event_details = Some(TaskSucceededDetails::new(
            described.resource_type,
            described.resource,
            result_text,
        ));
        *last_event = self.record(event, *last_event);
        Self::finish(state, &task.handling, raw_input, result, context)
    }

    /// Records the event of a task that ended without a result (`TaskFailed` or
    /// `TaskTimedOut`, with the error and cause) and hands the error back.
    fn task_ended(
        &self,
        ending: Ending,
        described: &Resource,
        error: StateError,
        last_event: &mut u64,
    ) -> StateError {
        let details = TaskFailedDetails {
            resource_type: described.resource_type.clone(),
            resource: described.resource.clone(),
            error: error.error.clone(),
            cause: error.cause.clone(),
        };
        let event = match ending {
            Ending::Failed => {
                let mut event = HistoryEvent::new("TaskFailed", self.now());
                event.task_failed_event_details = Some(details);
                event
            }
            Ending::TimedOut => {
                let mut event = HistoryEvent::new("TaskTimedOut", self.now());
                event.task_timed_out_event_details = Some(details);
                event
            }
        };
        *last_event = self.record(event, *last_event);
        error
    }

    /// (resourceType, resource, region) for task events. A Lambda ARN is reported as
    /// resourceType "lambda" with the ARN as resource; `arn:aws:states:::svc:action`
    /// integrations as resourceType "svc", resource "action".
    fn describe_resource(&self, resource: &str) -> (String, String, String) {
        if let Some(integration) = resource.strip_prefix("arn:aws:states:::") {
            let (service, action) = integration.split_once(':').unwrap_or((integration, ""));
            return (
                service.to_string(),
                action.to_string(),
                self.options.region.clone(),
            );
        }
        let region = resource
            .split(':')
            .nth(3)
            .filter(|region| !region.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| self.options.region.clone());
        ("lambda".to_string(), resource.to_string(), region)
    }
}
