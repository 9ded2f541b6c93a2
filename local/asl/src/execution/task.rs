//! Running one attempt of a Task state: its payload, the call by the resource's
//! integration under TimeoutSeconds (a callback task then waits, see `callback.rs`), and the
//! Task* history events.

use std::time::Duration;

use serde_json::Value;

use super::{guard_timeout, lambda, sized_text, Run};
use crate::callback::{Limits, TimeoutKind};
use crate::definition::{Integration, State, TaskState};
use crate::error::{names, runtime, StateError, TaskError};
use crate::history::*;
use crate::path::DataPath;

/// How a task attempt ended without a result.
pub(super) enum Ending {
    /// The resource or a callback reported an error: TaskFailed.
    Failed(StateError),
    /// TimeoutSeconds or HeartbeatSeconds passed: TaskTimedOut.
    TimedOut(StateError),
    /// The execution's own TimeoutSeconds passed: the task records nothing.
    Cut(StateError),
}

/// The resource a task event names: (resourceType, resource).
pub(super) struct Resource {
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
        let resolved;
        let task = match &task.heartbeat_seconds_path {
            Some(path) => {
                resolved = TaskState {
                    heartbeat_seconds: Some(heartbeat_from(path, raw_input, context)?),
                    ..task.clone()
                };
                &resolved
            }
            None => task,
        };
        // A callback task's token exists before its Parameters are rendered: they pass it
        // on from `$$.Task.Token`. Each attempt gets a fresh one.
        let lease = (task.integration == Integration::LambdaCallback).then(|| {
            let limits = Limits {
                timeout: task.timeout_seconds.map(Duration::from_secs),
                heartbeat: task.heartbeat_seconds.map(Duration::from_secs),
            };
            (self.options.task_tokens).open(self.options.clock.clone(), limits)
        });
        let mut context = context.clone();
        if let Some(lease) = &lease {
            context["Task"] = serde_json::json!({"Token": lease.token()});
        }
        let effective = state.input_path.apply(raw_input, &context, "InputPath")?;
        let payload = Self::render(&task.parameters, effective, &context)?;
        let described = self.schedule(state, task, &payload, last_event)?;

        let outcome = match &lease {
            Some(lease) => {
                self.run_callback(state, task, payload, lease, &described, last_event)
                    .await
            }
            None => self.call_request_response(state, task, payload).await,
        };
        let result = outcome.and_then(|result| {
            sized_text(&result, &format!("The result of state '{}'", state.name))
                .map(|text| (result, text))
                .map_err(Ending::Failed)
        });
        let (result, result_text) = match result {
            Ok(done) => done,
            Err(ending) => return Err(self.task_ended(ending, &described, last_event)),
        };
        let mut event = HistoryEvent::new("TaskSucceeded", self.now());
        event.task_succeeded_event_details = Some(TaskSucceededDetails::new(
            described.resource_type,
            described.resource,
            result_text,
        ));
        *last_event = self.record(event, *last_event);
        Self::finish(state, &task.handling, raw_input, result, &context)
    }

    /// Records TaskScheduled (with the payload and limits) and TaskStarted.
    fn schedule(
        &self,
        state: &State,
        task: &TaskState,
        payload: &Value,
        last_event: &mut u64,
    ) -> Result<Resource, StateError> {
        let payload_text = sized_text(payload, &format!("The payload of state '{}'", state.name))?;
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
        Ok(Resource {
            resource_type,
            resource,
        })
    }

    /// A task whose result is its resource's answer. HeartbeatSeconds is recorded but not
    /// enforced here: nothing can send heartbeats for a request-response call.
    async fn call_request_response(
        &self,
        state: &State,
        task: &TaskState,
        payload: Value,
    ) -> Result<Value, Ending> {
        let call = self.invoke(task, payload);
        match guard_timeout(self.options.clock.as_ref(), task.timeout_seconds, call).await {
            None => Err(Ending::TimedOut(timeout_error(
                state,
                task,
                TimeoutKind::Task,
            ))),
            Some(Err(error)) => Err(Ending::Failed(error)),
            Some(Ok(result)) => Ok(result),
        }
    }

    /// Calls the task's resource through the invoker, shaped by its integration.
    pub(super) async fn invoke(
        &self,
        task: &TaskState,
        payload: Value,
    ) -> Result<Value, StateError> {
        match task.integration {
            Integration::Direct => self.options.invoker.invoke(&task.resource, payload).await,
            Integration::LambdaInvoke | Integration::LambdaCallback => {
                let (function, function_payload) = lambda::request(&payload)?;
                let result = self
                    .options
                    .invoker
                    .invoke(&function, function_payload)
                    .await?;
                Ok(lambda::response(result))
            }
        }
    }

    /// Records the event of a task that ended without a result (`TaskFailed` or
    /// `TaskTimedOut`, with the error and cause) and hands the error back.
    fn task_ended(&self, ending: Ending, described: &Resource, last_event: &mut u64) -> StateError {
        let details = |error: &StateError| TaskFailedDetails {
            resource_type: described.resource_type.clone(),
            resource: described.resource.clone(),
            error: error.error.clone(),
            cause: error.cause.clone(),
        };
        let (event, error) = match ending {
            Ending::Failed(error) => {
                let mut event = HistoryEvent::new("TaskFailed", self.now());
                event.task_failed_event_details = Some(details(&error));
                (event, error)
            }
            Ending::TimedOut(error) => {
                let mut event = HistoryEvent::new("TaskTimedOut", self.now());
                event.task_timed_out_event_details = Some(details(&error));
                (event, error)
            }
            Ending::Cut(error) => return error,
        };
        *last_event = self.record(event, *last_event);
        error
    }

    /// Records TaskSubmitted: a callback task's resource answered with `response`, and the
    /// task now waits.
    pub(super) fn submitted(
        &self,
        described: &Resource,
        response: &Value,
        last_event: &mut u64,
    ) -> Result<(), StateError> {
        let text = sized_text(response, "The response of the task's resource")?;
        let mut event = HistoryEvent::new("TaskSubmitted", self.now());
        event.task_submitted_event_details = Some(TaskSubmittedDetails::new(
            described.resource_type.clone(),
            described.resource.clone(),
            text,
        ));
        *last_event = self.record(event, *last_event);
        Ok(())
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

/// HeartbeatSecondsPath's value in the state input: a positive integer, else States.Runtime.
fn heartbeat_from(path: &DataPath, input: &Value, context: &Value) -> Result<u64, StateError> {
    let value = path.select_or(input, context, names::RUNTIME, "HeartbeatSecondsPath")?;
    value
        .as_u64()
        .filter(|seconds| *seconds > 0)
        .ok_or_else(|| {
            runtime(format!(
                "HeartbeatSecondsPath '{}' must select a positive integer, got {value}",
                path.text()
            ))
        })
}

/// The error of a task that outlived one of its limits; the cause names the state and the
/// limit, so a reader of the failed execution knows which wait was too short.
pub(super) fn timeout_error(state: &State, task: &TaskState, kind: TimeoutKind) -> StateError {
    match kind {
        TimeoutKind::Task => TaskError::new(
            names::TIMEOUT,
            format!(
                "The state {} did not finish within its TimeoutSeconds of {} seconds",
                state.name,
                task.timeout_seconds.unwrap_or_default()
            ),
        ),
        TimeoutKind::Heartbeat => TaskError::new(
            names::HEARTBEAT_TIMEOUT,
            format!(
                "The state {} received no heartbeat or callback within its HeartbeatSeconds of {} seconds",
                state.name,
                task.heartbeat_seconds.unwrap_or_default()
            ),
        ),
    }
}
