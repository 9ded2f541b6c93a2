//! The daily start: processing date, execution name, execution input, StartExecution.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use chrono::{Days, NaiveDate};
use emrflow_core::{EmrflowError, ErrorName};
use serde::{Deserialize, Serialize};

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
    #[error(
        "StartExecution {execution_name} on {state_machine_arn} failed, will be retried: {message}"
    )]
    Transient {
        execution_name: String,
        state_machine_arn: String,
        message: String,
    },
    #[error("StartExecution {execution_name} on {state_machine_arn} was rejected: {message}")]
    Rejected {
        execution_name: String,
        state_machine_arn: String,
        message: String,
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
            StartDailyError::Transient { .. } => ErrorName::AwsTransient,
            StartDailyError::Rejected { .. } => ErrorName::AwsRequestRejected,
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

/// Step Functions' ExecutionAlreadyExists carries no ARN: the existing run's is built from
/// the name.
pub use emrflow_core::execution::execution_arn;

pub struct DailyStarter {
    sfn: aws_sdk_sfn::Client,
    config: StartDailyConfig,
}

impl DailyStarter {
    pub fn new(sfn: aws_sdk_sfn::Client, config: StartDailyConfig) -> Self {
        Self { sfn, config }
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

        let result = self
            .sfn
            .start_execution()
            .state_machine_arn(state_machine_arn)
            .name(&name)
            .input(input_json)
            .send()
            .await;

        match result {
            // A repeated delivery while the day's execution still runs lands here too:
            // StartExecution with the same name and the same input returns the running
            // execution instead of starting another one.
            Ok(started) => {
                tracing::info!(
                    execution_name = %name,
                    execution_arn = %started.execution_arn(),
                    processing_date = %date_text,
                    "started the daily execution"
                );
                Ok(StartDailyOutput {
                    execution_name: name,
                    execution_arn: started.execution_arn().to_string(),
                    processing_date: date_text,
                    already_started: false,
                })
            }
            Err(SdkError::ServiceError(service_error))
                if matches!(
                    service_error.err(),
                    StartExecutionError::ExecutionAlreadyExists(_)
                ) =>
            {
                // Same name = same processing day: this day has its execution already
                // (a duplicate delivery, or an earlier run that has finished). Success, so
                // neither EventBridge nor Lambda retries it into an alarm.
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
            Err(error) => Err(classify_failure(error, state_machine_arn, name)),
        }
    }
}

fn classify_failure(
    error: SdkError<StartExecutionError, aws_sdk_sfn::config::http::HttpResponse>,
    state_machine_arn: &str,
    execution_name: String,
) -> StartDailyError {
    let transient = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service_error) => {
            matches!(
                service_error.err(),
                StartExecutionError::ExecutionLimitExceeded(_)
                    | StartExecutionError::KmsThrottlingException(_)
            ) || matches!(
                service_error.err().code(),
                Some("ThrottlingException" | "ServiceUnavailable" | "InternalServerError")
            )
        }
        _ => false,
    };
    // The modeled error's Display carries its name and the service's message; transport
    // errors need the whole source chain to be useful.
    let message = match error.as_service_error() {
        Some(service_error) => aws_sdk_sfn::error::DisplayErrorContext(service_error).to_string(),
        None => aws_sdk_sfn::error::DisplayErrorContext(&error).to_string(),
    };
    let state_machine_arn = state_machine_arn.to_string();
    if transient {
        StartDailyError::Transient {
            execution_name,
            state_machine_arn,
            message,
        }
    } else {
        StartDailyError::Rejected {
            execution_name,
            state_machine_arn,
            message,
        }
    }
}

#[cfg(test)]
mod tests;
