//! The six handlers: payload in, payload out (README, "The Lambda handlers"). One file per
//! handler, each owning its request and response types; this file is the dispatch alone.
//! A Task state's name in `statemachine/emrflow.asl.json` leads to its handler:
//!
//! | state | handler file |
//! |---|---|
//! | Validate_Input | `validate_input.rs` |
//! | Create_A_Cluster, Check_Existing_Cluster | `ensure_cluster.rs` |
//! | Enable/Disable/Restore_Termination_Protection, Cleanup_Restore_Protection | `termination_protection.rs` |
//! | Submit_Pipeline_Steps | `add_steps.rs` |
//! | Check_Steps | `check_steps.rs` (its verdict in `verdict.rs`, its report in `report.rs`) |
//! | Terminate_Cluster, Cleanup_Terminate_Cluster, Cleanup_Terminate_Orphan_Cluster | `terminate_cluster.rs` |

mod add_steps;
mod check_steps;
mod ensure_cluster;
mod lookup;
mod report;
mod state_size;
mod terminate_cluster;
mod termination_protection;
mod validate_input;
mod verdict;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::emr::EmrApi;
use crate::input::NormalizedInput;
use crate::pipeline::{PipelineSpec, StepCompletion};
use crate::{EmrflowError, Function};

pub use add_steps::{AddStepsRequest, AddStepsResponse};
pub use check_steps::{CheckStepsRequest, CheckStepsResponse, Progress, EVENT_HEARTBEAT_SECONDS};
pub use ensure_cluster::{EnsureClusterRequest, EnsureClusterResponse};
pub use report::{attempt_report, AttemptReport, StepReport};
pub use state_size::STATE_LIMIT_BYTES;
pub use terminate_cluster::{TerminateClusterRequest, TerminateClusterResponse};
pub use termination_protection::{TerminationProtectionRequest, TerminationProtectionResponse};
pub use validate_input::{RunSummary, ValidateInputRequest};

/// Where the wall clock comes from (tests pin it).
pub type Now = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The handlers, sharing one EMR client; built once per Lambda cold start.
pub struct Handlers {
    emr: Arc<dyn EmrApi>,
    default_pipeline: Option<PipelineSpec>,
    region: String,
    step_completion: StepCompletion,
    now: Now,
}

/// Which execution a handler works for, as the state machine passes it from its context
/// object: the handlers that need the pipeline re-derive it from the execution input, exactly
/// as validate-input did, so the execution state never carries the whole spec.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ExecutionRef {
    #[serde(default)]
    pub input: Value,
    pub name: String,
    pub start_time: String,
    /// validate-input's fingerprint of the pipeline; absent when a person calls a handler.
    #[serde(default)]
    pub pipeline_digest: Option<String>,
}

impl Handlers {
    pub fn new(emr: Arc<dyn EmrApi>, default_pipeline: PipelineSpec, region: String) -> Self {
        Handlers {
            default_pipeline: Some(default_pipeline),
            ..Self::without_default_pipeline(emr, region)
        }
    }

    /// Handlers for the functions that never read the deployed default pipeline (all but
    /// validate-input, which then requires the execution input to carry a `Pipeline`).
    pub fn without_default_pipeline(emr: Arc<dyn EmrApi>, region: String) -> Self {
        Handlers {
            emr,
            default_pipeline: None,
            region,
            step_completion: StepCompletion::default(),
            now: Arc::new(Utc::now),
        }
    }

    /// The deployment's choice for pipelines that do not set StepCompletion.
    pub fn with_step_completion(mut self, step_completion: StepCompletion) -> Self {
        self.step_completion = step_completion;
        self
    }

    /// The clock that retries and timeouts are judged by (EMR's step times are wall clock).
    pub fn with_clock(mut self, now: Now) -> Self {
        self.now = now;
        self
    }

    /// The execution's pipeline, re-derived from its input; a redeployed default pipeline
    /// (a different digest) is refused rather than run half old, half new.
    fn derive(&self, execution: &ExecutionRef) -> Result<NormalizedInput, EmrflowError> {
        let normalized = self
            .normalize(
                execution.input.clone(),
                &execution.name,
                &execution.start_time,
            )
            .map_err(|error| error.with_context("Execution.Input"))?;
        if let Some(expected) = &execution.pipeline_digest {
            let digest = normalized.pipeline_digest()?;
            if &digest != expected {
                return Err(EmrflowError::invalid_input(format!(
                    "key Execution.PipelineDigest: the pipeline this execution started with ({}) is no longer the one deployed ({}); the deployment changed during the run — start a new execution",
                    short(expected),
                    short(&digest)
                )));
            }
        }
        Ok(normalized)
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Runs `function` on a JSON payload; payloads that do not fit are InvalidInput.
    pub async fn invoke(&self, function: Function, payload: Value) -> Result<Value, EmrflowError> {
        let result = self.dispatch(function, payload).await;
        if let Err(error) = &result {
            tracing::warn!(function = function.name(), error_type = error.name().as_str(), message = %error, "handler failed");
        }
        result
    }

    async fn dispatch(&self, function: Function, payload: Value) -> Result<Value, EmrflowError> {
        let f = function;
        match function {
            Function::ValidateInput => to_payload(&self.validate_input(parse(f, payload)?)?),
            Function::EnsureCluster => to_payload(&self.ensure_cluster(parse(f, payload)?).await?),
            Function::TerminationProtection => {
                to_payload(&self.termination_protection(parse(f, payload)?).await?)
            }
            Function::AddSteps => to_payload(&self.add_steps(parse(f, payload)?).await?),
            Function::CheckSteps => to_payload(&self.check_steps(parse(f, payload)?).await?),
            Function::TerminateCluster => {
                to_payload(&self.terminate_cluster(parse(f, payload)?).await?)
            }
        }
    }
}

/// The request of `function`; a payload that does not fit is InvalidInput naming the key.
fn parse<T: DeserializeOwned>(function: Function, payload: Value) -> Result<T, EmrflowError> {
    crate::json::read_payload(&format!("{} input", function.name()), payload)
}

fn to_payload<T: Serialize>(response: &T) -> Result<Value, EmrflowError> {
    serde_json::to_value(response).map_err(|error| {
        EmrflowError::internal(format!(
            "the handler's response could not be written as JSON: {error}"
        ))
    })
}

/// The first characters of a digest, enough to tell two apart in a message.
fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// An RFC 3339 time from the state machine's context object.
fn parse_time(key: &str, text: &str) -> Result<DateTime<Utc>, EmrflowError> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|error| {
            EmrflowError::invalid_input(format!(
                "key {key}: '{text}' is not an RFC 3339 time: {error}"
            ))
        })
}
