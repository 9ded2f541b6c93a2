//! The six pipeline handlers (README, "The Lambda handlers"), one file each, as mini-redis has
//! one per command: each owns its request and response types and its behaviour, in a struct
//! holding what it needs (`AddSteps { emr, deployment, now }`). This file is the dispatch
//! alone: the [`Handler`] shape every Lambda of emrflow has, the [`Function`] names, and
//! [`Dispatch`], which invokes a handler by its function (the local runner, tests).
//!
//! A Task state's name in `statemachine/emrflow.asl.json` leads to its handler:
//!
//! | state | handler file |
//! |---|---|
//! | Validate_Input | `validate_input.rs` (its summary in `summary.rs`, the state size rule in `state_size.rs`) |
//! | Create_A_Cluster, Check_Existing_Cluster | `ensure_cluster.rs` |
//! | Enable/Disable/Restore_Termination_Protection, Cleanup_Restore_Protection | `termination_protection.rs` |
//! | Submit_Pipeline_Steps | `add_steps.rs` |
//! | Check_Steps | `check_steps.rs` (its verdict in `verdict.rs`, its report in `report.rs`, MaxCostUSD in `budget.rs`) |
//! | Terminate_Cluster, Cleanup_Terminate_Cluster, Cleanup_Terminate_Orphan_Cluster | `terminate_cluster.rs` |
//! | Check_Start_Conditions | `start_check.rs` (the rule and the answer; the handler, check-start, is in emrflow-executions) |

mod add_steps;
mod budget;
mod check_steps;
mod ensure_cluster;
mod report;
mod start_check;
mod state_size;
mod summary;
mod terminate_cluster;
mod termination_protection;
mod validate_input;
mod verdict;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::cost::SnapshotPrices;
use crate::deployment::Deployment;
use crate::emr::EmrApi;
use crate::json::read_payload;
use crate::EmrflowError;

pub use add_steps::{AddSteps, AddStepsRequest, AddStepsResponse};
pub use check_steps::WakeOn;
pub use check_steps::{
    CheckSteps, CheckStepsRequest, CheckStepsResponse, Progress, EVENT_HEARTBEAT_SECONDS,
};
pub use ensure_cluster::{EnsureCluster, EnsureClusterRequest, EnsureClusterResponse};
pub use report::{attempt_report, AttemptReport, StepReport};
pub use start_check::{
    queue_place, QueuePlace, QueuedRun, StartCheck, StartFacts, StartVerdict, WaitingFor,
    DATA_HEARTBEAT_SECONDS, QUEUE_POLL_SECONDS, START_CHECK_JSON_BYTES, UNLISTED_POLL_SECONDS,
};
pub use state_size::STATE_LIMIT_BYTES;
pub use summary::RunSummary;
pub use terminate_cluster::{TerminateCluster, TerminateClusterRequest, TerminateClusterResponse};
pub use termination_protection::{
    TerminationProtection, TerminationProtectionRequest, TerminationProtectionResponse,
};
pub use validate_input::{ValidateInput, ValidateInputRequest};

/// Where the wall clock comes from (tests pin it).
pub type Now = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The wall clock: retries and timeouts are judged against EMR's step times, which are.
pub fn wall_clock() -> Now {
    Arc::new(Utc::now)
}

/// One Lambda function of emrflow: its name, its request and response, what it does. Every
/// function has this shape — the six pipeline handlers here, await-steps and emr-events in
/// `emrflow-events`, reap-execution and start-daily in `emrflow-executions` — so every
/// `main.rs` serves one the same way, and the local runner calls the very same code.
#[async_trait]
pub trait Handler: Send + Sync {
    /// The deployed function's name (`add-steps`).
    const NAME: &'static str;
    /// What its payload is called in messages (`add-steps input`).
    const PAYLOAD: &'static str;
    type Request: DeserializeOwned + Send;
    type Response: Serialize + Send;

    async fn handle(&self, request: Self::Request) -> Result<Self::Response, EmrflowError>;

    /// A raw payload in, a raw payload out, as Lambda and the local runner call a function: a
    /// payload that does not fit is InvalidInput naming the key.
    async fn invoke(&self, payload: Value) -> Result<Value, EmrflowError> {
        let result = match read_payload::<Self::Request>(Self::PAYLOAD, payload) {
            Ok(request) => match self.handle(request).await {
                Ok(response) => to_payload(&response),
                Err(error) => Err(error),
            },
            Err(error) => Err(error),
        };
        if let Err(error) = &result {
            tracing::warn!(function = Self::NAME, error_type = error.name().as_str(), message = %error, "handler failed");
        }
        result
    }
}

fn to_payload<T: Serialize>(response: &T) -> Result<Value, EmrflowError> {
    serde_json::to_value(response).map_err(|error| {
        EmrflowError::internal(format!(
            "the handler's response could not be written as JSON: {error}"
        ))
    })
}

/// The six pipeline functions; `name()` is the crate / deployed function name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    ValidateInput,
    EnsureCluster,
    TerminationProtection,
    AddSteps,
    CheckSteps,
    TerminateCluster,
}

impl Function {
    pub const ALL: [Function; 6] = [
        Function::ValidateInput,
        Function::EnsureCluster,
        Function::TerminationProtection,
        Function::AddSteps,
        Function::CheckSteps,
        Function::TerminateCluster,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Function::ValidateInput => ValidateInput::NAME,
            Function::EnsureCluster => EnsureCluster::NAME,
            Function::TerminationProtection => TerminationProtection::NAME,
            Function::AddSteps => AddSteps::NAME,
            Function::CheckSteps => CheckSteps::NAME,
            Function::TerminateCluster => TerminateCluster::NAME,
        }
    }

    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL
            .into_iter()
            .find(|function| function.name() == name)
    }
}

impl std::fmt::Display for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The six handlers of one deployment over one EMR, invoked by function: what the local
/// runner's Task states call. (A deployed Lambda builds only its own handler.)
pub struct Dispatch {
    validate_input: ValidateInput,
    ensure_cluster: EnsureCluster,
    termination_protection: TerminationProtection,
    add_steps: AddSteps,
    check_steps: CheckSteps,
    terminate_cluster: TerminateCluster,
}

impl Dispatch {
    pub fn new(emr: Arc<dyn EmrApi>, deployment: Deployment) -> Self {
        Self::with_clock(emr, deployment, wall_clock())
    }

    /// With the clock retries and timeouts are judged by (tests pin it).
    pub fn with_clock(emr: Arc<dyn EmrApi>, deployment: Deployment, now: Now) -> Self {
        let deployment = Arc::new(deployment);
        Dispatch {
            validate_input: ValidateInput {
                deployment: deployment.clone(),
            },
            ensure_cluster: EnsureCluster {
                emr: emr.clone(),
                deployment: deployment.clone(),
                now: now.clone(),
            },
            termination_protection: TerminationProtection { emr: emr.clone() },
            add_steps: AddSteps {
                emr: emr.clone(),
                deployment: deployment.clone(),
                now: now.clone(),
            },
            check_steps: CheckSteps {
                emr: emr.clone(),
                prices: Arc::new(SnapshotPrices::shipped(&deployment.region)),
                deployment,
                now,
            },
            terminate_cluster: TerminateCluster { emr },
        }
    }

    /// Runs `function` on a JSON payload; payloads that do not fit are InvalidInput.
    pub async fn invoke(&self, function: Function, payload: Value) -> Result<Value, EmrflowError> {
        match function {
            Function::ValidateInput => self.validate_input.invoke(payload).await,
            Function::EnsureCluster => self.ensure_cluster.invoke(payload).await,
            Function::TerminationProtection => self.termination_protection.invoke(payload).await,
            Function::AddSteps => self.add_steps.invoke(payload).await,
            Function::CheckSteps => self.check_steps.invoke(payload).await,
            Function::TerminateCluster => self.terminate_cluster.invoke(payload).await,
        }
    }

    /// The deployment the handlers serve.
    pub fn deployment(&self) -> &Deployment {
        &self.validate_input.deployment
    }
}
