//! termination-protection (Enable_/Disable_/Restore_Termination_Protection and
//! Cleanup_Restore_Protection): sets protection and returns the previous setting.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::Handler;
use crate::emr::EmrApi;
use crate::input::check_cluster_id;
use crate::lookup::describe_existing;
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

/// termination-protection: needs EMR only.
pub struct TerminationProtection {
    pub emr: Arc<dyn EmrApi>,
}

#[async_trait]
impl Handler for TerminationProtection {
    const NAME: &'static str = "termination-protection";
    const PAYLOAD: &'static str = "termination-protection input";
    type Request = TerminationProtectionRequest;
    type Response = TerminationProtectionResponse;

    /// Sets protection and returns the previous setting.
    async fn handle(
        &self,
        request: TerminationProtectionRequest,
    ) -> Result<TerminationProtectionResponse, EmrflowError> {
        check_cluster_id(&request.cluster_id, "ClusterId")?;
        let cluster = describe_existing(self.emr.as_ref(), &request.cluster_id).await?;
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
