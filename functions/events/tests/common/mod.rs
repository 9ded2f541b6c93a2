//! Test doubles for the handlers — an EMR with clusters and steps, Step Functions callbacks
//! that remember which tokens still wait — and the one contract every [`TokenStore`] keeps,
//! run against the in-memory store and against moto's DynamoDB.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use emrflow_core::emr::{
    CancelOutcome, ClusterDescription, ClusterLaunch, ClusterState, ClusterSummary, EmrApi,
    StepConfig, StepState, StepSummary,
};
use emrflow_core::{EmrflowError, ErrorName};
use emrflow_events::waiter::now_epoch_seconds as now;
use emrflow_events::{CallbackError, TaskCallbacks, TokenStore, Waiter};
use serde_json::{json, Value};

pub fn waiter(cluster_id: &str, execution: &str, token: &str, step_ids: &[&str]) -> Waiter {
    Waiter {
        cluster_id: cluster_id.into(),
        waiter: execution.into(),
        task_token: token.into(),
        step_ids: step_ids.iter().map(|id| id.to_string()).collect(),
        expires_at: now() + 3_600,
    }
}

/// What every token store does: one waiter per execution and cluster, a newer wait replaces
/// an older one, deletes only with the current token, expired records are not read.
pub async fn check_token_store_contract(store: &dyn TokenStore) {
    // GIVEN two executions waiting on one cluster and one on another
    let a1 = waiter("j-ONE", "run-a", "t-a1", &["s-A1", "s-A2"]);
    let b1 = waiter("j-ONE", "run-b", "t-b1", &[]);
    let c1 = waiter("j-TWO", "run-c", "t-c1", &["s-C1"]);
    for w in [&a1, &b1, &c1] {
        store.put(w).await.unwrap();
    }
    // WHEN the first cluster's waiters are read THEN exactly its two, whole
    assert_eq!(
        sorted(store.waiters_of("j-ONE").await.unwrap()),
        [a1.clone(), b1.clone()]
    );
    assert!(store.waiters_of("j-NONE").await.unwrap().is_empty());

    // WHEN run-a waits again (a newer token) THEN it replaces the older wait
    let a2 = waiter("j-ONE", "run-a", "t-a2", &["s-A2"]);
    store.put(&a2).await.unwrap();
    assert_eq!(
        sorted(store.waiters_of("j-ONE").await.unwrap()),
        [a2.clone(), b1.clone()]
    );

    // WHEN an old event deletes with the old token THEN nothing is deleted
    assert!(!store.delete("j-ONE", "run-a", "t-a1").await.unwrap());
    assert_eq!(
        sorted(store.waiters_of("j-ONE").await.unwrap()),
        [a2.clone(), b1.clone()]
    );
    // WHEN deleted with the current token THEN it is gone, and a second delete is harmless
    assert!(store.delete("j-ONE", "run-a", "t-a2").await.unwrap());
    assert_eq!(sorted(store.waiters_of("j-ONE").await.unwrap()), [b1]);
    assert!(!store.delete("j-ONE", "run-a", "t-a2").await.unwrap());
    assert!(!store.delete("j-NONE", "run-z", "t").await.unwrap());

    // WHEN a record has expired but is still stored (TTL deletes lazily) THEN it is not read
    let expired = Waiter {
        expires_at: now() - 5,
        ..waiter("j-TWO", "run-old", "t-old", &["s-C1"])
    };
    store.put(&expired).await.unwrap();
    assert_eq!(store.waiters_of("j-TWO").await.unwrap(), [c1]);
}

fn sorted(mut waiters: Vec<Waiter>) -> Vec<Waiter> {
    waiters.sort_by(|a, b| a.waiter.cmp(&b.waiter));
    waiters
}

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
    async fn cancel_steps(
        &self,
        _: &str,
        _: &[String],
    ) -> Result<Vec<CancelOutcome>, EmrflowError> {
        not_used("CancelSteps")
    }
}

/// An EMR event as EventBridge delivers it (with the `message` text emrflow never reads).
pub fn step_event(cluster_id: &str, step_id: &str, state: &str) -> Value {
    json!({
        "version": "0",
        "id": "999cccaa-eaaa-0000-1111-123456789012",
        "detail-type": "EMR Step Status Change",
        "source": "aws.emr",
        "account": "123456789012",
        "time": "2026-11-22T06:40:12Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "severity": "INFO",
            "actionOnFailure": "CONTINUE",
            "stepId": step_id,
            "name": "curate",
            "clusterId": cluster_id,
            "state": state,
            "message": format!("Step {step_id} (curate) in Amazon EMR cluster {cluster_id} (emrflow) {state}.")
        }
    })
}

pub fn cluster_event(cluster_id: &str, state: &str) -> Value {
    json!({
        "version": "0",
        "id": "1234abb0-f87e-1234-b7b6-000000000000",
        "detail-type": "EMR Cluster State Change",
        "source": "aws.emr",
        "account": "123456789012",
        "time": "2026-11-22T06:41:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "severity": "INFO",
            "stateChangeReason": "{\"code\":\"USER_REQUEST\"}",
            "name": "emrflow",
            "clusterId": cluster_id,
            "state": state,
            "message": format!("Amazon EMR Cluster {cluster_id} (emrflow) is {state}.")
        }
    })
}
