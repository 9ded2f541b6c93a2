//! [`EmrApi`] on the real `aws-sdk-emr` client. Conversions live in [`convert`], the
//! classification of SDK errors into the contract's names in [`errors`].

mod convert;
mod endpoint;
mod errors;

use async_trait::async_trait;
use aws_sdk_emr::config::retry::RetryConfig;
use aws_sdk_emr::types as emr;
use emrflow_vocabulary::limits::MAX_STEP_IDS_PER_LIST_STEPS;

pub use convert::{sdk_instances, sdk_step};
pub use endpoint::{emr_timeouts, endpoint_name, endpoint_url_override};
pub use errors::{classify_aws_sdk_error, classify_sdk_error};

use convert::{sdk_cluster_state, sdk_configuration, to_i32};

use crate::emr::{
    created_since, CancelOutcome, ClusterDescription, ClusterLaunch, ClusterState, ClusterSummary,
    EmrApi, InstanceSummary, StepConfig, StepSummary,
};
use crate::{EmrflowError, ErrorName};

/// RunJobFlow and AddJobFlowSteps take no client token: if the SDK resent one after a lost
/// response, EMR would make a second cluster or a second copy of the steps. These calls are
/// sent once; the handler's retry (from the state machine) looks for what the first attempt
/// made before calling again.
fn sent_once() -> aws_sdk_emr::config::Builder {
    aws_sdk_emr::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// [`EmrApi`] over `aws_sdk_emr::Client`.
#[derive(Debug, Clone)]
pub struct SdkEmr {
    client: aws_sdk_emr::Client,
    /// How error messages name the endpoint: "EMR in us-east-1" or "the EMR endpoint <url>".
    endpoint: String,
}

impl SdkEmr {
    /// Names the endpoint by the client's region (the AWS endpoint).
    pub fn new(client: aws_sdk_emr::Client) -> Self {
        let region = client.config().region().map(|region| region.to_string());
        SdkEmr {
            endpoint: endpoint_name("EMR", None, region.as_deref()),
            client,
        }
    }

    /// For a client sent to an endpoint URL (the local EMR, AWS_ENDPOINT_URL_EMR).
    pub fn with_endpoint_url(client: aws_sdk_emr::Client, url: &str) -> Self {
        SdkEmr {
            client,
            endpoint: endpoint_name("EMR", Some(url), None),
        }
    }

    fn classify<E>(
        &self,
        operation: &str,
        error: aws_sdk_emr::error::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> EmrflowError
    where
        E: aws_sdk_emr::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        classify_sdk_error(operation, &self.endpoint, error)
    }

    /// Every page of ListSteps (newest first), optionally filtered by at most ten ids.
    async fn list_steps_pages(
        &self,
        cluster_id: &str,
        step_ids: Option<Vec<String>>,
    ) -> Result<Vec<StepSummary>, EmrflowError> {
        let summaries = self
            .client
            .list_steps()
            .cluster_id(cluster_id)
            .set_step_ids(step_ids)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| self.classify("ListSteps", error))?;
        summaries.iter().map(StepSummary::try_from).collect()
    }
}

#[async_trait]
impl EmrApi for SdkEmr {
    async fn run_job_flow(&self, launch: &ClusterLaunch) -> Result<String, EmrflowError> {
        let output = self
            .client
            .run_job_flow()
            .name(&launch.name)
            .release_label(&launch.release_label)
            .set_applications((!launch.applications.is_empty()).then(|| {
                launch
                    .applications
                    .iter()
                    .map(|name| emr::Application::builder().name(name).build())
                    .collect()
            }))
            .set_configurations((!launch.configurations.is_empty()).then(|| {
                launch
                    .configurations
                    .iter()
                    .map(sdk_configuration)
                    .collect()
            }))
            .service_role(&launch.service_role)
            .job_flow_role(&launch.job_flow_role)
            .set_log_uri(launch.log_uri.clone())
            .instances(sdk_instances(launch))
            .visible_to_all_users(true)
            .step_concurrency_level(to_i32(launch.step_concurrency_level))
            .set_auto_termination_policy(launch.idle_timeout_seconds.map(|seconds| {
                emr::AutoTerminationPolicy::builder()
                    .idle_timeout(i64::try_from(seconds).unwrap_or(i64::MAX))
                    .build()
            }))
            .set_bootstrap_actions((!launch.bootstrap_actions.is_empty()).then(|| {
                launch
                    .bootstrap_actions
                    .iter()
                    .map(|action| {
                        emr::BootstrapActionConfig::builder()
                            .name(&action.name)
                            .script_bootstrap_action(
                                emr::ScriptBootstrapActionConfig::builder()
                                    .path(&action.path)
                                    .set_args(Some(action.args.clone()))
                                    .build(),
                            )
                            .build()
                    })
                    .collect()
            }))
            .set_tags(Some(
                launch
                    .tags
                    .iter()
                    .map(|(key, value)| emr::Tag::builder().key(key).value(value).build())
                    .collect(),
            ))
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map_err(|error| self.classify("RunJobFlow", error))?;
        output.job_flow_id().map(str::to_string).ok_or_else(|| {
            EmrflowError::new(
                ErrorName::AwsTransient,
                "RunJobFlow: EMR answered without a JobFlowId",
            )
        })
    }

    async fn list_clusters(
        &self,
        states: &[ClusterState],
        created_after: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Vec<ClusterSummary>, EmrflowError> {
        let summaries = self
            .client
            .list_clusters()
            .set_cluster_states(Some(
                states.iter().copied().map(sdk_cluster_state).collect(),
            ))
            .set_created_after(
                created_after.map(|time| aws_smithy_types::DateTime::from_secs(time.timestamp())),
            )
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| self.classify("ListClusters", error))?;
        summaries.iter().map(ClusterSummary::try_from).collect()
    }

    async fn describe_cluster(&self, cluster_id: &str) -> Result<ClusterDescription, EmrflowError> {
        let output = self
            .client
            .describe_cluster()
            .cluster_id(cluster_id)
            .send()
            .await
            .map_err(|error| self.classify("DescribeCluster", error))?;
        let cluster = output.cluster().ok_or_else(|| {
            EmrflowError::new(
                ErrorName::AwsTransient,
                format!("DescribeCluster {cluster_id}: EMR answered without a Cluster"),
            )
        })?;
        let mut description = ClusterDescription::try_from(cluster)?;
        if description.id.is_empty() {
            description.id = cluster_id.to_string();
        }
        Ok(description)
    }

    async fn set_termination_protection(
        &self,
        cluster_id: &str,
        protected: bool,
    ) -> Result<(), EmrflowError> {
        self.client
            .set_termination_protection()
            .job_flow_ids(cluster_id)
            .termination_protected(protected)
            .send()
            .await
            .map_err(|error| self.classify("SetTerminationProtection", error))?;
        Ok(())
    }

    async fn list_steps(
        &self,
        cluster_id: &str,
        step_ids: &[String],
    ) -> Result<Vec<StepSummary>, EmrflowError> {
        // ListSteps filters by at most 10 step ids; for more, list every step (50 per page)
        // and keep the wanted ones, which takes fewer calls than batches of 10.
        let filter = (!step_ids.is_empty() && step_ids.len() <= MAX_STEP_IDS_PER_LIST_STEPS)
            .then(|| step_ids.to_vec());
        let mut steps = self.list_steps_pages(cluster_id, filter).await?;
        if !step_ids.is_empty() {
            steps.retain(|step| step_ids.contains(&step.id));
        }
        Ok(steps)
    }

    async fn add_job_flow_steps(
        &self,
        cluster_id: &str,
        steps: &[StepConfig],
    ) -> Result<Vec<String>, EmrflowError> {
        let output = self
            .client
            .add_job_flow_steps()
            .job_flow_id(cluster_id)
            .set_steps(Some(steps.iter().map(sdk_step).collect()))
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map_err(|error| self.classify("AddJobFlowSteps", error))?;
        Ok(output.step_ids().to_vec())
    }

    async fn cancel_steps(
        &self,
        cluster_id: &str,
        step_ids: &[String],
    ) -> Result<Vec<CancelOutcome>, EmrflowError> {
        if step_ids.is_empty() {
            return Ok(Vec::new());
        }
        let output = self
            .client
            .cancel_steps()
            .cluster_id(cluster_id)
            .set_step_ids(Some(step_ids.to_vec()))
            .step_cancellation_option(emr::StepCancellationOption::TerminateProcess)
            .send()
            .await
            .map_err(|error| self.classify("CancelSteps", error))?;
        Ok(output
            .cancel_steps_info_list()
            .iter()
            .map(|info| CancelOutcome {
                step_id: info.step_id().unwrap_or_default().to_string(),
                submitted: info.status() == Some(&emr::CancelStepsRequestStatus::Submitted),
                reason: info.reason().map(str::to_string),
            })
            .collect())
    }

    async fn list_steps_since(
        &self,
        cluster_id: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<StepSummary>, EmrflowError> {
        let mut pages = self
            .client
            .list_steps()
            .cluster_id(cluster_id)
            .into_paginator()
            .items()
            .send();
        let mut steps = Vec::new();
        while let Some(item) = pages.next().await {
            let step =
                StepSummary::try_from(&item.map_err(|error| self.classify("ListSteps", error))?)?;
            if !created_since(&step, since) {
                break;
            }
            steps.push(step);
        }
        Ok(steps)
    }

    async fn terminate_job_flows(&self, cluster_id: &str) -> Result<(), EmrflowError> {
        self.client
            .terminate_job_flows()
            .job_flow_ids(cluster_id)
            .send()
            .await
            .map_err(|error| self.classify("TerminateJobFlows", error))?;
        Ok(())
    }

    async fn list_instances(&self, cluster_id: &str) -> Result<Vec<InstanceSummary>, EmrflowError> {
        let instances = self
            .client
            .list_instances()
            .cluster_id(cluster_id)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| self.classify("ListInstances", error))?;
        Ok(instances.iter().map(InstanceSummary::from).collect())
    }
}
