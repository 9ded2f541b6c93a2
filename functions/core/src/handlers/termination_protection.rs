//! termination-protection (Enable_/Disable_/Restore_Termination_Protection and
//! Cleanup_Restore_Protection): sets protection and returns the previous setting.

use serde::{Deserialize, Serialize};

use super::Handlers;
use crate::input::check_cluster_id;
use crate::EmrflowError;

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

impl Handlers {
    /// termination-protection: sets protection and returns the previous setting.
    pub async fn termination_protection(
        &self,
        request: TerminationProtectionRequest,
    ) -> Result<TerminationProtectionResponse, EmrflowError> {
        check_cluster_id(&request.cluster_id, "ClusterId")?;
        let cluster = self.describe_existing(&request.cluster_id).await?;
        let previous = cluster.termination_protected;
        if cluster.state.is_ending() {
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
}
