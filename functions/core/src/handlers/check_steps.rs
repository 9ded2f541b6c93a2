//! check-steps (state Check_Steps): one look at the cluster and at this execution's steps,
//! judged against the graph. It cancels what must stop (timeouts, a stopped pipeline), ends
//! the cluster for a TERMINATE_CLUSTER failure, and says what comes next: submit ready steps,
//! wait (for EMR's events, at the latest until the next deadline, or a timer), done — or
//! failed, with the error, the cause (the verdict in `verdict.rs`) and every step's report,
//! which the state machine hands to cleanup as it would a caught error. So the history keeps
//! the report of every run that got this far, failed ones too.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::budget::{budget_due, budget_exceeded, hourly_rate};
use super::report::{fit_report, step_reports, StepReport};
use super::state_size::worst_case_report_bytes;
use super::verdict::{failed_verdict, run_time_exceeded};
use super::{Handler, Now};
use crate::cost::{estimate, unknown_cost, Cost, CostWindow, Prices};
use crate::deployment::Deployment;
use crate::emr::{ClusterDescription, ClusterState, EmrApi, StepState, StepSummary};
use crate::graph::evaluate::NodeView;
use crate::graph::{evaluate, Evaluation, Graph, NodeStatus};
use crate::input::{check_cluster_id, derive, parse_time, ExecutionRef};
use crate::lookup::{describe_existing, was_created_by};
use crate::pipeline::{PipelineSpec, StepCompletion};
use crate::{EmrflowError, ErrorName};

/// While a cluster is still starting (typically 5 to 15 minutes on EMR) steps cannot run, so
/// polls are spaced STARTING_POLL_FACTOR times further apart, up to STARTING_POLL_CAP_SECONDS
/// (never below the configured interval).
const STARTING_POLL_FACTOR: u32 = 4;
const STARTING_POLL_CAP_SECONDS: u32 = 300;
/// A throttled look is tried again later, never failed: throttling is EMR saying "later".
const THROTTLED_WAIT_SECONDS: u32 = 60;
/// ListSteps' newest-first look stops at steps older than the execution by this margin.
const CLOCK_SKEW_MINUTES: i64 = 5;
/// The longest wait for EMR's events (the event wait's HeartbeatSeconds): a lost event costs
/// at most this. A retry, a timeout or MaxRunMinutes falling due sooner shortens the wait.
pub const EVENT_HEARTBEAT_SECONDS: u32 = 3600;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CheckStepsRequest {
    pub cluster_id: String,
    pub execution: ExecutionRef,
    /// `$$.State.EnteredTime`: with the execution's start, how long the run has taken
    /// (MaxRunMinutes).
    #[serde(default)]
    pub check_time: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// Steps are running or waiting: look again later.
    Running,
    /// Steps became ready (a dependency ended, a retry fell due): submit them now.
    Submit,
    /// Every step has ended and the run succeeded.
    Completed,
    /// The run failed: Error and Cause say why, Steps reports every step.
    Failed,
}

/// How the state machine waits for the next look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WakeOn {
    /// A task token woken by EMR's step and cluster events, or at the latest after
    /// NextCheckSeconds (its HeartbeatSeconds): the next deadline, or the net for a lost event.
    Events,
    /// A Wait of NextCheckSeconds (polling, or a step whose start no event announces).
    Timer,
}

/// How many steps stand where (a progress line).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Progress {
    pub completed: u32,
    pub running: u32,
    /// Submitted, PENDING on EMR: queued behind StepConcurrencyLevel (or a starting cluster).
    #[serde(default)]
    pub queued: u32,
    pub waiting: u32,
    pub failed: u32,
    pub skipped: u32,
}

/// Whether a step's attempt is queued on EMR (PENDING), not running yet.
fn is_queued(view: &NodeView<'_>) -> bool {
    view.status == NodeStatus::Active
        && view
            .last_attempt()
            .is_some_and(|step| step.state == StepState::Pending)
}

impl Progress {
    fn of(evaluation: &Evaluation<'_>) -> Progress {
        let mut progress = Progress::default();
        for node in &evaluation.nodes {
            let count = match node.status {
                NodeStatus::Succeeded => &mut progress.completed,
                NodeStatus::Active if is_queued(node) => &mut progress.queued,
                NodeStatus::Active => &mut progress.running,
                NodeStatus::Failed(_) => &mut progress.failed,
                NodeStatus::Skipped(_) | NodeStatus::CompletedElsewhere(_) => &mut progress.skipped,
                _ => &mut progress.waiting,
            };
            *count += 1;
        }
        progress
    }

    pub(super) fn worst_case() -> Progress {
        Progress {
            completed: u32::MAX,
            running: u32::MAX,
            queued: u32::MAX,
            waiting: u32::MAX,
            failed: u32::MAX,
            skipped: u32::MAX,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CheckStepsResponse {
    pub verdict: Verdict,
    /// None when the look was throttled (nothing was seen).
    pub cluster_state: Option<ClusterState>,
    /// The timer's wait, or the longest wait for events (HeartbeatSeconds), in seconds.
    pub next_check_seconds: u32,
    pub wake_on: WakeOn,
    /// EMR step ids of this execution's active attempts (what the event wait watches).
    pub outstanding: Vec<String>,
    pub progress: Progress,
    /// Names of the steps RUNNING now (side by side in a graph); queued ones are not.
    pub running: Vec<String>,
    /// Verdict FAILED: the error name the execution ends with, and its cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Every step's report, once the run is over (succeeded or failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<StepReport>>,
    /// What the run cost, once it is over (succeeded or failed): one ListInstances. Always
    /// written (null until then): Wrapping_Up's `$.Check.Cost` must find the key whatever the
    /// look answered, or the end of a good run would fail on a missing path.
    #[serde(default)]
    pub cost: Option<Cost>,
}

/// What one look saw.
struct Look {
    cluster: ClusterDescription,
    steps: Vec<StepSummary>,
}

/// check-steps: EMR, the deployment (to re-derive the pipeline; its StepCompletion), the
/// clock retries and timeouts are judged by, and the prices a finished run's cost is
/// estimated with.
pub struct CheckSteps {
    pub emr: Arc<dyn EmrApi>,
    pub deployment: Arc<Deployment>,
    pub now: Now,
    pub prices: Arc<dyn Prices>,
}

#[async_trait]
impl Handler for CheckSteps {
    const NAME: &'static str = "check-steps";
    const PAYLOAD: &'static str = "check-steps input";
    type Request = CheckStepsRequest;
    type Response = CheckStepsResponse;

    /// One look at the steps and the cluster; a failed run is the verdict FAILED, not an error.
    async fn handle(&self, request: CheckStepsRequest) -> Result<CheckStepsResponse, EmrflowError> {
        check_cluster_id(&request.cluster_id, "ClusterId")?;
        let normalized = derive(&request.execution, &self.deployment)?;
        let pipeline = &normalized.pipeline;
        let start = parse_time("Execution.StartTime", &request.execution.start_time)?;
        let check_time = request
            .check_time
            .as_deref()
            .map(|text| parse_time("CheckTime", text))
            .transpose()?;
        let cluster_id = &request.cluster_id;
        let look = match self.look(cluster_id, start).await {
            Err(error) if error.name() == ErrorName::EmrThrottled => {
                tracing::info!(%error, "the look was throttled: looking again later");
                return Ok(self.throttled(pipeline));
            }
            other => other?,
        };
        let graph = Graph::new(pipeline).rerunning(normalized.rerun_of.as_ref());
        let now = (self.now)();
        let mut evaluation = evaluate(&graph, &look.steps, &normalized.execution_name, now);
        self.cancel(cluster_id, &graph, &evaluation).await?;
        if let Some(halt) = evaluation
            .halt
            .filter(|halt| halt.action.terminates_cluster())
        {
            self.end_cluster_for(
                &look.cluster,
                pipeline,
                &normalized.execution_name,
                &graph,
                halt.node,
            )
            .await?;
        }
        let created = was_created_by(&look.cluster, &pipeline.name, &normalized.execution_name);
        // MaxCostUSD: the cluster's hourly rate from the pipeline's shape, no EMR call.
        let rate = match pipeline.max_cost_usd {
            Some(_) if created && !evaluation.finished() => {
                Some(hourly_rate(pipeline, self.prices.as_ref(), now).await)
            }
            _ => None,
        };
        let held_from = held_since(&evaluation).unwrap_or(start);
        let failure = failed_verdict(&graph, &evaluation, &look.cluster).or_else(|| {
            let ran = &look.cluster;
            (!evaluation.finished())
                .then(|| run_time_exceeded(pipeline, start, check_time, ran, &graph, &evaluation))
                .flatten()
                .or_else(|| {
                    let rate = rate.as_ref()?;
                    budget_exceeded(pipeline, rate, held_from, now, ran, &graph, &evaluation)
                })
        });
        // The estimate reaches the budget at a time: no wait (for events) may sleep past it.
        if let (Some(rate), Some(budget)) = (&rate, pipeline.max_cost_usd) {
            if let Some(due) = budget_due(rate, budget, held_from) {
                evaluation.next_due = Some(evaluation.next_due.map_or(due, |next| next.min(due)));
            }
        }
        let mut response = match failure {
            Some(error) => failed(pipeline, &graph, &evaluation, &look.cluster, error),
            None => self.respond(pipeline, &graph, &evaluation, &look.cluster, now, start),
        };
        if matches!(response.verdict, Verdict::Completed | Verdict::Failed) {
            let window = if created {
                CostWindow::WholeLife { until: now }
            } else {
                CostWindow::Held {
                    from: held_from,
                    until: now,
                }
            };
            response.cost = Some(self.cost(cluster_id, window, now).await);
        }
        Ok(response)
    }
}

/// When this execution began holding a reused cluster: its first step's creation.
fn held_since(evaluation: &Evaluation<'_>) -> Option<DateTime<Utc>> {
    evaluation
        .nodes
        .iter()
        .flat_map(|node| node.attempts.iter())
        .filter_map(|(_, step)| step.created_at.as_deref())
        .filter_map(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.with_timezone(&Utc))
        .min()
}

impl CheckSteps {
    /// The run's cost from one ListInstances; a failed call is an unknown cost, never a
    /// failed run.
    async fn cost(&self, cluster_id: &str, window: CostWindow, now: DateTime<Utc>) -> Cost {
        match self.emr.list_instances(cluster_id).await {
            Ok(instances) => estimate(&instances, window, self.prices.as_ref()).await,
            Err(error) => {
                tracing::warn!(%error, "the run's cost is unknown: ListInstances failed");
                let why = format!("ListInstances on cluster {cluster_id} failed: {error}");
                unknown_cost(&why, now, self.prices.as_ref())
            }
        }
    }

    /// ListSteps (newest first, stopping before the execution began) and DescribeCluster.
    async fn look(&self, cluster_id: &str, start: DateTime<Utc>) -> Result<Look, EmrflowError> {
        let since = start - chrono::Duration::minutes(CLOCK_SKEW_MINUTES);
        let steps =
            self.emr
                .list_steps_since(cluster_id, since)
                .await
                .map_err(|error| match error.name() {
                    ErrorName::AwsRequestRejected => EmrflowError::cluster_not_found(format!(
                        "cannot list steps of cluster {cluster_id} (EMR: {})",
                        error.message()
                    )),
                    _ => error.with_context(format!("ListSteps on cluster {cluster_id}")),
                })?;
        let cluster = describe_existing(self.emr.as_ref(), cluster_id).await?;
        Ok(Look { cluster, steps })
    }

    /// CancelSteps for timed-out attempts and, once the pipeline stopped, every active one.
    async fn cancel(
        &self,
        cluster_id: &str,
        graph: &Graph<'_>,
        evaluation: &Evaluation<'_>,
    ) -> Result<(), EmrflowError> {
        if evaluation.to_cancel.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = evaluation
            .to_cancel
            .iter()
            .map(|cancel| cancel.step_id.clone())
            .collect();
        for cancel in &evaluation.to_cancel {
            let why = if cancel.timed_out {
                "ran past its TimeoutSeconds"
            } else {
                "the pipeline stopped"
            };
            tracing::info!(step = %graph.nodes[cancel.node].spec.name, step_id = %cancel.step_id, "cancelling: {why}");
        }
        self.emr
            .cancel_steps(cluster_id, &ids)
            .await
            .map_err(|error| error.with_context(format!("CancelSteps on cluster {cluster_id}")))?;
        Ok(())
    }

    /// TERMINATE_CLUSTER in a graph: emrflow does what EMR would, for a cluster this
    /// execution created (protection off, then terminate). A reused cluster is left running.
    async fn end_cluster_for(
        &self,
        cluster: &ClusterDescription,
        pipeline: &PipelineSpec,
        execution_name: &str,
        graph: &Graph<'_>,
        node: usize,
    ) -> Result<(), EmrflowError> {
        if cluster.state.is_ending() || !was_created_by(cluster, &pipeline.name, execution_name) {
            return Ok(());
        }
        tracing::info!(cluster_id = %cluster.id, step = %graph.nodes[node].spec.name, "TERMINATE_CLUSTER: terminating the cluster");
        if cluster.termination_protected {
            self.emr
                .set_termination_protection(&cluster.id, false)
                .await?;
        }
        self.emr
            .terminate_job_flows(&cluster.id)
            .await
            .map_err(|error| error.with_context(format!("TerminateJobFlows {}", cluster.id)))
    }

    fn respond(
        &self,
        pipeline: &PipelineSpec,
        graph: &Graph<'_>,
        evaluation: &Evaluation<'_>,
        cluster: &ClusterDescription,
        now: DateTime<Utc>,
        start: DateTime<Utc>,
    ) -> CheckStepsResponse {
        let poll = pipeline.poll_interval_seconds();
        let finished = evaluation.finished();
        let verdict = if finished {
            Verdict::Completed
        } else if evaluation.to_submit.is_empty() {
            Verdict::Running
        } else {
            Verdict::Submit
        };
        let seconds_until =
            |at: DateTime<Utc>| u32::try_from((at - now).num_seconds().max(1)).unwrap_or(u32::MAX);
        let due_in = evaluation.next_due.map(seconds_until);
        // MaxRunMinutes falls due too: no wait may sleep past it.
        let run_ends = start + chrono::Duration::minutes(i64::from(pipeline.max_run_minutes()));
        let events = self.deployment.step_completion_of(pipeline) == StepCompletion::Events
            && !evaluation.timer_needed;
        let (wake_on, next) = if events {
            // Woken by the event that ends a step, else at the next deadline (a timeout, a
            // retry, MaxRunMinutes) or, with none near, after the heartbeat: never by a poll.
            let deadline = due_in.into_iter().chain([seconds_until(run_ends)]).min();
            let wait = deadline.map_or(EVENT_HEARTBEAT_SECONDS, |due| {
                due.min(EVENT_HEARTBEAT_SECONDS)
            });
            (WakeOn::Events, wait)
        } else {
            let mut next = if cluster.state.is_starting() {
                poll.max((poll * STARTING_POLL_FACTOR).min(STARTING_POLL_CAP_SECONDS))
            } else {
                poll
            };
            if let Some(due_in) = due_in {
                next = next.min(due_in);
            }
            (WakeOn::Timer, next)
        };
        CheckStepsResponse {
            verdict,
            cluster_state: Some(cluster.state),
            next_check_seconds: next,
            wake_on,
            outstanding: evaluation.outstanding(),
            progress: Progress::of(evaluation),
            running: running_steps(graph, evaluation),
            error: None,
            cause: None,
            steps: finished.then(|| {
                step_reports(
                    graph,
                    &evaluation.nodes,
                    &cluster.id,
                    cluster.log_uri.as_deref(),
                )
            }),
            cost: None,
        }
    }

    /// A throttled look changes nothing: wait longer, then look again.
    fn throttled(&self, pipeline: &PipelineSpec) -> CheckStepsResponse {
        // Spread the retries of executions throttled together.
        let jitter = (self.now)().timestamp_subsec_millis() % 30;
        CheckStepsResponse {
            verdict: Verdict::Running,
            cluster_state: None,
            next_check_seconds: pipeline.poll_interval_seconds().max(THROTTLED_WAIT_SECONDS)
                + jitter,
            wake_on: WakeOn::Timer,
            outstanding: Vec::new(),
            progress: Progress::default(),
            running: Vec::new(),
            error: None,
            cause: None,
            steps: None,
            cost: None,
        }
    }
}

/// The names of the steps whose attempt is RUNNING (not queued) on EMR.
fn running_steps(graph: &Graph<'_>, evaluation: &Evaluation<'_>) -> Vec<String> {
    graph
        .nodes
        .iter()
        .zip(&evaluation.nodes)
        .filter(|(_, view)| view.status == NodeStatus::Active && !is_queued(view))
        .map(|(node, _)| node.spec.name.clone())
        .collect()
}

/// Verdict FAILED: the error and cause the execution ends with, and every step's report,
/// fitted into the size a succeeded run's report may take (the state's worst case holds).
fn failed(
    pipeline: &PipelineSpec,
    graph: &Graph<'_>,
    evaluation: &Evaluation<'_>,
    cluster: &ClusterDescription,
    error: EmrflowError,
) -> CheckStepsResponse {
    tracing::info!(error_type = error.name().as_str(), message = %error, "the run failed");
    let reports = step_reports(
        graph,
        &evaluation.nodes,
        &cluster.id,
        cluster.log_uri.as_deref(),
    );
    CheckStepsResponse {
        verdict: Verdict::Failed,
        cluster_state: Some(cluster.state),
        next_check_seconds: 0,
        wake_on: WakeOn::Timer,
        outstanding: Vec::new(),
        progress: Progress::of(evaluation),
        running: Vec::new(),
        error: Some(error.name().as_str().to_string()),
        cause: Some(error.message().to_string()),
        steps: fit_report(reports, worst_case_report_bytes(pipeline, graph)),
        cost: None,
    }
}
