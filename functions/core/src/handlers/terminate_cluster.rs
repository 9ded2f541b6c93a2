//! terminate-cluster (Terminate_Cluster, Cleanup_Terminate_Cluster and, with no ClusterId,
//! Cleanup_Terminate_Orphan_Cluster): terminates the execution's cluster; safe to call again.

use serde::{Deserialize, Serialize};

use super::report::fit_json;
use super::Handlers;
use crate::emr::{ClusterDescription, ClusterState};
use crate::input::{check_cluster_id, check_execution_name};
use crate::pipeline::cluster_name;
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

impl Handlers {
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

    /// The given cluster, or (ClusterId null) the live one this execution created, if any.
    async fn cluster_to_terminate(
        &self,
        request: &TerminateClusterRequest,
    ) -> Result<Option<ClusterDescription>, EmrflowError> {
        match &request.cluster_id {
            Some(cluster_id) => {
                check_cluster_id(cluster_id, "ClusterId")?;
                self.describe_existing(cluster_id).await.map(Some)
            }
            None => {
                self.find_execution_cluster(&request.pipeline_name, &request.execution_name, None)
                    .await
            }
        }
    }
}
