//! [`Executions`] on aws-sdk-sfn, for one state machine. SDK ↔ domain conversions live
//! here and in [`history`] (typed events → GetExecutionHistory's JSON), each once.

pub mod history;

use async_trait::async_trait;
use aws_sdk_sfn::error::SdkError;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::types::ExecutionStatus as SdkStatus;
use emrflow_core::sdk::{classify_aws_sdk_error, endpoint_name};
use emrflow_core::{EmrflowError, ErrorName};

use crate::port::{
    execution_arn, ExecutionDescription, ExecutionStatus, Executions, ListFilter, Progress,
    Started, StopOutcome,
};
use crate::record::ExecutionRecord;
use history::{event_json, utc};

/// GetExecutionHistory's largest page: an execution of a few hours has hundreds of events.
const HISTORY_PAGE_SIZE: i32 = 1000;
/// A follower's page, newest first: the few events between two looks fit in one.
const FOLLOW_PAGE_SIZE: i32 = 100;
/// ListExecutions' largest page.
const LIST_PAGE_SIZE: usize = 1000;

/// [`Executions`] of the state machine `state_machine_arn` over `aws_sdk_sfn::Client`.
#[derive(Debug, Clone)]
pub struct SfnExecutions {
    client: aws_sdk_sfn::Client,
    state_machine_arn: String,
    /// How messages name the endpoint: "Step Functions in us-east-1" or "the Step Functions
    /// endpoint <url>".
    endpoint: String,
}

impl SfnExecutions {
    /// Names the endpoint by the client's region (the AWS endpoint).
    pub fn new(client: aws_sdk_sfn::Client, state_machine_arn: impl Into<String>) -> Self {
        let region = client.config().region().map(|region| region.to_string());
        SfnExecutions {
            endpoint: endpoint_name("Step Functions", None, region.as_deref()),
            client,
            state_machine_arn: state_machine_arn.into(),
        }
    }

    /// For a client sent to an endpoint URL (AWS_ENDPOINT_URL_SFN, a test's moto).
    pub fn with_endpoint_url(
        client: aws_sdk_sfn::Client,
        state_machine_arn: impl Into<String>,
        url: &str,
    ) -> Self {
        SfnExecutions {
            endpoint: endpoint_name("Step Functions", Some(url), None),
            ..Self::new(client, state_machine_arn)
        }
    }

    pub fn state_machine_arn(&self) -> &str {
        &self.state_machine_arn
    }

    /// An execution's ARN from its name (or the ARN as given).
    pub fn arn_of(&self, execution: &str) -> String {
        if execution.starts_with("arn:") {
            execution.to_string()
        } else {
            execution_arn(&self.state_machine_arn, execution)
        }
    }

    fn classify<E>(
        &self,
        operation: &str,
        error: SdkError<E, aws_sdk_sfn::config::http::HttpResponse>,
    ) -> EmrflowError
    where
        E: aws_sdk_sfn::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        classify_aws_sdk_error("Step Functions", operation, &self.endpoint, error)
    }

    /// Every page of GetExecutionHistory, oldest event first, with the execution's data.
    pub async fn history(
        &self,
        execution_arn: &str,
    ) -> Result<Vec<serde_json::Value>, EmrflowError> {
        let events: Vec<_> = self
            .client
            .get_execution_history()
            .execution_arn(execution_arn)
            .include_execution_data(true)
            .max_results(HISTORY_PAGE_SIZE)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| self.classify("GetExecutionHistory", error))?;
        Ok(events.iter().map(event_json).collect())
    }

    /// The history events after `after_event`, oldest first. Asked newest first and read
    /// page by page only until a page reaches an event already seen, so a look at a running
    /// execution reads one page, not its whole history again. The events are sorted by id
    /// whatever order a page came in (moto, for one, ignores `reverseOrder`).
    pub async fn history_after(
        &self,
        execution_arn: &str,
        after_event: u64,
    ) -> Result<Vec<serde_json::Value>, EmrflowError> {
        let mut pages = self
            .client
            .get_execution_history()
            .execution_arn(execution_arn)
            .include_execution_data(true)
            .reverse_order(true)
            .max_results(FOLLOW_PAGE_SIZE)
            .into_paginator()
            .send();
        let mut unseen = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| self.classify("GetExecutionHistory", error))?;
            let id = |event: &aws_sdk_sfn::types::HistoryEvent| {
                u64::try_from(event.id()).unwrap_or_default()
            };
            unseen.extend(
                page.events()
                    .iter()
                    .filter(|event| id(event) > after_event)
                    .map(|event| (event.id(), event_json(event))),
            );
            if page.events().iter().any(|event| id(event) <= after_event) {
                break;
            }
        }
        unseen.sort_by_key(|(id, _)| *id);
        Ok(unseen.into_iter().map(|(_, event)| event).collect())
    }
}

/// Step Functions' status in our type; a status this version does not know is an error
/// rather than a guess.
fn status(status: &SdkStatus) -> Result<ExecutionStatus, EmrflowError> {
    ExecutionStatus::from_name(status.as_str()).ok_or_else(|| {
        EmrflowError::internal(format!(
            "Step Functions reported the execution status '{}', which this version of emrflow does not know",
            status.as_str()
        ))
    })
}

#[async_trait]
impl Executions for SfnExecutions {
    async fn list(&self, filter: ListFilter) -> Result<Vec<ExecutionDescription>, EmrflowError> {
        let page_size = filter.limit.clamp(1, LIST_PAGE_SIZE);
        let mut pages = self
            .client
            .list_executions()
            .state_machine_arn(&self.state_machine_arn)
            .set_status_filter(filter.status.map(|status| SdkStatus::from(status.as_str())))
            .max_results(page_size as i32)
            .into_paginator()
            .items()
            .send();
        let mut executions = Vec::new();
        while executions.len() < filter.limit {
            let Some(item) = pages.next().await else {
                break;
            };
            let item = item.map_err(|error| self.classify("ListExecutions", error))?;
            executions.push(ExecutionDescription {
                execution_arn: item.execution_arn().to_string(),
                state_machine_arn: item.state_machine_arn().to_string(),
                name: item.name().to_string(),
                status: status(item.status())?,
                start_date: utc(item.start_date()),
                stop_date: item.stop_date().map(utc),
                input: None,
                output: None,
                error: None,
                cause: None,
            });
        }
        Ok(executions)
    }

    async fn describe(&self, execution: &str) -> Result<ExecutionDescription, EmrflowError> {
        let arn = self.arn_of(execution);
        let output = self
            .client
            .describe_execution()
            .execution_arn(&arn)
            .send()
            .await
            .map_err(|error| self.classify("DescribeExecution", error))?;
        Ok(ExecutionDescription {
            execution_arn: output.execution_arn().to_string(),
            state_machine_arn: output.state_machine_arn().to_string(),
            name: output
                .name()
                .map(str::to_string)
                .unwrap_or_else(|| crate::port::execution_name(&arn).to_string()),
            status: status(output.status())?,
            start_date: utc(output.start_date()),
            stop_date: output.stop_date().map(utc),
            input: output.input().map(str::to_string),
            output: output.output().map(str::to_string),
            error: output.error().map(str::to_string),
            cause: output.cause().map(str::to_string),
        })
    }

    async fn record(&self, execution: &str) -> Result<ExecutionRecord, EmrflowError> {
        let description = self.describe(execution).await?;
        let events = self.history(&description.execution_arn).await?;
        Ok(ExecutionRecord::from_history(description, events))
    }

    async fn progress(&self, execution: &str, after_event: u64) -> Result<Progress, EmrflowError> {
        // Described first: when it says the execution ended, the history read next is whole.
        let description = self.describe(execution).await?;
        let events = self
            .history_after(&description.execution_arn, after_event)
            .await?;
        Ok(Progress {
            execution: description,
            events,
        })
    }

    async fn start(&self, name: &str, input: &str) -> Result<Started, EmrflowError> {
        let output = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(name)
            .input(input)
            .send()
            .await
            .map_err(|error| match error.as_service_error() {
                // Names are unique per state machine: the typed answer, whatever its metadata.
                Some(StartExecutionError::ExecutionAlreadyExists(exists)) => EmrflowError::new(
                    ErrorName::ExecutionAlreadyExists,
                    format!(
                        "StartExecution: an execution named '{name}' exists already ({})",
                        exists.message().unwrap_or("ExecutionAlreadyExists")
                    ),
                ),
                _ => self.classify("StartExecution", error),
            })?;
        Ok(Started {
            execution_arn: output.execution_arn().to_string(),
            name: name.to_string(),
            start_date: utc(output.start_date()),
        })
    }

    async fn stop(
        &self,
        execution: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<StopOutcome, EmrflowError> {
        // StopExecution of an ended execution changes nothing: say so instead of pretending.
        let description = self.describe(execution).await?;
        if description.status.has_ended() {
            return Ok(StopOutcome {
                execution_arn: description.execution_arn,
                stopped: false,
                status: Some(description.status),
                stop_date: description.stop_date,
                note: format!("the execution had already ended ({})", description.status),
            });
        }
        let output = self
            .client
            .stop_execution()
            .execution_arn(&description.execution_arn)
            .set_error(error.map(str::to_string))
            .set_cause(cause.map(str::to_string))
            .send()
            .await
            .map_err(|error| self.classify("StopExecution", error))?;
        Ok(StopOutcome {
            execution_arn: description.execution_arn,
            stopped: true,
            status: Some(ExecutionStatus::Aborted),
            stop_date: Some(utc(output.stop_date())),
            note: "Step Functions stopped it; the reaper (reap-execution) now cancels its steps and cleans up its cluster".to_string(),
        })
    }
}
