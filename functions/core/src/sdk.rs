//! [`EmrApi`] on the real `aws-sdk-emr` client, and the classification of SDK errors into the
//! contract's error names.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_emr::config::retry::RetryConfig;
use aws_sdk_emr::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_emr::types as emr;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::date_time::Format;

use crate::emr::{
    ClusterDescription, ClusterLaunch, ClusterSummary, EmrApi, FailureDetails, StepConfig,
    StepSummary,
};
use crate::pipeline::{ClusterConfig, EmrConfiguration};
use crate::{EmrflowError, ErrorName};

/// RunJobFlow and AddJobFlowSteps take no client token: if the SDK resent one after a lost
/// response, EMR would make a second cluster or a second copy of the steps. These calls are
/// sent once; the handler's retry (from the state machine) looks for what the first attempt
/// made before calling again.
fn sent_once() -> aws_sdk_emr::config::Builder {
    aws_sdk_emr::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// Error codes AWS uses for throttling (the SDK's own retry classifier knows the same list).
const THROTTLING_CODES: [&str; 14] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// EMR accepts at most this many ids in ListSteps' StepIds filter.
pub const MAX_STEP_IDS_PER_LIST_STEPS: usize = 10;

/// Error codes of a failure on AWS's side that may pass on a retry.
const TRANSIENT_CODES: [&str; 5] = [
    "InternalServerError",
    "InternalServerException",
    "InternalFailure",
    "ServiceUnavailable",
    "RequestTimeout",
];

/// Maps an SDK error of `operation` to a contract error: throttling → EmrThrottled; timeouts,
/// dispatch failures and 5xx → AwsTransient; any other service error (ValidationException,
/// InvalidRequestException, …) → AwsRequestRejected carrying EMR's message.
pub fn classify_sdk_error<E>(operation: &str, error: SdkError<E, HttpResponse>) -> EmrflowError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &error {
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or("Unknown");
            // A modeled error carries its message even when the metadata has none.
            let message = context
                .err()
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| describe_chain(context.err()));
            let status = context.raw().status().as_u16();
            let text = format!("{operation}: EMR answered {code}: {message}");
            if THROTTLING_CODES.contains(&code) || status == 429 {
                EmrflowError::new(ErrorName::EmrThrottled, text)
            } else if TRANSIENT_CODES.contains(&code) || status >= 500 {
                EmrflowError::new(ErrorName::AwsTransient, text)
            } else {
                EmrflowError::new(ErrorName::AwsRequestRejected, text)
            }
        }
        SdkError::TimeoutError(_) => EmrflowError::new(
            ErrorName::AwsTransient,
            format!("{operation}: the call to EMR timed out"),
        ),
        SdkError::DispatchFailure(failure) => EmrflowError::new(
            ErrorName::AwsTransient,
            format!(
                "{operation}: the request could not be sent to EMR: {:?}",
                failure.as_connector_error()
            ),
        ),
        SdkError::ResponseError(_) => EmrflowError::new(
            ErrorName::AwsTransient,
            format!(
                "{operation}: EMR's response could not be read: {}",
                describe_chain(&error)
            ),
        ),
        SdkError::ConstructionFailure(_) => EmrflowError::new(
            ErrorName::AwsRequestRejected,
            format!(
                "{operation}: the request could not be built: {}",
                describe_chain(&error)
            ),
        ),
        _ => EmrflowError::new(
            ErrorName::AwsTransient,
            format!("{operation}: {}", describe_chain(&error)),
        ),
    }
}

fn describe_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// [`EmrApi`] over `aws_sdk_emr::Client`.
#[derive(Debug, Clone)]
pub struct SdkEmr {
    client: aws_sdk_emr::Client,
}

impl SdkEmr {
    pub fn new(client: aws_sdk_emr::Client) -> Self {
        SdkEmr { client }
    }
}

fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn format_time(time: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    time.and_then(|time| time.fmt(Format::DateTime).ok())
}

fn sdk_configuration(configuration: &EmrConfiguration) -> emr::Configuration {
    emr::Configuration::builder()
        .classification(&configuration.classification)
        .set_properties((!configuration.properties.is_empty()).then(|| {
            configuration
                .properties
                .iter()
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect::<HashMap<_, _>>()
        }))
        .set_configurations((!configuration.configurations.is_empty()).then(|| {
            configuration
                .configurations
                .iter()
                .map(sdk_configuration)
                .collect()
        }))
        .build()
}

/// The JobFlowInstancesConfig of a cluster config (fleets or groups, subnets).
pub fn sdk_instances(config: &ClusterConfig) -> emr::JobFlowInstancesConfig {
    let mut instances = emr::JobFlowInstancesConfig::builder()
        // The cluster waits for steps instead of shutting down when it has none queued.
        .keep_job_flow_alive_when_no_steps(true);
    if let Some(fleets) = &config.instance_fleets {
        instances = instances
            .set_ec2_subnet_ids(
                (!config.ec2_subnet_ids.is_empty()).then(|| config.ec2_subnet_ids.clone()),
            )
            .set_instance_fleets(Some(
                fleets
                    .iter()
                    .map(|fleet| {
                        emr::InstanceFleetConfig::builder()
                            .instance_fleet_type(emr::InstanceFleetType::from(
                                fleet.instance_fleet_type.as_str(),
                            ))
                            .set_name(fleet.name.clone())
                            .set_target_on_demand_capacity(
                                fleet.target_on_demand_capacity.map(to_i32),
                            )
                            .set_target_spot_capacity(fleet.target_spot_capacity.map(to_i32))
                            .set_instance_type_configs(Some(
                                fleet
                                    .instance_type_configs
                                    .iter()
                                    .map(|config| {
                                        emr::InstanceTypeConfig::builder()
                                            .instance_type(&config.instance_type)
                                            .set_weighted_capacity(
                                                config.weighted_capacity.map(to_i32),
                                            )
                                            .set_bid_price_as_percentage_of_on_demand_price(
                                                config.bid_price_as_percentage_of_on_demand_price,
                                            )
                                            .set_bid_price(config.bid_price.clone())
                                            .build()
                                    })
                                    .collect(),
                            ))
                            .build()
                    })
                    .collect(),
            ));
    }
    if let Some(groups) = &config.instance_groups {
        // Instance groups take a single subnet (Ec2SubnetIds is for fleets only).
        instances = instances
            .set_ec2_subnet_id(config.ec2_subnet_ids.first().cloned())
            .set_instance_groups(Some(
                groups
                    .iter()
                    .map(|group| {
                        emr::InstanceGroupConfig::builder()
                            .instance_role(emr::InstanceRoleType::from(
                                group.instance_role.as_str(),
                            ))
                            .set_name(group.name.clone())
                            .instance_type(&group.instance_type)
                            .instance_count(to_i32(group.instance_count))
                            .set_market(
                                group
                                    .market
                                    .map(|market| emr::MarketType::from(market.as_str())),
                            )
                            .set_bid_price(group.bid_price.clone())
                            .build()
                    })
                    .collect(),
            ));
    }
    instances.build()
}

/// The SDK StepConfig of a compiled step.
pub fn sdk_step(step: &StepConfig) -> emr::StepConfig {
    let jar = &step.hadoop_jar_step;
    emr::StepConfig::builder()
        .name(&step.name)
        .action_on_failure(emr::ActionOnFailure::from(step.action_on_failure.as_str()))
        .hadoop_jar_step(
            emr::HadoopJarStepConfig::builder()
                .jar(&jar.jar)
                .set_main_class(jar.main_class.clone())
                .set_args(Some(jar.args.clone()))
                .set_properties((!jar.properties.is_empty()).then(|| {
                    jar.properties
                        .iter()
                        .map(|(key, value)| emr::KeyValue::builder().key(key).value(value).build())
                        .collect()
                }))
                .build(),
        )
        .build()
}

#[async_trait]
impl EmrApi for SdkEmr {
    async fn run_job_flow(&self, launch: &ClusterLaunch) -> Result<String, EmrflowError> {
        let config = &launch.config;
        let output = self
            .client
            .run_job_flow()
            .name(&launch.name)
            .release_label(&config.release_label)
            .set_applications((!config.applications.is_empty()).then(|| {
                config
                    .applications
                    .iter()
                    .map(|name| emr::Application::builder().name(name).build())
                    .collect()
            }))
            .set_configurations((!config.configurations.is_empty()).then(|| {
                config
                    .configurations
                    .iter()
                    .map(sdk_configuration)
                    .collect()
            }))
            .service_role(&config.service_role)
            .job_flow_role(&config.job_flow_role)
            .set_log_uri(config.log_uri.clone())
            .instances(sdk_instances(config))
            .visible_to_all_users(true)
            .step_concurrency_level(to_i32(config.step_concurrency_level()))
            .set_auto_termination_policy(config.idle_timeout_seconds.map(|seconds| {
                emr::AutoTerminationPolicy::builder()
                    .idle_timeout(i64::try_from(seconds).unwrap_or(i64::MAX))
                    .build()
            }))
            .set_bootstrap_actions((!config.bootstrap_actions.is_empty()).then(|| {
                config
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
            .map_err(|error| classify_sdk_error("RunJobFlow", error))?;
        output.job_flow_id().map(str::to_string).ok_or_else(|| {
            EmrflowError::new(
                ErrorName::AwsTransient,
                "RunJobFlow: EMR answered without a JobFlowId",
            )
        })
    }

    async fn list_clusters(
        &self,
        states: &[&str],
        created_after: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Vec<ClusterSummary>, EmrflowError> {
        let mut clusters = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let output = self
                .client
                .list_clusters()
                .set_cluster_states(Some(
                    states
                        .iter()
                        .map(|state| emr::ClusterState::from(*state))
                        .collect(),
                ))
                .set_created_after(
                    created_after
                        .map(|time| aws_smithy_types::DateTime::from_secs(time.timestamp())),
                )
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|error| classify_sdk_error("ListClusters", error))?;
            clusters.extend(output.clusters().iter().map(|cluster| {
                ClusterSummary {
                    id: cluster.id().unwrap_or_default().to_string(),
                    name: cluster.name().unwrap_or_default().to_string(),
                    state: cluster
                        .status()
                        .and_then(|status| status.state())
                        .map(|state| state.as_str().to_string())
                        .unwrap_or_default(),
                }
            }));
            match output.marker() {
                Some(next) if !next.is_empty() => marker = Some(next.to_string()),
                _ => return Ok(clusters),
            }
        }
    }

    async fn describe_cluster(&self, cluster_id: &str) -> Result<ClusterDescription, EmrflowError> {
        let output = self
            .client
            .describe_cluster()
            .cluster_id(cluster_id)
            .send()
            .await
            .map_err(|error| classify_sdk_error("DescribeCluster", error))?;
        let cluster = output.cluster().ok_or_else(|| {
            EmrflowError::new(
                ErrorName::AwsTransient,
                format!("DescribeCluster {cluster_id}: EMR answered without a Cluster"),
            )
        })?;
        let status = cluster.status();
        let reason = status.and_then(|status| status.state_change_reason());
        Ok(ClusterDescription {
            id: cluster.id().unwrap_or(cluster_id).to_string(),
            name: cluster.name().unwrap_or_default().to_string(),
            state: status
                .and_then(|status| status.state())
                .map(|state| state.as_str().to_string())
                .unwrap_or_default(),
            state_change_reason_code: reason
                .and_then(|reason| reason.code())
                .map(|code| code.as_str().to_string()),
            state_change_reason_message: reason
                .and_then(|reason| reason.message())
                .map(str::to_string),
            termination_protected: cluster.termination_protected().unwrap_or(false),
            step_concurrency_level: cluster
                .step_concurrency_level()
                .and_then(|level| u32::try_from(level).ok())
                .unwrap_or(1),
            log_uri: cluster.log_uri().map(str::to_string),
            tags: cluster
                .tags()
                .iter()
                .filter_map(|tag| {
                    Some((
                        tag.key()?.to_string(),
                        tag.value().unwrap_or_default().to_string(),
                    ))
                })
                .collect(),
        })
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
            .map_err(|error| classify_sdk_error("SetTerminationProtection", error))?;
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
            .map_err(|error| classify_sdk_error("AddJobFlowSteps", error))?;
        Ok(output.step_ids().to_vec())
    }

    async fn terminate_job_flows(&self, cluster_id: &str) -> Result<(), EmrflowError> {
        self.client
            .terminate_job_flows()
            .job_flow_ids(cluster_id)
            .send()
            .await
            .map_err(|error| classify_sdk_error("TerminateJobFlows", error))?;
        Ok(())
    }
}

impl SdkEmr {
    async fn list_steps_pages(
        &self,
        cluster_id: &str,
        step_ids: Option<Vec<String>>,
    ) -> Result<Vec<StepSummary>, EmrflowError> {
        let mut steps = Vec::new();

        let mut marker: Option<String> = None;
        loop {
            let output = self
                .client
                .list_steps()
                .cluster_id(cluster_id)
                .set_step_ids(step_ids.clone())
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|error| classify_sdk_error("ListSteps", error))?;
            steps.extend(output.steps().iter().map(|step| {
                let status = step.status();
                let timeline = status.and_then(|status| status.timeline());
                StepSummary {
                    id: step.id().unwrap_or_default().to_string(),
                    name: step.name().unwrap_or_default().to_string(),
                    state: status
                        .and_then(|status| status.state())
                        .map(|state| state.as_str().to_string())
                        .unwrap_or_default(),
                    action_on_failure: step
                        .action_on_failure()
                        .map(|action| action.as_str().to_string()),
                    created_at: format_time(timeline.and_then(|t| t.creation_date_time())),
                    started_at: format_time(timeline.and_then(|t| t.start_date_time())),
                    ended_at: format_time(timeline.and_then(|t| t.end_date_time())),
                    failure_details: status.and_then(|status| status.failure_details()).map(
                        |details| FailureDetails {
                            reason: details.reason().map(str::to_string),
                            message: details.message().map(str::to_string),
                            log_file: details.log_file().map(str::to_string),
                        },
                    ),
                }
            }));
            match output.marker() {
                Some(next) if !next.is_empty() => marker = Some(next.to_string()),
                _ => return Ok(steps),
            }
        }
    }
}
