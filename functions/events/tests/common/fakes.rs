//! Step Functions' callbacks and EMR, as far as the handlers use them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use emrflow_core::emr::{
    CancelOutcome, ClusterDescription, ClusterLaunch, ClusterState, ClusterSummary, EmrApi,
    InstanceSummary, StepConfig, StepState, StepSummary,
};
use emrflow_core::{EmrflowError, ErrorName};
use emrflow_events::{CallbackError, TaskCallbacks};
use serde_json::Value;

/// Step Functions' side of the callbacks: the tokens of tasks that still wait. A token is
/// answered once; after that (or for a token it never gave out) TaskDoesNotExist, as the
/// service answers.
#[derive(Default)]
pub struct FakeCallbacks {
    waiting: Mutex<BTreeSet<String>>,
    sent: Mutex<Vec<(String, Value)>>,
    fail_for: Mutex<BTreeMap<String, CallbackError>>,
}

impl FakeCallbacks {
    pub fn new(waiting_tokens: &[&str]) -> Self {
        let fake = FakeCallbacks::default();
        fake.waiting
            .lock()
            .unwrap()
            .extend(waiting_tokens.iter().map(|t| t.to_string()));
        fake
    }

    /// Every SendTaskSuccess, answered or not.
    pub fn sent(&self) -> Vec<(String, Value)> {
        self.sent.lock().unwrap().clone()
    }

    pub fn still_waiting(&self, token: &str) -> bool {
        self.waiting.lock().unwrap().contains(token)
    }

    /// SendTaskSuccess on `token` fails with `error` (e.g. throttled).
    pub fn fail_for(&self, token: &str, error: CallbackError) {
        self.fail_for.lock().unwrap().insert(token.into(), error);
    }
}

#[async_trait]
impl TaskCallbacks for FakeCallbacks {
    async fn send_task_success(
        &self,
        task_token: &str,
        output: Value,
    ) -> Result<(), CallbackError> {
        self.sent.lock().unwrap().push((task_token.into(), output));
        if let Some(error) = self.fail_for.lock().unwrap().get(task_token) {
            return Err(error.clone());
        }
        if self.waiting.lock().unwrap().remove(task_token) {
            Ok(())
        } else {
            Err(CallbackError::TaskDoesNotExist(
                "Task does not exist anymore".into(),
            ))
        }
    }
}

/// An EMR with clusters and their steps, recording every call; the operations await-steps
/// does not use fail loudly.
#[derive(Default)]
pub struct FakeEmr {
    clusters: Mutex<BTreeMap<String, (ClusterState, Vec<StepSummary>)>>,
    calls: Mutex<Vec<String>>,
    throttle: Mutex<BTreeSet<String>>,
}

impl FakeEmr {
    pub fn with_cluster(
        cluster_id: &str,
        state: ClusterState,
        steps: &[(&str, StepState)],
    ) -> Self {
        let fake = FakeEmr::default();
        fake.add_cluster(cluster_id, state, steps);
        fake
    }

    pub fn add_cluster(&self, cluster_id: &str, state: ClusterState, steps: &[(&str, StepState)]) {
        let steps = steps
            .iter()
            .map(|(id, state)| StepSummary {
                id: id.to_string(),
                name: format!("step {id}"),
                state: *state,
                action_on_failure: None,
                created_at: None,
                started_at: None,
                ended_at: None,
                failure_details: None,
            })
            .collect();
        self.lock_clusters()
            .insert(cluster_id.into(), (state, steps));
    }

    pub fn set_step(&self, cluster_id: &str, step_id: &str, state: StepState) {
        let mut clusters = self.lock_clusters();
        let (_, steps) = clusters.get_mut(cluster_id).unwrap();
        steps.iter_mut().find(|s| s.id == step_id).unwrap().state = state;
    }

    /// Every call of `operation` is throttled.
    pub fn throttle(&self, operation: &str) {
        self.throttle.lock().unwrap().insert(operation.into());
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn lock_clusters(&self) -> MutexGuard<'_, BTreeMap<String, (ClusterState, Vec<StepSummary>)>> {
        self.clusters.lock().unwrap()
    }

    fn call(
        &self,
        operation: &str,
        cluster_id: &str,
    ) -> Result<(ClusterState, Vec<StepSummary>), EmrflowError> {
        self.calls.lock().unwrap().push(operation.into());
        if self.throttle.lock().unwrap().contains(operation) {
            return Err(EmrflowError::new(
                ErrorName::EmrThrottled,
                format!("{operation}: EMR answered ThrottlingException: Rate exceeded"),
            ));
        }
        self.lock_clusters().get(cluster_id).cloned().ok_or_else(|| {
            EmrflowError::new(
                ErrorName::AwsRequestRejected,
                format!("{operation}: EMR answered InvalidRequestException: Cluster id '{cluster_id}' is not valid."),
            )
        })
    }
}

fn not_used<T>(operation: &str) -> Result<T, EmrflowError> {
    Err(EmrflowError::internal(format!(
        "{operation} is not used by these handlers"
    )))
}

#[async_trait]
impl EmrApi for FakeEmr {
    async fn run_job_flow(&self, _: &ClusterLaunch) -> Result<String, EmrflowError> {
        not_used("RunJobFlow")
    }
    async fn list_clusters(
        &self,
        _: &[ClusterState],
        _: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Vec<ClusterSummary>, EmrflowError> {
        not_used("ListClusters")
    }
    async fn describe_cluster(&self, cluster_id: &str) -> Result<ClusterDescription, EmrflowError> {
        let (state, _) = self.call("DescribeCluster", cluster_id)?;
        Ok(ClusterDescription {
            id: cluster_id.into(),
            name: format!("emrflow-{cluster_id}"),
            state,
            state_change_reason_code: state.is_ending().then(|| "USER_REQUEST".into()),
            state_change_reason_message: None,
            termination_protected: false,
            step_concurrency_level: 1,
            log_uri: None,
            tags: BTreeMap::new(),
        })
    }
    async fn set_termination_protection(&self, _: &str, _: bool) -> Result<(), EmrflowError> {
        not_used("SetTerminationProtection")
    }
    async fn list_steps(
        &self,
        cluster_id: &str,
        step_ids: &[String],
    ) -> Result<Vec<StepSummary>, EmrflowError> {
        let (_, steps) = self.call("ListSteps", cluster_id)?;
        Ok(steps
            .into_iter()
            .filter(|step| step_ids.is_empty() || step_ids.contains(&step.id))
            .collect())
    }
    async fn add_job_flow_steps(
        &self,
        _: &str,
        _: &[StepConfig],
    ) -> Result<Vec<String>, EmrflowError> {
        not_used("AddJobFlowSteps")
    }
    async fn terminate_job_flows(&self, _: &str) -> Result<(), EmrflowError> {
        not_used("TerminateJobFlows")
    }
    async fn list_instances(&self, _: &str) -> Result<Vec<InstanceSummary>, EmrflowError> {
        not_used("ListInstances")
    }
    async fn cancel_steps(
        &self,
        _: &str,
        _: &[String],
    ) -> Result<Vec<CancelOutcome>, EmrflowError> {
        not_used("CancelSteps")
    }
}
