//! An in-memory EMR for handler tests: clusters, steps, termination protection, and a record of
//! every call, with the ability to "lose" a response (the call takes effect, the caller sees a
//! transient error) the way a Lambda timeout or network failure would.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use emrflow_core::emr::{
    CancelOutcome, ClusterDescription, ClusterLaunch, ClusterState, ClusterSummary, EmrApi,
    FailureDetails, InstanceSummary, StepConfig, StepState, StepSummary,
};
use emrflow_core::{Deployment, Dispatch, EmrflowError, ErrorName, Function, PipelineSpec};
use serde_json::{json, Value};

pub const REGION: &str = "us-east-1";
pub const MUTATING_OPERATIONS: [&str; 5] = [
    "RunJobFlow",
    "SetTerminationProtection",
    "AddJobFlowSteps",
    "TerminateJobFlows",
    "CancelSteps",
];

/// A cluster as DescribeCluster would show it, with nothing set but id, name and state.
pub fn description(id: &str, name: &str, state: ClusterState) -> ClusterDescription {
    ClusterDescription {
        id: id.into(),
        name: name.into(),
        state,
        state_change_reason_code: None,
        state_change_reason_message: None,
        termination_protected: false,
        step_concurrency_level: 1,
        log_uri: None,
        tags: BTreeMap::new(),
    }
}

#[derive(Debug, Clone)]
pub struct FakeCluster {
    pub description: ClusterDescription,
    /// In submission order (EMR lists them newest first).
    pub steps: Vec<StepSummary>,
    pub submitted: Vec<StepConfig>,
    /// What ListInstances answers (a test sets it).
    pub instances: Vec<InstanceSummary>,
}

#[derive(Debug, Default)]
pub struct FakeState {
    pub clusters: Vec<FakeCluster>,
    pub calls: Vec<String>,
    pub launches: Vec<ClusterLaunch>,
    pub lose_response_of: BTreeSet<String>,
    pub next_id: u32,
}

#[derive(Debug, Default)]
pub struct FakeEmr {
    state: Mutex<FakeState>,
}

impl FakeEmr {
    pub fn new() -> Arc<FakeEmr> {
        Arc::new(FakeEmr::default())
    }

    pub fn state(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap()
    }

    /// A cluster that exists before the test (e.g. one to reuse).
    pub fn add_cluster(&self, id: &str, state: &str) {
        self.state().clusters.push(FakeCluster {
            description: ClusterDescription {
                log_uri: Some("s3://logs/emr/".into()),
                ..description(
                    id,
                    &format!("shared-{id}"),
                    ClusterState::parse(state).unwrap(),
                )
            },
            steps: Vec::new(),
            submitted: Vec::new(),
            instances: Vec::new(),
        });
    }

    pub fn update_cluster(&self, id: &str, change: impl FnOnce(&mut ClusterDescription)) {
        let mut state = self.state();
        let cluster = state
            .clusters
            .iter_mut()
            .find(|c| c.description.id == id)
            .unwrap();
        change(&mut cluster.description);
    }

    pub fn cluster(&self, id: &str) -> FakeCluster {
        self.state()
            .clusters
            .iter()
            .find(|c| c.description.id == id)
            .cloned()
            .unwrap()
    }

    pub fn set_step(
        &self,
        cluster_id: &str,
        step_id: &str,
        state: &str,
        failure: Option<FailureDetails>,
    ) {
        let mut guard = self.state();
        let cluster = guard
            .clusters
            .iter_mut()
            .find(|c| c.description.id == cluster_id)
            .unwrap();
        let step = cluster.steps.iter_mut().find(|s| s.id == step_id).unwrap();
        step.state = StepState::parse(state).unwrap();
        step.failure_details = failure;
        if state != "PENDING" {
            step.started_at = Some("2026-11-22T01:00:00Z".into());
        }
        if ["COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED"].contains(&state) {
            step.ended_at = Some("2026-11-22T01:05:00Z".into());
        }
    }

    /// The next call of `operation` takes effect but its caller gets a transient error.
    pub fn lose_next_response_of(&self, operation: &str) {
        self.state().lose_response_of.insert(operation.into());
    }

    pub fn calls(&self) -> Vec<String> {
        self.state().calls.clone()
    }

    pub fn mutating_calls(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|call| MUTATING_OPERATIONS.contains(&call.as_str()))
            .collect()
    }

    fn record(&self, operation: &str) {
        self.state().calls.push(operation.into());
    }

    fn answer<T>(&self, operation: &str, value: T) -> Result<T, EmrflowError> {
        if self.state().lose_response_of.remove(operation) {
            return Err(EmrflowError::new(
                ErrorName::AwsTransient,
                format!("{operation}: response lost"),
            ));
        }
        Ok(value)
    }

    /// The instances ListInstances answers for `id`.
    pub fn set_instances(&self, id: &str, instances: Vec<InstanceSummary>) {
        let mut state = self.state();
        if let Some(cluster) = state.clusters.iter_mut().find(|c| c.description.id == id) {
            cluster.instances = instances;
        }
    }

    fn not_valid(cluster_id: &str) -> EmrflowError {
        EmrflowError::new(
            ErrorName::AwsRequestRejected,
            format!(
                "EMR answered InvalidRequestException: Cluster id '{cluster_id}' is not valid."
            ),
        )
    }
}

#[async_trait]
impl EmrApi for FakeEmr {
    async fn run_job_flow(&self, launch: &ClusterLaunch) -> Result<String, EmrflowError> {
        self.record("RunJobFlow");
        let id = {
            let mut state = self.state();
            state.next_id += 1;
            let id = format!("j-NEW{:04}", state.next_id);
            state.launches.push(launch.clone());
            state.clusters.push(FakeCluster {
                description: ClusterDescription {
                    step_concurrency_level: launch.step_concurrency_level,
                    log_uri: launch.log_uri.clone(),
                    tags: launch.tags.clone(),
                    ..description(&id, &launch.name, ClusterState::Starting)
                },
                steps: Vec::new(),
                submitted: Vec::new(),
                instances: Vec::new(),
            });
            id
        };
        self.answer("RunJobFlow", id)
    }

    /// Every fake cluster is recent: `created_after` filters nothing here.
    async fn list_clusters(
        &self,
        states: &[ClusterState],
        _created_after: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Vec<ClusterSummary>, EmrflowError> {
        self.record("ListClusters");
        let clusters = self
            .state()
            .clusters
            .iter()
            .filter(|c| states.contains(&c.description.state))
            .map(|c| ClusterSummary {
                id: c.description.id.clone(),
                name: c.description.name.clone(),
                state: c.description.state,
            })
            .collect();
        self.answer("ListClusters", clusters)
    }

    async fn describe_cluster(&self, cluster_id: &str) -> Result<ClusterDescription, EmrflowError> {
        self.record("DescribeCluster");
        let found = self
            .state()
            .clusters
            .iter()
            .find(|c| c.description.id == cluster_id)
            .map(|c| c.description.clone());
        let description = found.ok_or_else(|| Self::not_valid(cluster_id))?;
        self.answer("DescribeCluster", description)
    }

    async fn set_termination_protection(
        &self,
        cluster_id: &str,
        protected: bool,
    ) -> Result<(), EmrflowError> {
        self.record("SetTerminationProtection");
        {
            let mut state = self.state();
            let cluster = state
                .clusters
                .iter_mut()
                .find(|c| c.description.id == cluster_id)
                .ok_or_else(|| Self::not_valid(cluster_id))?;
            cluster.description.termination_protected = protected;
        }
        self.answer("SetTerminationProtection", ())
    }

    async fn list_steps(
        &self,
        cluster_id: &str,
        step_ids: &[String],
    ) -> Result<Vec<StepSummary>, EmrflowError> {
        self.record("ListSteps");
        let steps = {
            let state = self.state();
            let cluster = state
                .clusters
                .iter()
                .find(|c| c.description.id == cluster_id)
                .ok_or_else(|| Self::not_valid(cluster_id))?;
            cluster
                .steps
                .iter()
                .rev()
                .filter(|s| step_ids.is_empty() || step_ids.contains(&s.id))
                .cloned()
                .collect()
        };
        self.answer("ListSteps", steps)
    }

    async fn add_job_flow_steps(
        &self,
        cluster_id: &str,
        steps: &[StepConfig],
    ) -> Result<Vec<String>, EmrflowError> {
        self.record("AddJobFlowSteps");
        let ids = {
            let mut state = self.state();
            let mut ids = Vec::new();
            for _ in steps {
                state.next_id += 1;
                ids.push(format!("s-STEP{:04}", state.next_id));
            }
            let cluster = state
                .clusters
                .iter_mut()
                .find(|c| c.description.id == cluster_id)
                .ok_or_else(|| Self::not_valid(cluster_id))?;
            for (step, id) in steps.iter().zip(&ids) {
                cluster.submitted.push(step.clone());
                cluster.steps.push(StepSummary {
                    id: id.clone(),
                    name: step.name.clone(),
                    state: StepState::Pending,
                    action_on_failure: Some(step.action_on_failure),
                    created_at: Some("2026-11-22T00:59:00Z".into()),
                    started_at: None,
                    ended_at: None,
                    failure_details: None,
                });
            }
            ids
        };
        self.answer("AddJobFlowSteps", ids)
    }

    async fn list_instances(&self, cluster_id: &str) -> Result<Vec<InstanceSummary>, EmrflowError> {
        self.record("ListInstances");
        let instances = self
            .state()
            .clusters
            .iter()
            .find(|c| c.description.id == cluster_id)
            .map(|c| c.instances.clone())
            .ok_or_else(|| Self::not_valid(cluster_id))?;
        self.answer("ListInstances", instances)
    }

    async fn cancel_steps(
        &self,
        cluster_id: &str,
        step_ids: &[String],
    ) -> Result<Vec<CancelOutcome>, EmrflowError> {
        self.record("CancelSteps");
        let outcomes = {
            let mut state = self.state();
            let cluster = state
                .clusters
                .iter_mut()
                .find(|c| c.description.id == cluster_id)
                .ok_or_else(|| Self::not_valid(cluster_id))?;
            step_ids
                .iter()
                .map(|id| match cluster.steps.iter_mut().find(|s| &s.id == id) {
                    Some(step) if step.state.is_active() => {
                        step.state = StepState::Cancelled;
                        step.ended_at = Some("2026-11-22T01:05:00Z".into());
                        CancelOutcome {
                            step_id: id.clone(),
                            submitted: true,
                            reason: None,
                        }
                    }
                    _ => CancelOutcome {
                        step_id: id.clone(),
                        submitted: false,
                        reason: Some(format!("Step {id} cannot be cancelled.")),
                    },
                })
                .collect()
        };
        self.answer("CancelSteps", outcomes)
    }

    async fn terminate_job_flows(&self, cluster_id: &str) -> Result<(), EmrflowError> {
        self.record("TerminateJobFlows");
        {
            let mut state = self.state();
            let cluster = state
                .clusters
                .iter_mut()
                .find(|c| c.description.id == cluster_id)
                .ok_or_else(|| Self::not_valid(cluster_id))?;
            if cluster.description.termination_protected {
                return Err(EmrflowError::new(
                    ErrorName::AwsRequestRejected,
                    "Could not shut down one or more job flows since they are termination protected.",
                ));
            }
            cluster.description.state = ClusterState::Terminating;
        }
        self.answer("TerminateJobFlows", ())
    }
}

/// A pipeline with a fleet cluster (spot task capacity) and three steps using placeholders.
pub fn sample_pipeline() -> Value {
    json!({
        "Name": "daily-etl",
        "Cluster": {
            "ReleaseLabel": "emr-7.5.0",
            "Applications": ["Hadoop", "Spark"],
            "ServiceRole": "EMR_DefaultRole",
            "JobFlowRole": "EMR_EC2_DefaultRole",
            "LogUri": "s3://my-bucket/emr-logs/{{PipelineName}}/",
            "InstanceFleets": [
                {"InstanceFleetType": "MASTER", "TargetOnDemandCapacity": 1,
                 "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge"}]},
                {"InstanceFleetType": "CORE", "TargetOnDemandCapacity": 1,
                 "InstanceTypeConfigs": [{"InstanceType": "c5.4xlarge"}]},
                {"InstanceFleetType": "TASK", "TargetSpotCapacity": 4,
                 "InstanceTypeConfigs": [{"InstanceType": "c5.12xlarge", "BidPriceAsPercentageOfOnDemandPrice": 100}]}
            ],
            "IdleTimeoutSeconds": 3600,
            "Tags": {"team": "data"}
        },
        "Steps": [
            {"Name": "ingest", "Type": "Spark", "Application": "s3://jobs-bucket/jobs/ingest.py",
             "Args": ["--date", "{{ProcessingDate}}"]},
            {"Name": "transform", "Type": "Hive", "Script": "s3://jobs-bucket/q.hql",
             "Variables": {"day": "{{ProcessingDateCompact}}"}},
            {"Name": "export", "Type": "Script", "Script": "s3://jobs-bucket/run.sh",
             "ActionOnFailure": "TERMINATE_CLUSTER", "Args": ["{{ExecutionName}}"]}
        ]
    })
}

pub fn sample_spec() -> PipelineSpec {
    PipelineSpec::from_value(sample_pipeline()).unwrap()
}

pub fn handlers(fake: &Arc<FakeEmr>) -> Dispatch {
    Dispatch::new(fake.clone(), deployment(sample_spec()))
}

/// The deployment the tests' handlers serve: `spec` its one pipeline, in REGION.
pub fn deployment(spec: PipelineSpec) -> Deployment {
    Deployment::new(REGION).with_pipeline(spec)
}

pub fn tags_of(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The execution the bad-input tests validate for.
pub const REJECTED_EXECUTION: &str = "run-2026-11-21";

/// GIVEN `payload` WHEN `function` runs THEN InvalidInput mentioning `expected`, and the fake
/// EMR recorded no mutating call.
pub async fn assert_rejected(function: Function, payload: Value, expected: &str) {
    let fake = FakeEmr::new();
    fake.add_cluster("j-REUSE1", "WAITING");
    let handlers = handlers(&fake);
    let error = handlers
        .invoke(function, payload.clone())
        .await
        .expect_err(&format!("{function} accepted {payload}"));
    assert_eq!(error.name(), ErrorName::InvalidInput, "{error}");
    assert!(
        error.to_string().contains(expected),
        "'{expected}' not in message: {error}"
    );
    assert!(
        fake.mutating_calls().is_empty(),
        "{:?}",
        fake.mutating_calls()
    );
}

pub async fn assert_input_rejected(input: Value, expected: &str) {
    assert_rejected(
        Function::ValidateInput,
        json!({"Input": input, "ExecutionName": REJECTED_EXECUTION, "StartTime": "2026-11-22T00:00:00Z"}),
        expected,
    )
    .await;
}

pub async fn assert_pipeline_rejected(change: impl FnOnce(&mut Value), expected: &str) {
    let mut pipeline = sample_pipeline();
    change(&mut pipeline);
    assert_input_rejected(json!({"Pipeline": pipeline}), expected).await;
}
