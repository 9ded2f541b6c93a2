//! Finding clusters: a ClusterId that must exist, and the cluster one execution created
//! (its idempotency key: the name `emrflow-<pipeline>-<execution>` and the two tags). Used by
//! the handlers and by the reaper.

use chrono::{DateTime, Utc};

use crate::emr::{ClusterDescription, ClusterState, EmrApi};
use crate::naming::{cluster_name, EXECUTION_TAG, PIPELINE_TAG};
use crate::{EmrflowError, ErrorName};

/// EMR's clock and ours may differ a little: look this much further back than the start.
const CLOCK_SKEW_MINUTES: i64 = 5;

/// DescribeCluster, with EMR's "not valid" rejection of an unknown id as ClusterNotFound.
pub async fn describe_existing(
    emr: &dyn EmrApi,
    cluster_id: &str,
) -> Result<ClusterDescription, EmrflowError> {
    emr.describe_cluster(cluster_id)
        .await
        .map_err(|error| match error.name() {
            ErrorName::AwsRequestRejected | ErrorName::ClusterNotFound => {
                EmrflowError::cluster_not_found(format!(
                    "cluster {cluster_id} does not exist (EMR: {})",
                    error.message()
                ))
            }
            _ => error.with_context(format!("DescribeCluster {cluster_id}")),
        })
}

/// The cluster this execution of this pipeline created: among the live clusters, or, given
/// the execution's start, among every cluster created since then (ended ones too).
pub async fn find_execution_cluster(
    emr: &dyn EmrApi,
    pipeline_name: &str,
    execution_name: &str,
    execution_start: Option<DateTime<Utc>>,
) -> Result<Option<ClusterDescription>, EmrflowError> {
    let expected_name = cluster_name(pipeline_name, execution_name);
    let summaries = match execution_start {
        Some(start) => {
            let since = start - chrono::Duration::minutes(CLOCK_SKEW_MINUTES);
            emr.list_clusters(ClusterState::ALL, Some(since)).await?
        }
        None => {
            let existing = ClusterState::all_where(ClusterState::exists);
            emr.list_clusters(&existing, None).await?
        }
    };
    for summary in summaries.iter().filter(|s| s.name == expected_name) {
        let description = emr.describe_cluster(&summary.id).await?;
        if was_created_by(&description, pipeline_name, execution_name) {
            return Ok(Some(description));
        }
    }
    Ok(None)
}

/// Whether the cluster carries this execution's and this pipeline's tags.
pub fn was_created_by(
    cluster: &ClusterDescription,
    pipeline_name: &str,
    execution_name: &str,
) -> bool {
    cluster.tags.get(EXECUTION_TAG).map(String::as_str) == Some(execution_name)
        && cluster.tags.get(PIPELINE_TAG).map(String::as_str) == Some(pipeline_name)
}
