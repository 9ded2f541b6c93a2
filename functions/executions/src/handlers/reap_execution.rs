//! reap-execution: the target of the EventBridge rule on "Step Functions Execution Status
//! Change" events of this state machine with status ABORTED, TIMED_OUT or FAILED. It reads
//! the execution (DescribeExecution, GetExecutionHistory) through the [`Executions`] port and
//! runs the reaper ([`crate::reap`]) against EMR.
//!
//! Step Functions does not stop a Lambda function that is running when an execution is
//! stopped: ensure-cluster may still create the cluster, add-steps still add steps, a
//! protection change still land, after the reaper has looked. So when the history shows a
//! task in flight and the stop is recent, the reaper looks a second time once that function
//! can no longer be running (its Lambda timeout, plus a margin), inside this invocation.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::Utc;
use emrflow_core::emr::EmrApi;
use emrflow_core::{EmrflowError, Handler};
use serde_json::Value;

use crate::port::Executions;
use crate::reaper::{reap, ReapReport};
use crate::record::ExecutionRecord;
use crate::sfn::SfnExecutions;

/// The longest a pipeline function called before the stop can still act: the functions'
/// Lambda timeout (Globals, 100 s in infra/template.yaml, above the EMR client's 80 s) and 5 s
/// for the clocks of Step Functions, Lambda and EMR. The reaper's own timeout (120 s) leaves
/// a few seconds for the second look; should it run out, Lambda's retry of the event comes a
/// minute later, after the grace, and looks once — the same result.
pub const IN_FLIGHT_GRACE: Duration = Duration::from_secs(105);

/// The executions of the state machine an event names.
pub type ExecutionsOf = Arc<dyn Fn(&str) -> Arc<dyn Executions> + Send + Sync>;

/// reap-execution: the executions of the state machine an event names, and EMR.
pub struct ReapExecution {
    executions_of: ExecutionsOf,
    emr: Arc<dyn EmrApi>,
    in_flight_grace: Duration,
}

#[async_trait]
impl Handler for ReapExecution {
    const NAME: &'static str = "reap-execution";
    const PAYLOAD: &'static str = "EventBridge event";
    type Request = EventBridgeEvent;
    type Response = ReapReport;

    /// One event: the execution it names is read afresh (the event may be late or repeated)
    /// and reaped; a second look follows when a task was in flight at a recent stop.
    async fn handle(&self, event: EventBridgeEvent) -> Result<ReapReport, EmrflowError> {
        let (execution_arn, state_machine_arn) = execution_of(&event.detail)?;
        let executions = (self.executions_of)(&state_machine_arn);
        let record = executions.record(&execution_arn).await?;
        let first = reap(self.emr.as_ref(), &record).await?;
        tracing::info!(execution = %execution_arn, outcome = %first.outcome, actions = ?first.actions, "reaped");
        let Some(wait) = self.second_look_in(&first, &record) else {
            return Ok(first);
        };
        tracing::info!(task = ?first.task_in_flight, seconds = wait.as_secs(), "a task was in flight at the stop: looking again once it has ended");
        tokio::time::sleep(wait).await;
        let record = executions.record(&execution_arn).await?;
        let second = reap(self.emr.as_ref(), &record).await?.after(first);
        tracing::info!(execution = %execution_arn, outcome = %second.outcome, "reaped again");
        Ok(second)
    }
}

impl ReapExecution {
    pub fn new(executions_of: ExecutionsOf, emr: Arc<dyn EmrApi>) -> Self {
        ReapExecution {
            executions_of,
            emr,
            in_flight_grace: IN_FLIGHT_GRACE,
        }
    }

    /// On Step Functions: `client`, named `endpoint` (an endpoint URL) in messages when set.
    pub fn on_step_functions(
        client: aws_sdk_sfn::Client,
        endpoint: Option<String>,
        emr: Arc<dyn EmrApi>,
    ) -> Self {
        let executions_of: ExecutionsOf =
            Arc::new(move |state_machine_arn: &str| -> Arc<dyn Executions> {
                Arc::new(match &endpoint {
                    Some(url) => {
                        SfnExecutions::with_endpoint_url(client.clone(), state_machine_arn, url)
                    }
                    None => SfnExecutions::new(client.clone(), state_machine_arn),
                })
            });
        Self::new(executions_of, emr)
    }

    /// How long after the stop a task in flight may still act (tests shorten it).
    pub fn with_in_flight_grace(mut self, grace: Duration) -> Self {
        self.in_flight_grace = grace;
        self
    }

    /// How long to wait before a second look, when the first saw a task in flight and its
    /// function may still be running.
    fn second_look_in(&self, report: &ReapReport, record: &ExecutionRecord) -> Option<Duration> {
        report.task_in_flight.as_ref()?;
        let stopped = record.execution.stop_date?;
        let since_stop = (Utc::now() - stopped).to_std().unwrap_or_default();
        self.in_flight_grace.checked_sub(since_stop)
    }
}

/// The execution and state machine an EventBridge "Step Functions Execution Status Change"
/// event names.
fn execution_of(detail: &Value) -> Result<(String, String), EmrflowError> {
    let field = |key: &str| {
        detail
            .get(key)
            .and_then(Value::as_str)
            .filter(|text| text.starts_with("arn:"))
            .map(str::to_string)
            .ok_or_else(|| {
                EmrflowError::invalid_input(format!(
                    "the event's detail has no {key}: reap-execution expects EventBridge's \"Step Functions Execution Status Change\" events"
                ))
            })
    };
    Ok((field("executionArn")?, field("stateMachineArn")?))
}
