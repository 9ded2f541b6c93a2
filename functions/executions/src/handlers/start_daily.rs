//! start-daily: the target of the daily EventBridge schedule.
//!
//! It turns the scheduled event's time into a processing date (UTC date minus
//! `PROCESSING_DAY_OFFSET` days, default 1 = yesterday) and starts the emrflow state machine
//! with the execution name `daily-<YYYY-MM-DD>`, through the [`Executions`] port. Step
//! Functions keeps execution names unique per state machine, so a second delivery of the same
//! schedule tick (EventBridge and Lambda's async retries both deliver at least once) cannot
//! start a second run for the same day.

use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{Days, NaiveDate};
use emrflow_core::{EmrflowError, ErrorName, Handler};
use serde::{Deserialize, Serialize};

use crate::port::{execution_arn, Executions};

/// Environment variable holding the state machine to start.
pub const STATE_MACHINE_ARN_ENV: &str = "STATE_MACHINE_ARN";
/// Environment variable holding how many days before the schedule's date the data day is.
pub const PROCESSING_DAY_OFFSET_ENV: &str = "PROCESSING_DAY_OFFSET";
/// Yesterday: a daily ETL normally processes the day that has just ended.
pub const DEFAULT_PROCESSING_DAY_OFFSET: u64 = 1;
/// A larger offset is almost certainly a typo in the template parameter.
const MAX_PROCESSING_DAY_OFFSET: u64 = 366;

/// Why the daily start did not happen; as an [`EmrflowError`] it carries the stable name Lambda
/// reports.
#[derive(Debug, thiserror::Error)]
pub enum StartDailyError {
    #[error("start-daily is misconfigured: {0}")]
    Configuration(String),
    #[error(
        "the EventBridge event has no `time`, so the processing date cannot be computed \
         (start-daily expects a scheduled event such as {{\"source\": \"aws.events\", \
         \"detail-type\": \"Scheduled Event\", \"time\": \"2026-11-22T06:00:00Z\", \"detail\": {{}}}})"
    )]
    EventWithoutTime,
    #[error("processing date out of range: {time} minus {offset} day(s)")]
    DateOutOfRange { time: String, offset: u64 },
    /// StartExecution failed, classified by the port as every AWS error is.
    #[error("StartExecution {execution_name} on {state_machine_arn}: {error}")]
    Start {
        execution_name: String,
        state_machine_arn: String,
        error: EmrflowError,
    },
}

impl StartDailyError {
    /// The project's error names (README, "Error names"), so alarms and dashboards read the
    /// same everywhere and the static checks cover them.
    pub fn error_name(&self) -> ErrorName {
        match self {
            StartDailyError::Configuration(_)
            | StartDailyError::EventWithoutTime
            | StartDailyError::DateOutOfRange { .. } => ErrorName::InvalidInput,
            StartDailyError::Start { error, .. } => error.name(),
        }
    }

    pub fn error_type(&self) -> &'static str {
        self.error_name().as_str()
    }
}

impl From<StartDailyError> for EmrflowError {
    fn from(error: StartDailyError) -> EmrflowError {
        EmrflowError::new(error.error_name(), error.to_string())
    }
}

/// Settings read once at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartDailyConfig {
    pub state_machine_arn: String,
    pub processing_day_offset: u64,
}

impl StartDailyConfig {
    /// `lookup` is `std::env::var` in the Lambda; tests pass a map.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, StartDailyError> {
        let state_machine_arn = lookup(STATE_MACHINE_ARN_ENV)
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty())
            .ok_or_else(|| {
                StartDailyError::Configuration(format!("{STATE_MACHINE_ARN_ENV} is not set"))
            })?;
        let processing_day_offset = match lookup(PROCESSING_DAY_OFFSET_ENV) {
            None => DEFAULT_PROCESSING_DAY_OFFSET,
            Some(raw) if raw.trim().is_empty() => DEFAULT_PROCESSING_DAY_OFFSET,
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|offset| *offset <= MAX_PROCESSING_DAY_OFFSET)
                .ok_or_else(|| {
                    StartDailyError::Configuration(format!(
                        "{PROCESSING_DAY_OFFSET_ENV}='{raw}' is not a whole number of days \
                         between 0 and {MAX_PROCESSING_DAY_OFFSET}"
                    ))
                })?,
        };
        Ok(Self {
            state_machine_arn,
            processing_day_offset,
        })
    }
}

/// The execution input, in the documented PascalCase shape. A struct (not a map) keeps the
/// key order fixed, so two deliveries send byte-identical input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DailyExecutionInput {
    pub create_cluster: bool,
    pub terminate_cluster: bool,
    pub processing_date: String,
}

/// What the handler returns (visible in the Lambda console and in the async-invoke record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartDailyOutput {
    pub execution_name: String,
    pub execution_arn: String,
    pub processing_date: String,
    /// True when this day's execution had been started before (a repeated delivery).
    pub already_started: bool,
}

/// `daily-<YYYY-MM-DD>`: one name per processing day.
pub fn execution_name(processing_date: NaiveDate) -> String {
    format!("daily-{}", processing_date.format("%Y-%m-%d"))
}

/// start-daily: the executions of its state machine, and its settings.
pub struct StartDaily {
    executions: Arc<dyn Executions>,
    config: StartDailyConfig,
}

#[async_trait]
impl Handler for StartDaily {
    const NAME: &'static str = "start-daily";
    const PAYLOAD: &'static str = "EventBridge event";
    type Request = EventBridgeEvent;
    type Response = StartDailyOutput;

    async fn handle(&self, event: EventBridgeEvent) -> Result<StartDailyOutput, EmrflowError> {
        self.start_for_event(&event)
            .await
            .map_err(EmrflowError::from)
    }
}

impl StartDaily {
    pub fn new(executions: Arc<dyn Executions>, config: StartDailyConfig) -> Self {
        Self { executions, config }
    }

    /// The UTC date of the event minus the configured offset.
    pub fn processing_date<T>(
        &self,
        event: &EventBridgeEvent<T>,
    ) -> Result<NaiveDate, StartDailyError>
    where
        T: Serialize + serde::de::DeserializeOwned,
    {
        let time = event.time.ok_or(StartDailyError::EventWithoutTime)?;
        let offset = self.config.processing_day_offset;
        time.date_naive()
            .checked_sub_days(Days::new(offset))
            .ok_or_else(|| StartDailyError::DateOutOfRange {
                time: time.to_rfc3339(),
                offset,
            })
    }

    pub async fn start_for_event<T>(
        &self,
        event: &EventBridgeEvent<T>,
    ) -> Result<StartDailyOutput, StartDailyError>
    where
        T: Serialize + serde::de::DeserializeOwned,
    {
        let processing_date = self.processing_date(event)?;
        let name = execution_name(processing_date);
        let date_text = processing_date.format("%Y-%m-%d").to_string();
        let input = DailyExecutionInput {
            create_cluster: true,
            terminate_cluster: true,
            processing_date: date_text.clone(),
        };
        let input_json = serde_json::to_string(&input).map_err(|error| {
            StartDailyError::Configuration(format!("cannot serialise the execution input: {error}"))
        })?;
        let state_machine_arn = &self.config.state_machine_arn;
        match self.executions.start(&name, &input_json).await {
            // A repeated delivery while the day's execution still runs lands here too:
            // StartExecution with the same name and the same input returns the running
            // execution instead of starting another one.
            Ok(started) => {
                tracing::info!(
                    execution_name = %name,
                    execution_arn = %started.execution_arn,
                    processing_date = %date_text,
                    "started the daily execution"
                );
                Ok(StartDailyOutput {
                    execution_name: name,
                    execution_arn: started.execution_arn,
                    processing_date: date_text,
                    already_started: false,
                })
            }
            Err(error) if error.name() == ErrorName::ExecutionAlreadyExists => {
                // Same name = same processing day: this day has its execution already
                // (a duplicate delivery, or an earlier run that has finished). Success, so
                // neither EventBridge nor Lambda retries it into an alarm. Step Functions'
                // answer carries no ARN: the existing run's is built from the name.
                let existing = execution_arn(state_machine_arn, &name);
                tracing::info!(
                    execution_name = %name,
                    execution_arn = %existing,
                    processing_date = %date_text,
                    "the daily execution exists already; nothing to start"
                );
                Ok(StartDailyOutput {
                    execution_name: name,
                    execution_arn: existing,
                    processing_date: date_text,
                    already_started: true,
                })
            }
            Err(error) => Err(StartDailyError::Start {
                execution_name: name,
                state_machine_arn: state_machine_arn.clone(),
                error,
            }),
        }
    }
}
