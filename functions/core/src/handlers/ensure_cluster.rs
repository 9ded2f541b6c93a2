//! ensure-cluster (states Create_A_Cluster and Check_Existing_Cluster): creates this
//! execution's cluster once, or checks that the reused one exists and can take steps.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{Handler, Now};
use crate::deployment::Deployment;
use crate::emr::{ClusterDescription, ClusterLaunch, ClusterState, EmrApi};
use crate::input::{check_cluster_id, check_execution_name, derive, parse_time, ExecutionRef};
use crate::lookup::{describe_existing, find_execution_cluster};
use crate::pipeline::PipelineSpec;
use crate::{EmrflowError, ErrorName};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EnsureClusterRequest {
    pub create_cluster: bool,
    #[serde(default)]
    pub cluster_id: Option<String>,
    /// The execution (its start time also lets a retry find this execution's cluster after
    /// it ended, e.g. a bootstrap failure during the retry's back-off, searching only clusters
    /// created since the execution started).
    pub execution: ExecutionRef,
    /// `$$.State.RetryCount` and `$$.Execution.RedriveCount`: on the very first try nothing
    /// can exist yet, so the lookup (a ListClusters, throttled like every EMR call when many
    /// executions start at once) is skipped. Absent: always look.
    #[serde(default)]
    pub retry_count: Option<u32>,
    #[serde(default)]
    pub redrive_count: Option<u32>,
}

impl EnsureClusterRequest {
    fn is_first_try(&self) -> bool {
        self.retry_count == Some(0) && self.redrive_count.unwrap_or(0) == 0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnsureClusterResponse {
    pub cluster_id: String,
    pub created: bool,
    pub cluster_name: String,
    pub state: ClusterState,
    pub log_uri: Option<String>,
    /// The cluster's termination protection as found (false for a new cluster), so cleanup
    /// can restore a reused cluster's own setting even if protection was never enabled.
    pub termination_protected: bool,
}

impl EnsureClusterResponse {
    fn found(cluster: ClusterDescription, created: bool) -> Self {
        EnsureClusterResponse {
            cluster_id: cluster.id,
            created,
            cluster_name: cluster.name,
            state: cluster.state,
            log_uri: cluster.log_uri,
            termination_protected: cluster.termination_protected,
        }
    }
}

/// A throttled RunJobFlow was refused before EMR did anything, so trying it again here is safe
/// and spares the state machine's retry — which must first look for a cluster that a lost
/// response might have created (a ListClusters, itself throttled when many executions start).
const RUN_JOB_FLOW_THROTTLE_TRIES: u32 = 5;

/// ensure-cluster: EMR, the deployment (to re-derive the pipeline) and a clock (to spread
/// throttled retries).
pub struct EnsureCluster {
    pub emr: Arc<dyn EmrApi>,
    pub deployment: Arc<Deployment>,
    pub now: Now,
}

#[async_trait]
impl Handler for EnsureCluster {
    const NAME: &'static str = "ensure-cluster";
    const PAYLOAD: &'static str = "ensure-cluster input";
    type Request = EnsureClusterRequest;
    type Response = EnsureClusterResponse;

    /// Creates this execution's cluster (once) or checks the reused one.
    async fn handle(
        &self,
        request: EnsureClusterRequest,
    ) -> Result<EnsureClusterResponse, EmrflowError> {
        check_execution_name(&request.execution.name)?;
        let normalized = derive(&request.execution, &self.deployment)?;
        let first_try = request.is_first_try();
        match (request.create_cluster, request.cluster_id) {
            (false, None) => Err(EmrflowError::invalid_input(
                "key 'ClusterId': required when CreateCluster is false",
            )),
            (false, Some(cluster_id)) => self.reuse_cluster(&cluster_id).await,
            (true, Some(id)) => Err(EmrflowError::invalid_input(format!(
                "key 'ClusterId': '{id}' is given but CreateCluster is true"
            ))),
            (true, None) => {
                let execution_start =
                    parse_time("Execution.StartTime", &request.execution.start_time)?;
                self.create_cluster_once(
                    &normalized.pipeline,
                    &request.execution.name,
                    Some(execution_start),
                    first_try,
                )
                .await
            }
        }
    }
}

impl EnsureCluster {
    async fn run_job_flow(&self, launch: &ClusterLaunch) -> Result<String, EmrflowError> {
        let mut tries = 1;
        loop {
            match self.emr.run_job_flow(launch).await {
                Err(error)
                    if error.name() == ErrorName::EmrThrottled
                        && tries < RUN_JOB_FLOW_THROTTLE_TRIES =>
                {
                    // Full jitter over 1, 2, 4, 8 s: executions throttled together spread out.
                    let ceiling = 1000u64 << (tries - 1);
                    let nanos = u64::from((self.now)().timestamp_subsec_nanos());
                    tokio::time::sleep(std::time::Duration::from_millis(nanos % ceiling)).await;
                    tries += 1;
                }
                other => return other,
            }
        }
    }

    async fn reuse_cluster(&self, cluster_id: &str) -> Result<EnsureClusterResponse, EmrflowError> {
        check_cluster_id(cluster_id, "ClusterId")?;
        let cluster = describe_existing(self.emr.as_ref(), cluster_id).await?;
        if !cluster.state.accepts_steps() {
            return Err(EmrflowError::cluster_not_usable(format!(
                "cluster {cluster_id} ('{}') cannot be reused: it is {}; a reused cluster must be STARTING, BOOTSTRAPPING, RUNNING or WAITING",
                cluster.name,
                cluster.state_with_reason()
            )));
        }
        Ok(EnsureClusterResponse::found(cluster, false))
    }

    /// RunJobFlow has no client token: a retry after a lost response must find the cluster
    /// the first attempt created instead of starting a second one.
    async fn create_cluster_once(
        &self,
        pipeline: &PipelineSpec,
        execution_name: &str,
        execution_start: Option<chrono::DateTime<chrono::Utc>>,
        first_try: bool,
    ) -> Result<EnsureClusterResponse, EmrflowError> {
        let existing = if first_try {
            None
        } else {
            find_execution_cluster(
                self.emr.as_ref(),
                &pipeline.name,
                execution_name,
                execution_start,
            )
            .await?
        };
        if let Some(existing) = existing {
            if existing.state.is_ending() {
                return Err(EmrflowError::new(ErrorName::ClusterFailed, format!(
                    "cluster {} created by execution {execution_name} is {}; emrflow does not start a second cluster for one execution",
                    existing.id,
                    existing.state_with_reason()
                )));
            }
            tracing::info!(cluster_id = %existing.id, "found the cluster this execution already created");
            return Ok(EnsureClusterResponse::found(existing, true));
        }
        let launch = pipeline.cluster_launch(execution_name);
        let cluster_id = self.run_job_flow(&launch).await.map_err(|error| {
            error.with_context(format!("RunJobFlow for cluster '{}'", launch.name))
        })?;
        tracing::info!(%cluster_id, name = %launch.name, "created cluster");
        Ok(EnsureClusterResponse {
            cluster_id,
            created: true,
            cluster_name: launch.name,
            state: ClusterState::Starting,
            log_uri: launch.log_uri,
            termination_protected: false,
        })
    }
}
