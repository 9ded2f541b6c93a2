//! check-steps (state Check_Steps): one look at the steps and the cluster; a failed run is
//! an error (the verdict in `verdict.rs`), a run still going says when to look again.

use emrflow_vocabulary::logs::step_log_prefix;
use serde::{Deserialize, Serialize};

use super::verdict::{failed_verdict, run_time_exceeded, RunTimeLimit};
use super::{parse_time, Handlers};
use crate::emr::{ActionOnFailure, ClusterState, FailureDetails, StepState, StepSummary};
use crate::input::check_cluster_id;
use crate::pipeline::{DEFAULT_POLL_INTERVAL_SECONDS, POLL_INTERVAL_SECONDS};
use crate::{EmrflowError, ErrorName};

/// While a cluster is still starting (typically 5 to 15 minutes on EMR) steps cannot run, so
/// polls are spaced STARTING_POLL_FACTOR times further apart, up to STARTING_POLL_CAP_SECONDS
/// (never below the configured interval).
const STARTING_POLL_FACTOR: u32 = 4;
const STARTING_POLL_CAP_SECONDS: u32 = 300;

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
    pub state: StepState,
    pub action_on_failure: Option<ActionOnFailure>,
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
    pub cluster_state: ClusterState,
    pub next_check_seconds: u32,
    pub steps: Vec<StepReport>,
}

impl StepReport {
    fn of(step: &StepSummary, cluster_id: &str, log_uri: Option<&str>) -> Self {
        StepReport {
            step_id: step.id.clone(),
            name: step.name.clone(),
            state: step.state,
            action_on_failure: step.action_on_failure,
            created_at: step.created_at.clone(),
            started_at: step.started_at.clone(),
            ended_at: step.ended_at.clone(),
            failure_details: step.failure_details.clone(),
            log_location: log_uri.map(|uri| step_log_prefix(uri, cluster_id, &step.id)),
        }
    }
}

impl CheckStepsRequest {
    fn poll_interval(&self) -> Result<u32, EmrflowError> {
        let poll = self
            .poll_interval_seconds
            .unwrap_or(DEFAULT_POLL_INTERVAL_SECONDS);
        if !POLL_INTERVAL_SECONDS.contains(&poll) {
            return Err(EmrflowError::invalid_input(format!(
                "key PollIntervalSeconds: {poll} is outside {}..={}",
                POLL_INTERVAL_SECONDS.start(),
                POLL_INTERVAL_SECONDS.end()
            )));
        }
        Ok(poll)
    }

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

impl Handlers {
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
        let poll = request.poll_interval()?;
        let run_time_limit = request.run_time_limit()?;
        let cluster_id = &request.cluster_id;
        let listed = self
            .emr
            .list_steps(cluster_id, &request.step_ids)
            .await
            .map_err(|error| match error.name() {
                ErrorName::AwsRequestRejected => EmrflowError::cluster_not_found(format!(
                    "cannot list steps of cluster {cluster_id} (EMR: {})",
                    error.message()
                )),
                _ => error.with_context(format!("ListSteps on cluster {cluster_id}")),
            })?;
        let cluster = self.describe_existing(cluster_id).await?;
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
            .map(|step| StepReport::of(step, cluster_id, cluster.log_uri.as_deref()))
            .collect();

        if let Some(error) = failed_verdict(&cluster, &steps) {
            return Err(error);
        }
        let all_completed = steps.iter().all(|step| step.state == StepState::Completed);
        if !all_completed {
            if let Some(error) = run_time_exceeded(&run_time_limit, &cluster, &steps) {
                return Err(error);
            }
        }
        let next_check_seconds = if cluster.state.is_starting() {
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
}
