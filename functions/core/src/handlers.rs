//! The six handlers: payload in, payload out, as in CONTRACT.md.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::emr::{
    ClusterDescription, EmrApi, FailureDetails, StepSummary, ACTIVE_STEP_STATES,
    ALL_CLUSTER_STATES, NOT_TERMINATED_CLUSTER_STATES, TERMINAL_STEP_STATES,
};
use crate::error::invalid_at_path;
use crate::input::{check_cluster_id, check_execution_name, ExecutionInput, NormalizedInput};
use crate::pipeline::{
    check_steps_fit_concurrency, cluster_name, PipelineSpec, DEFAULT_POLL_INTERVAL_SECONDS,
    EXECUTION_TAG, MAX_ACTIVE_STEPS, PIPELINE_TAG,
};
use crate::{EmrflowError, ErrorName, Function};

/// While a cluster is still starting (typically 5 to 15 minutes on EMR) steps cannot run, so
/// polls are spaced STARTING_POLL_FACTOR times further apart, up to STARTING_POLL_CAP_SECONDS
/// (never below the configured interval).
const STARTING_POLL_FACTOR: u32 = 4;
const STARTING_POLL_CAP_SECONDS: u32 = 300;
const MAX_POLL_SECONDS: u32 = 3600;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ValidateInputRequest {
    #[serde(default)]
    pub input: Value,
    pub execution_name: String,
    pub start_time: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EnsureClusterRequest {
    pub create_cluster: bool,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub execution_name: String,
    pub pipeline: Value,
    /// `$$.Execution.StartTime`: lets a retry also find this execution's cluster after it
    /// ended (e.g. a bootstrap failure during the retry's back-off), searching only clusters
    /// created since the execution started.
    #[serde(default)]
    pub execution_start_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnsureClusterResponse {
    pub cluster_id: String,
    pub created: bool,
    pub cluster_name: String,
    pub state: String,
    pub log_uri: Option<String>,
    /// The cluster's termination protection as found (false for a new cluster), so cleanup
    /// can restore a reused cluster's own setting even if protection was never enabled.
    pub termination_protected: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TerminationProtectionRequest {
    pub cluster_id: String,
    pub protected: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TerminationProtectionResponse {
    pub cluster_id: String,
    pub protected: bool,
    pub previous: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AddStepsRequest {
    pub cluster_id: String,
    pub execution_name: String,
    pub pipeline: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubmittedStep {
    pub name: String,
    pub step_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddStepsResponse {
    pub cluster_id: String,
    pub step_ids: Vec<String>,
    pub steps: Vec<SubmittedStep>,
    /// True when at least one step was found already submitted by this execution (a retry).
    pub already_submitted: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CheckStepsRequest {
    pub cluster_id: String,
    pub step_ids: Vec<String>,
    #[serde(default)]
    pub poll_interval_seconds: Option<u32>,
    /// With ExecutionStartTime and CheckTime (both RFC 3339, from the state machine's context
    /// object): steps still running after this many minutes are PipelineTimedOut.
    #[serde(default)]
    pub max_run_minutes: Option<u32>,
    #[serde(default)]
    pub execution_start_time: Option<String>,
    #[serde(default)]
    pub check_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StepReport {
    pub step_id: String,
    pub name: String,
    pub state: String,
    pub action_on_failure: Option<String>,
    pub created_at: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub failure_details: Option<FailureDetails>,
    pub log_location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CheckStepsResponse {
    pub verdict: String,
    pub cluster_state: String,
    pub next_check_seconds: u32,
    pub steps: Vec<StepReport>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TerminateClusterRequest {
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub execution_name: String,
    pub pipeline_name: String,
    pub terminate_cluster: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TerminateClusterResponse {
    pub cluster_id: Option<String>,
    pub terminated: bool,
    pub state: Option<String>,
    pub note: String,
}

/// The handlers, sharing one EMR client; built once per Lambda cold start.
pub struct Handlers {
    emr: Arc<dyn EmrApi>,
    default_pipeline: Option<PipelineSpec>,
    region: String,
}

fn parse_payload<T: DeserializeOwned>(
    function: Function,
    payload: Value,
) -> Result<T, EmrflowError> {
    serde_path_to_error::deserialize(payload)
        .map_err(|error| invalid_at_path(&format!("{} input", function.name()), error))
}

fn to_payload<T: Serialize>(response: &T) -> Result<Value, EmrflowError> {
    serde_json::to_value(response).map_err(|error| {
        EmrflowError::new(
            ErrorName::AwsTransient,
            format!("cannot serialize the handler response: {error}"),
        )
    })
}

fn parse_pipeline(value: Value) -> Result<PipelineSpec, EmrflowError> {
    PipelineSpec::from_value(value).map_err(|error| error.with_context("key Pipeline"))
}

impl Handlers {
    pub fn new(emr: Arc<dyn EmrApi>, default_pipeline: PipelineSpec, region: String) -> Self {
        Handlers {
            emr,
            default_pipeline: Some(default_pipeline),
            region,
        }
    }

    /// Handlers for the functions that never read the deployed default pipeline (all but
    /// validate-input, which then requires the execution input to carry a `Pipeline`).
    pub fn without_default_pipeline(emr: Arc<dyn EmrApi>, region: String) -> Self {
        Handlers {
            emr,
            default_pipeline: None,
            region,
        }
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
        match function {
            Function::ValidateInput => {
                to_payload(&self.validate_input(parse_payload(function, payload)?)?)
            }
            Function::EnsureCluster => to_payload(
                &self
                    .ensure_cluster(parse_payload(function, payload)?)
                    .await?,
            ),
            Function::TerminationProtection => to_payload(
                &self
                    .termination_protection(parse_payload(function, payload)?)
                    .await?,
            ),
            Function::AddSteps => {
                to_payload(&self.add_steps(parse_payload(function, payload)?).await?)
            }
            Function::CheckSteps => {
                to_payload(&self.check_steps(parse_payload(function, payload)?).await?)
            }
            Function::TerminateCluster => to_payload(
                &self
                    .terminate_cluster(parse_payload(function, payload)?)
                    .await?,
            ),
        }
    }

    /// validate-input: normalizes the execution input; makes no EMR call.
    pub fn validate_input(
        &self,
        request: ValidateInputRequest,
    ) -> Result<NormalizedInput, EmrflowError> {
        let start_time = DateTime::parse_from_rfc3339(&request.start_time)
            .map_err(|error| {
                EmrflowError::invalid_input(format!(
                    "key StartTime: '{}' is not an RFC 3339 time: {error}",
                    request.start_time
                ))
            })?
            .with_timezone(&Utc);
        ExecutionInput::from_value(request.input)?.normalize(
            &request.execution_name,
            start_time,
            self.default_pipeline.as_ref(),
            &self.region,
        )
    }

    /// DescribeCluster, with EMR's "not valid" rejection of an unknown id as ClusterNotFound.
    async fn describe_existing(
        &self,
        cluster_id: &str,
    ) -> Result<ClusterDescription, EmrflowError> {
        self.emr
            .describe_cluster(cluster_id)
            .await
            .map_err(|error| match error.name() {
                ErrorName::AwsRequestRejected | ErrorName::ClusterNotFound => {
                    EmrflowError::cluster_not_found(format!(
                        "cluster {cluster_id} does not exist (EMR: {})",
                        error.message()
                    ))
                }
                _ => error.with_context(format!("DescribeCluster {cluster_id}")),
            })
    }

    /// The cluster this execution of this pipeline created: among the live clusters, or,
    /// given the execution's start, among every cluster created since then (ended ones too).
    async fn find_execution_cluster(
        &self,
        pipeline_name: &str,
        execution_name: &str,
        execution_start: Option<DateTime<Utc>>,
    ) -> Result<Option<ClusterDescription>, EmrflowError> {
        let expected_name = cluster_name(pipeline_name, execution_name);
        let summaries = match execution_start {
            // EMR's clock and ours may differ a little: look a few minutes further back.
            Some(start) => {
                let since = start - chrono::Duration::minutes(5);
                self.emr
                    .list_clusters(&ALL_CLUSTER_STATES, Some(since))
                    .await?
            }
            None => {
                self.emr
                    .list_clusters(&NOT_TERMINATED_CLUSTER_STATES, None)
                    .await?
            }
        };
        for summary in summaries.iter().filter(|s| s.name == expected_name) {
            let description = self.emr.describe_cluster(&summary.id).await?;
            let tagged_for_us = description.tags.get(EXECUTION_TAG).map(String::as_str)
                == Some(execution_name)
                && description.tags.get(PIPELINE_TAG).map(String::as_str) == Some(pipeline_name);
            if tagged_for_us {
                return Ok(Some(description));
            }
        }
        Ok(None)
    }

    /// ensure-cluster: creates this execution's cluster (once) or checks the reused one.
    pub async fn ensure_cluster(
        &self,
        request: EnsureClusterRequest,
    ) -> Result<EnsureClusterResponse, EmrflowError> {
        check_execution_name(&request.execution_name)?;
        let pipeline = parse_pipeline(request.pipeline)?;
        if !request.create_cluster {
            let cluster_id = request.cluster_id.ok_or_else(|| {
                EmrflowError::invalid_input("key ClusterId: required when CreateCluster is false")
            })?;
            check_cluster_id(&cluster_id, "ClusterId")?;
            let cluster = self.describe_existing(&cluster_id).await?;
            if !cluster.accepts_steps() {
                return Err(EmrflowError::cluster_not_usable(format!(
                    "cluster {cluster_id} ('{}') cannot be reused: it is {}; a reused cluster must be STARTING, BOOTSTRAPPING, RUNNING or WAITING",
                    cluster.name,
                    cluster.state_with_reason()
                )));
            }
            return Ok(EnsureClusterResponse {
                cluster_id,
                created: false,
                cluster_name: cluster.name,
                state: cluster.state,
                log_uri: cluster.log_uri,
                termination_protected: cluster.termination_protected,
            });
        }
        if let Some(id) = request.cluster_id {
            return Err(EmrflowError::invalid_input(format!(
                "key ClusterId: '{id}' is given but CreateCluster is true"
            )));
        }
        // RunJobFlow has no client token: a retry after a lost response must find the cluster
        // the first attempt created instead of starting a second one.
        let execution_start = request
            .execution_start_time
            .as_deref()
            .map(|text| parse_time("ExecutionStartTime", text))
            .transpose()?;
        if let Some(existing) = self
            .find_execution_cluster(&pipeline.name, &request.execution_name, execution_start)
            .await?
        {
            if existing.is_ending_or_ended() {
                return Err(EmrflowError::new(ErrorName::ClusterFailed, format!(
                    "cluster {} created by execution {} is {}; emrflow does not start a second cluster for one execution",
                    existing.id,
                    request.execution_name,
                    existing.state_with_reason()
                )));
            }
            tracing::info!(cluster_id = %existing.id, "found the cluster this execution already created");
            return Ok(EnsureClusterResponse {
                cluster_id: existing.id,
                created: true,
                cluster_name: existing.name,
                state: existing.state,
                log_uri: existing.log_uri,
                termination_protected: existing.termination_protected,
            });
        }
        let launch = pipeline.cluster_launch(&request.execution_name);
        let cluster_id = self.emr.run_job_flow(&launch).await.map_err(|error| {
            error.with_context(format!("RunJobFlow for cluster '{}'", launch.name))
        })?;
        tracing::info!(%cluster_id, name = %launch.name, "created cluster");
        Ok(EnsureClusterResponse {
            cluster_id,
            created: true,
            cluster_name: launch.name,
            state: "STARTING".to_string(),
            log_uri: launch.config.log_uri,
            termination_protected: false,
        })
    }

    /// termination-protection: sets protection and returns the previous setting.
    pub async fn termination_protection(
        &self,
        request: TerminationProtectionRequest,
    ) -> Result<TerminationProtectionResponse, EmrflowError> {
        check_cluster_id(&request.cluster_id, "ClusterId")?;
        let cluster = self.describe_existing(&request.cluster_id).await?;
        let previous = cluster.termination_protected;
        if cluster.is_ending_or_ended() {
            if request.protected {
                return Err(EmrflowError::cluster_not_usable(format!(
                    "cannot protect cluster {}: it is {}",
                    request.cluster_id,
                    cluster.state_with_reason()
                )));
            }
            // Nothing left to unprotect: cleanup after a dead cluster must not fail here.
            return Ok(TerminationProtectionResponse {
                cluster_id: request.cluster_id,
                protected: previous,
                previous,
            });
        }
        if previous != request.protected {
            self.emr
                .set_termination_protection(&request.cluster_id, request.protected)
                .await
                .map_err(|error| {
                    error.with_context(format!("SetTerminationProtection {}", request.cluster_id))
                })?;
        }
        Ok(TerminationProtectionResponse {
            cluster_id: request.cluster_id,
            protected: request.protected,
            previous,
        })
    }

    /// add-steps: submits the pipeline's steps once per execution, in spec order.
    pub async fn add_steps(
        &self,
        request: AddStepsRequest,
    ) -> Result<AddStepsResponse, EmrflowError> {
        check_cluster_id(&request.cluster_id, "ClusterId")?;
        check_execution_name(&request.execution_name)?;
        let pipeline = parse_pipeline(request.pipeline)?;
        if let Some(placeholder) = pipeline.first_unrendered_placeholder() {
            return Err(EmrflowError::invalid_input(format!(
                "key Pipeline: placeholder {placeholder} is not rendered; pass the pipeline through validate-input first"
            )));
        }
        pipeline.check_execution_limits(&request.execution_name, &self.region)?;
        let cluster_id = request.cluster_id;
        let cluster = self.describe_existing(&cluster_id).await?;
        if !cluster.accepts_steps() {
            return Err(EmrflowError::cluster_not_usable(format!(
                "cluster {cluster_id} cannot take steps: it is {}; EMR adds steps only to a STARTING, BOOTSTRAPPING, RUNNING or WAITING cluster",
                cluster.state_with_reason()
            )));
        }
        check_steps_fit_concurrency(&pipeline, &cluster_id, cluster.step_concurrency_level)?;

        let existing_steps = self.emr.list_steps(&cluster_id, &[]).await?;
        let compiled = pipeline.compile_steps(&request.execution_name, &self.region);
        // EMR lists the newest step first; keep the oldest copy of a name as the canonical one.
        let mut existing_by_name: BTreeMap<&str, &str> = BTreeMap::new();
        for step in existing_steps.iter().rev() {
            existing_by_name
                .entry(step.name.as_str())
                .or_insert(step.id.as_str());
        }
        let missing: Vec<_> = compiled
            .iter()
            .filter(|step| !existing_by_name.contains_key(step.name.as_str()))
            .cloned()
            .collect();
        let active = existing_steps
            .iter()
            .filter(|step| ACTIVE_STEP_STATES.contains(&step.state.as_str()))
            .count();
        if active + missing.len() > MAX_ACTIVE_STEPS {
            return Err(EmrflowError::cluster_not_usable(format!(
                "cluster {cluster_id} has {active} active (PENDING/RUNNING) steps; adding {} would exceed EMR's limit of {MAX_ACTIVE_STEPS}",
                missing.len()
            )));
        }
        let new_ids = if missing.is_empty() {
            Vec::new()
        } else {
            self.emr
                .add_job_flow_steps(&cluster_id, &missing)
                .await
                .map_err(|error| {
                    error.with_context(format!("AddJobFlowSteps on cluster {cluster_id}"))
                })?
        };
        if new_ids.len() != missing.len() {
            return Err(EmrflowError::new(
                ErrorName::AwsTransient,
                format!(
                    "AddJobFlowSteps on cluster {cluster_id} returned {} step ids for {} steps",
                    new_ids.len(),
                    missing.len()
                ),
            ));
        }
        let mut new_by_name: BTreeMap<&str, &str> = BTreeMap::new();
        for (step, id) in missing.iter().zip(&new_ids) {
            new_by_name.insert(step.name.as_str(), id.as_str());
        }
        let mut steps = Vec::with_capacity(compiled.len());
        for step in &compiled {
            let id = existing_by_name
                .get(step.name.as_str())
                .or_else(|| new_by_name.get(step.name.as_str()))
                .copied()
                .unwrap_or_default();
            steps.push(SubmittedStep {
                name: step.name.clone(),
                step_id: id.to_string(),
            });
        }
        Ok(AddStepsResponse {
            cluster_id,
            step_ids: steps.iter().map(|step| step.step_id.clone()).collect(),
            steps,
            already_submitted: missing.len() < compiled.len(),
        })
    }

    /// check-steps: one look at the steps and the cluster; a failed verdict is an error.
    pub async fn check_steps(
        &self,
        request: CheckStepsRequest,
    ) -> Result<CheckStepsResponse, EmrflowError> {
        check_cluster_id(&request.cluster_id, "ClusterId")?;
        if request.step_ids.is_empty() {
            return Err(EmrflowError::invalid_input(
                "key StepIds: at least one step id is required",
            ));
        }
        let poll = request
            .poll_interval_seconds
            .unwrap_or(DEFAULT_POLL_INTERVAL_SECONDS);
        if !(1..=MAX_POLL_SECONDS).contains(&poll) {
            return Err(EmrflowError::invalid_input(format!(
                "key PollIntervalSeconds: {poll} is outside 1..={MAX_POLL_SECONDS}"
            )));
        }
        let run_time_limit = request.run_time_limit()?;
        let cluster_id = request.cluster_id;
        let listed = self
            .emr
            .list_steps(&cluster_id, &request.step_ids)
            .await
            .map_err(|error| match error.name() {
                ErrorName::AwsRequestRejected => EmrflowError::cluster_not_found(format!(
                    "cannot list steps of cluster {cluster_id} (EMR: {})",
                    error.message()
                )),
                _ => error.with_context(format!("ListSteps on cluster {cluster_id}")),
            })?;
        let cluster = self.describe_existing(&cluster_id).await?;
        let mut steps: Vec<&StepSummary> = Vec::with_capacity(request.step_ids.len());
        for id in &request.step_ids {
            let step = listed.iter().find(|step| &step.id == id).ok_or_else(|| {
                EmrflowError::invalid_input(format!(
                    "key StepIds: step {id} does not exist on cluster {cluster_id}"
                ))
            })?;
            steps.push(step);
        }
        let reports: Vec<StepReport> = steps
            .iter()
            .map(|step| step_report(step, &cluster_id, cluster.log_uri.as_deref()))
            .collect();

        if let Some(error) = failed_verdict(&cluster, &steps) {
            return Err(error);
        }
        let all_completed = steps.iter().all(|step| step.state == "COMPLETED");
        if !all_completed {
            if let Some(error) = run_time_exceeded(&run_time_limit, &cluster, &steps) {
                return Err(error);
            }
        }
        let next_check_seconds = if matches!(cluster.state.as_str(), "STARTING" | "BOOTSTRAPPING") {
            poll.max((poll * STARTING_POLL_FACTOR).min(STARTING_POLL_CAP_SECONDS))
        } else {
            poll
        };
        Ok(CheckStepsResponse {
            verdict: if all_completed {
                "COMPLETED"
            } else {
                "RUNNING"
            }
            .to_string(),
            cluster_state: cluster.state,
            next_check_seconds,
            steps: reports,
        })
    }

    /// terminate-cluster: terminates the execution's cluster; safe to call again.
    pub async fn terminate_cluster(
        &self,
        request: TerminateClusterRequest,
    ) -> Result<TerminateClusterResponse, EmrflowError> {
        if !request.terminate_cluster {
            return Err(EmrflowError::invalid_input(
                "key TerminateCluster: is false; terminate-cluster only runs when TerminateCluster is true",
            ));
        }
        check_execution_name(&request.execution_name)?;
        let cluster = match &request.cluster_id {
            Some(cluster_id) => {
                check_cluster_id(cluster_id, "ClusterId")?;
                self.describe_existing(cluster_id).await?
            }
            None => match self
                .find_execution_cluster(&request.pipeline_name, &request.execution_name, None)
                .await?
            {
                Some(cluster) => cluster,
                None => {
                    return Ok(TerminateClusterResponse {
                        cluster_id: None,
                        terminated: false,
                        state: None,
                        note: format!(
                            "no live cluster named '{}' and tagged with execution {} was found: nothing to terminate",
                            cluster_name(&request.pipeline_name, &request.execution_name),
                            request.execution_name
                        ),
                    })
                }
            },
        };
        if cluster.is_ending_or_ended() {
            return Ok(TerminateClusterResponse {
                note: format!(
                    "cluster {} was already {}",
                    cluster.id,
                    cluster.state_with_reason()
                ),
                cluster_id: Some(cluster.id),
                terminated: true,
                state: Some(cluster.state),
            });
        }
        if cluster.termination_protected {
            return Err(EmrflowError::new(
                ErrorName::ClusterProtected,
                format!(
                    "cluster {} ('{}') has termination protection on; turn it off (termination-protection with Protected false) before terminating it",
                    cluster.id, cluster.name
                ),
            ));
        }
        self.emr
            .terminate_job_flows(&cluster.id)
            .await
            .map_err(|error| error.with_context(format!("TerminateJobFlows {}", cluster.id)))?;
        Ok(TerminateClusterResponse {
            note: format!("termination of cluster {} requested", cluster.id),
            cluster_id: Some(cluster.id),
            terminated: true,
            state: Some("TERMINATING".to_string()),
        })
    }
}

fn step_report(step: &StepSummary, cluster_id: &str, log_uri: Option<&str>) -> StepReport {
    StepReport {
        step_id: step.id.clone(),
        name: step.name.clone(),
        state: step.state.clone(),
        action_on_failure: step.action_on_failure.clone(),
        created_at: step.created_at.clone(),
        started_at: step.started_at.clone(),
        ended_at: step.ended_at.clone(),
        failure_details: step.failure_details.clone(),
        log_location: log_uri.map(|uri| {
            format!(
                "{}/{cluster_id}/steps/{}/",
                uri.trim_end_matches('/'),
                step.id
            )
        }),
    }
}

fn describe_failure(details: Option<&FailureDetails>) -> String {
    let Some(details) = details else {
        return "EMR gave no failure details".to_string();
    };
    let mut parts = Vec::new();
    if let Some(reason) = &details.reason {
        parts.push(format!("reason: {reason}"));
    }
    if let Some(message) = &details.message {
        parts.push(format!("message: {message}"));
    }
    if let Some(log_file) = &details.log_file {
        parts.push(format!("log file: {log_file}"));
    }
    if parts.is_empty() {
        "EMR gave no failure details".to_string()
    } else {
        parts.join("; ")
    }
}

fn others_summary(steps: &[&StepSummary], except_id: &str) -> String {
    let others: Vec<String> = steps
        .iter()
        .filter(|step| step.id != except_id)
        .map(|step| format!("'{}' ({}) {}", step.name, step.id, step.state))
        .collect();
    if others.is_empty() {
        "no other steps".to_string()
    } else {
        format!("other steps: {}", others.join(", "))
    }
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

/// `'name' (id) STATE, …` for every step that has not completed.
fn unfinished_steps(steps: &[&StepSummary]) -> String {
    steps
        .iter()
        .filter(|step| step.state != "COMPLETED")
        .map(|step| format!("'{}' ({}) {}", step.name, step.id, step.state))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How long the steps have run, and for how long they may.
struct RunTimeLimit {
    elapsed: chrono::Duration,
    max_minutes: u32,
}

impl CheckStepsRequest {
    fn run_time_limit(&self) -> Result<Option<RunTimeLimit>, EmrflowError> {
        let (Some(max_minutes), Some(start), Some(now)) = (
            self.max_run_minutes,
            &self.execution_start_time,
            &self.check_time,
        ) else {
            return Ok(None);
        };
        let elapsed = parse_time("CheckTime", now)? - parse_time("ExecutionStartTime", start)?;
        Ok(Some(RunTimeLimit {
            elapsed,
            max_minutes,
        }))
    }
}

/// PipelineTimedOut when unfinished steps have run past MaxRunMinutes.
fn run_time_exceeded(
    limit: &Option<RunTimeLimit>,
    cluster: &ClusterDescription,
    steps: &[&StepSummary],
) -> Option<EmrflowError> {
    let limit = limit.as_ref()?;
    if limit.elapsed <= chrono::Duration::minutes(i64::from(limit.max_minutes)) {
        return None;
    }
    Some(EmrflowError::new(
        ErrorName::PipelineTimedOut,
        format!(
            "the pipeline has run {} minutes on cluster {} ({}), over its MaxRunMinutes of {}; unfinished steps: {}",
            limit.elapsed.num_minutes(),
            cluster.id,
            cluster.state_with_reason(),
            limit.max_minutes,
            unfinished_steps(steps)
        ),
    ))
}

/// The error of a failed run, or None while it may still succeed (or has succeeded).
fn failed_verdict(cluster: &ClusterDescription, steps: &[&StepSummary]) -> Option<EmrflowError> {
    let all_terminal = steps
        .iter()
        .all(|step| TERMINAL_STEP_STATES.contains(&step.state.as_str()));
    let cluster_dying = cluster.is_ending_or_ended();
    if !all_terminal && !cluster_dying {
        return None;
    }
    let first_in = |state: &str| steps.iter().find(|step| step.state == state);
    if let Some(failed) = first_in("FAILED") {
        return Some(EmrflowError::new(
            ErrorName::StepFailed,
            format!(
                "step '{}' ({}) FAILED on cluster {} (cluster {}): {}; {}",
                failed.name,
                failed.id,
                cluster.id,
                cluster.state_with_reason(),
                describe_failure(failed.failure_details.as_ref()),
                others_summary(steps, &failed.id)
            ),
        ));
    }
    // A dead cluster interrupts and cancels its steps: the cluster is the cause to report.
    let all_completed = steps.iter().all(|step| step.state == "COMPLETED");
    if cluster_dying && !all_completed {
        return Some(EmrflowError::new(
            ErrorName::ClusterFailed,
            format!(
                "cluster {} is {} before all steps completed; unfinished steps: {}",
                cluster.id,
                cluster.state_with_reason(),
                unfinished_steps(steps)
            ),
        ));
    }
    if all_terminal {
        for (state, name) in [
            ("CANCELLED", ErrorName::StepCancelled),
            ("INTERRUPTED", ErrorName::StepInterrupted),
        ] {
            if let Some(step) = first_in(state) {
                return Some(EmrflowError::new(
                    name,
                    format!(
                        "step '{}' ({}) was {state} on cluster {} (cluster {}); {}",
                        step.name,
                        step.id,
                        cluster.id,
                        cluster.state_with_reason(),
                        others_summary(steps, &step.id)
                    ),
                ));
            }
        }
    }
    None
}
