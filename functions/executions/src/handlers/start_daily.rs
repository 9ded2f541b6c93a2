//! start-daily: the target of every pipeline's EventBridge Scheduler schedule.
//!
//! Each schedule sends `{"PipelineName": …, "ScheduledTime": "<aws.scheduler.scheduled-time>"}`.
//! start-daily finds that pipeline among the deployed ones, turns the scheduled time into its
//! processing date — the date in the pipeline's time zone minus its ProcessingDayOffset
//! (`emrflow_core::pipeline::ScheduleSpec::processing_date`) — and starts the emrflow state
//! machine with the execution named `<PipelineName>-<YYYY-MM-DD>`
//! (`emrflow_core::naming::daily_execution_name`), through the [`Executions`] port. Step
//! Functions keeps execution names unique per state machine, so a second delivery of the same
//! tick (Scheduler and Lambda's async retries both deliver at least once), a second tick the
//! same day (a rate), or a redeploy cannot start a second run of one pipeline for one day.

use std::sync::Arc;

use async_trait::async_trait;
use emrflow_core::input::parse_time;
use emrflow_core::naming::daily_execution_name;
use emrflow_core::{Deployment, EmrflowError, ErrorName, Handler};
use serde::{Deserialize, Serialize};

use crate::port::{execution_arn, Executions};

/// Environment variable holding the state machine to start.
pub const STATE_MACHINE_ARN_ENV: &str = "STATE_MACHINE_ARN";

/// What a pipeline's schedule sends (its target's Input).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ScheduledStart {
    pub pipeline_name: String,
    /// When the schedule fired: Scheduler's `<aws.scheduler.scheduled-time>` (RFC 3339).
    pub scheduled_time: String,
}

/// Settings read once at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartDailyConfig {
    pub state_machine_arn: String,
}

impl StartDailyConfig {
    /// `lookup` is `std::env::var` in the Lambda; tests pass a map. A missing ARN is a
    /// deployment error (InvalidInput), reported at cold start.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, EmrflowError> {
        let state_machine_arn = lookup(STATE_MACHINE_ARN_ENV)
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty())
            .ok_or_else(|| {
                EmrflowError::invalid_input(format!(
                    "start-daily is misconfigured: {STATE_MACHINE_ARN_ENV} is not set"
                ))
            })?;
        Ok(Self { state_machine_arn })
    }
}

/// The execution input, in the documented PascalCase shape. A struct (not a map) keeps the
/// key order fixed, so two deliveries send byte-identical input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DailyExecutionInput {
    pub pipeline_name: String,
    pub create_cluster: bool,
    pub terminate_cluster: bool,
    pub processing_date: String,
}

/// What the handler returns (visible in the Lambda console and in the async-invoke record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartDailyOutput {
    pub pipeline_name: String,
    pub execution_name: String,
    pub execution_arn: String,
    pub processing_date: String,
    /// True when this pipeline's execution for this day had been started before.
    pub already_started: bool,
}

/// start-daily: the executions of its state machine, the deployed pipelines, its settings.
pub struct StartDaily {
    executions: Arc<dyn Executions>,
    deployment: Arc<Deployment>,
    config: StartDailyConfig,
}

#[async_trait]
impl Handler for StartDaily {
    const NAME: &'static str = "start-daily";
    const PAYLOAD: &'static str = "scheduled start";
    type Request = ScheduledStart;
    type Response = StartDailyOutput;

    async fn handle(&self, start: ScheduledStart) -> Result<StartDailyOutput, EmrflowError> {
        self.start(&start).await
    }
}

impl StartDaily {
    pub fn new(
        executions: Arc<dyn Executions>,
        deployment: Arc<Deployment>,
        config: StartDailyConfig,
    ) -> Self {
        Self {
            executions,
            deployment,
            config,
        }
    }

    /// Starts the scheduled pipeline's execution for its processing day, once.
    pub async fn start(&self, start: &ScheduledStart) -> Result<StartDailyOutput, EmrflowError> {
        let pipeline = self
            .deployment
            .pipeline(Some(&start.pipeline_name))
            .map_err(|error| error.with_context("scheduled start"))?;
        let schedule = pipeline.schedule.as_ref().ok_or_else(|| {
            EmrflowError::invalid_input(format!(
                "scheduled start: key 'PipelineName': pipeline '{}' has no Schedule in its file; a schedule left from an earlier deploy? Deploy again",
                pipeline.name
            ))
        })?;
        let scheduled = parse_time("ScheduledTime", &start.scheduled_time)
            .map_err(|error| error.with_context("scheduled start"))?;
        let processing_date = schedule.processing_date(scheduled)?;
        let name = daily_execution_name(&pipeline.name, processing_date);
        let date_text = processing_date.format("%Y-%m-%d").to_string();
        let input = DailyExecutionInput {
            pipeline_name: pipeline.name.clone(),
            create_cluster: true,
            terminate_cluster: true,
            processing_date: date_text.clone(),
        };
        let input_json = serde_json::to_string(&input).map_err(|error| {
            EmrflowError::internal(format!("cannot write the execution input: {error}"))
        })?;
        let output = |execution_arn: String, already_started: bool| StartDailyOutput {
            pipeline_name: pipeline.name.clone(),
            execution_name: name.clone(),
            execution_arn,
            processing_date: date_text.clone(),
            already_started,
        };
        let state_machine_arn = &self.config.state_machine_arn;
        match self.executions.start(&name, &input_json).await {
            // A repeated delivery while the day's execution still runs lands here too:
            // StartExecution with the same name and the same input returns the running
            // execution instead of starting another one.
            Ok(started) => {
                tracing::info!(
                    pipeline = %pipeline.name,
                    execution_name = %name,
                    execution_arn = %started.execution_arn,
                    processing_date = %date_text,
                    "started the scheduled execution"
                );
                Ok(output(started.execution_arn, false))
            }
            Err(error) if error.name() == ErrorName::ExecutionAlreadyExists => {
                // Same name = same pipeline and processing day: it has its execution already
                // (a duplicate delivery, a second tick of a rate, an earlier run that has
                // finished). Success, so neither Scheduler nor Lambda retries it into an
                // alarm. Step Functions' answer carries no ARN: it is built from the name.
                let existing = execution_arn(state_machine_arn, &name);
                tracing::info!(
                    pipeline = %pipeline.name,
                    execution_name = %name,
                    execution_arn = %existing,
                    processing_date = %date_text,
                    "the day's execution exists already; nothing to start"
                );
                Ok(output(existing, true))
            }
            Err(error) => {
                Err(error.with_context(format!("StartExecution {name} on {state_machine_arn}")))
            }
        }
    }
}
