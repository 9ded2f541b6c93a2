//! terminate-cluster (Terminate_Cluster, Cleanup_Terminate_Cluster and, with no ClusterId,
//! Cleanup_Terminate_Orphan_Cluster): terminates the execution's cluster; safe to call again.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::report::fit_json;
use super::Handler;
use crate::emr::{ClusterDescription, ClusterState, EmrApi};
use crate::input::{check_cluster_id, check_execution_name};
use crate::lookup::{describe_existing, find_execution_cluster};
use crate::naming::cluster_name;
use crate::{EmrflowError, ErrorName};

/// JSON bytes a note may take (it quotes EMR's state change message).
pub const NOTE_JSON_BYTES: usize = 512;

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
    pub state: Option<ClusterState>,
    pub note: String,
}

/// terminate-cluster: needs EMR only.
pub struct TerminateCluster {
    pub emr: Arc<dyn EmrApi>,
}

#[async_trait]
impl Handler for TerminateCluster {
    const NAME: &'static str = "terminate-cluster";
    const PAYLOAD: &'static str = "terminate-cluster input";
    type Request = TerminateClusterRequest;
    type Response = TerminateClusterResponse;

    /// Terminates the execution's cluster; safe to call again.
    async fn handle(
        &self,
        request: TerminateClusterRequest,
    ) -> Result<TerminateClusterResponse, EmrflowError> {
        if !request.terminate_cluster {
            return Err(EmrflowError::invalid_input(
                "key 'TerminateCluster': is false; terminate-cluster only runs when TerminateCluster is true",
            ));
        }
        check_execution_name(&request.execution_name)?;
        let Some(cluster) = self.cluster_to_terminate(&request).await? else {
            return Ok(TerminateClusterResponse {
                cluster_id: None,
                terminated: false,
                state: None,
                note: fit_json(
                    &format!(
                        "no live cluster named '{}' and tagged with execution {} was found: nothing to terminate",
                        cluster_name(&request.pipeline_name, &request.execution_name),
                        request.execution_name
                    ),
                    NOTE_JSON_BYTES,
                ),
            });
        };
        if cluster.state.is_ending() {
            return Ok(TerminateClusterResponse {
                note: fit_json(
                    &format!(
                        "cluster {} was already {}",
                        cluster.id,
                        cluster.state_with_reason()
                    ),
                    NOTE_JSON_BYTES,
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
            state: Some(ClusterState::Terminating),
        })
    }
}

impl TerminateCluster {
    /// The given cluster, or (ClusterId null) the live one this execution created, if any.
    async fn cluster_to_terminate(
        &self,
        request: &TerminateClusterRequest,
    ) -> Result<Option<ClusterDescription>, EmrflowError> {
        match &request.cluster_id {
            Some(cluster_id) => {
                check_cluster_id(cluster_id, "ClusterId")?;
                describe_existing(self.emr.as_ref(), cluster_id)
                    .await
                    .map(Some)
            }
            None => {
                find_execution_cluster(
                    self.emr.as_ref(),
                    &request.pipeline_name,
                    &request.execution_name,
                    None,
                )
                .await
            }
        }
    }
}
