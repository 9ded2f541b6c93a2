//! The cluster lookups every handler uses, on this handler set's EMR client.

use chrono::{DateTime, Utc};

use super::Handlers;
use crate::emr::ClusterDescription;
use crate::{lookup, EmrflowError};

impl Handlers {
    pub(super) async fn describe_existing(
        &self,
        cluster_id: &str,
    ) -> Result<ClusterDescription, EmrflowError> {
        lookup::describe_existing(self.emr.as_ref(), cluster_id).await
    }

    pub(super) async fn find_execution_cluster(
        &self,
        pipeline_name: &str,
        execution_name: &str,
        execution_start: Option<DateTime<Utc>>,
    ) -> Result<Option<ClusterDescription>, EmrflowError> {
        lookup::find_execution_cluster(
            self.emr.as_ref(),
            pipeline_name,
            execution_name,
            execution_start,
        )
        .await
    }
}
