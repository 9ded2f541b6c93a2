//! SDK ↔ domain conversions, all in one place: SDK answers become emrflow's types once
//! (`TryFrom`), and emrflow's StepConfig and cluster config become SDK requests.

use std::collections::HashMap;

use aws_sdk_emr::types as emr;
use aws_smithy_types::date_time::Format;

use crate::emr::{
    ActionOnFailure, ClusterDescription, ClusterLaunch, ClusterState, ClusterSummary,
    EmrConfiguration, FailureDetails, InstanceCollection, InstanceFleet, InstanceGroup,
    InstanceSummary, Instances, Market, StepConfig, StepState, StepSummary,
};
use crate::EmrflowError;

/// A state name this emrflow does not know cannot be judged; retrying will not help.
fn unknown_state(error: emrflow_vocabulary::UnknownState) -> EmrflowError {
    EmrflowError::internal(error.to_string())
}

pub(super) fn cluster_state(
    state: Option<&emr::ClusterState>,
) -> Result<ClusterState, EmrflowError> {
    let name = state.map(emr::ClusterState::as_str).unwrap_or_default();
    ClusterState::parse(name).map_err(unknown_state)
}

fn step_state(state: Option<&emr::StepState>) -> Result<StepState, EmrflowError> {
    let name = state.map(emr::StepState::as_str).unwrap_or_default();
    StepState::parse(name).map_err(unknown_state)
}

pub(super) fn sdk_cluster_state(state: ClusterState) -> emr::ClusterState {
    emr::ClusterState::from(state.as_str())
}

fn format_time(time: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    time.and_then(|time| time.fmt(Format::DateTime).ok())
}

impl TryFrom<&emr::ClusterSummary> for ClusterSummary {
    type Error = EmrflowError;

    fn try_from(cluster: &emr::ClusterSummary) -> Result<Self, EmrflowError> {
        Ok(ClusterSummary {
            id: cluster.id().unwrap_or_default().to_string(),
            name: cluster.name().unwrap_or_default().to_string(),
            state: cluster_state(cluster.status().and_then(|status| status.state()))?,
        })
    }
}

impl TryFrom<&emr::Cluster> for ClusterDescription {
    type Error = EmrflowError;

    fn try_from(cluster: &emr::Cluster) -> Result<Self, EmrflowError> {
        let status = cluster.status();
        let reason = status.and_then(|status| status.state_change_reason());
        Ok(ClusterDescription {
            id: cluster.id().unwrap_or_default().to_string(),
            name: cluster.name().unwrap_or_default().to_string(),
            state: cluster_state(status.and_then(|status| status.state()))?,
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
}

impl TryFrom<&emr::StepSummary> for StepSummary {
    type Error = EmrflowError;

    fn try_from(step: &emr::StepSummary) -> Result<Self, EmrflowError> {
        let status = step.status();
        let timeline = status.and_then(|status| status.timeline());
        Ok(StepSummary {
            id: step.id().unwrap_or_default().to_string(),
            name: step.name().unwrap_or_default().to_string(),
            state: step_state(status.and_then(|status| status.state()))?,
            action_on_failure: step
                .action_on_failure()
                .and_then(|action| ActionOnFailure::parse(action.as_str()).ok()),
            created_at: format_time(timeline.and_then(|t| t.creation_date_time())),
            started_at: format_time(timeline.and_then(|t| t.start_date_time())),
            ended_at: format_time(timeline.and_then(|t| t.end_date_time())),
            failure_details: status
                .and_then(|status| status.failure_details())
                .map(|details| FailureDetails {
                    reason: details.reason().map(str::to_string),
                    message: details.message().map(str::to_string),
                    log_file: details.log_file().map(str::to_string),
                }),
        })
    }
}

fn utc_time(time: Option<&aws_smithy_types::DateTime>) -> Option<chrono::DateTime<chrono::Utc>> {
    time.and_then(|time| chrono::DateTime::from_timestamp(time.secs(), time.subsec_nanos()))
}

impl From<&emr::Instance> for InstanceSummary {
    /// A market EMR does not name is on-demand (its default); an instance in no group or
    /// fleet keeps `collection` empty.
    fn from(instance: &emr::Instance) -> Self {
        let timeline = instance.status().and_then(|status| status.timeline());
        let collection = match (instance.instance_group_id(), instance.instance_fleet_id()) {
            (Some(group), _) => Some(InstanceCollection::Group(group.to_string())),
            (None, Some(fleet)) => Some(InstanceCollection::Fleet(fleet.to_string())),
            (None, None) => None,
        };
        InstanceSummary {
            id: instance.id().unwrap_or_default().to_string(),
            instance_type: instance.instance_type().unwrap_or_default().to_string(),
            market: match instance.market() {
                Some(emr::MarketType::Spot) => Market::Spot,
                _ => Market::OnDemand,
            },
            collection,
            created_at: utc_time(timeline.and_then(|t| t.creation_date_time())),
            ready_at: utc_time(timeline.and_then(|t| t.ready_date_time())),
            ended_at: utc_time(timeline.and_then(|t| t.end_date_time())),
        }
    }
}

pub(super) fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

pub(super) fn sdk_configuration(configuration: &EmrConfiguration) -> emr::Configuration {
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
                        .map(|pair| {
                            emr::KeyValue::builder()
                                .key(&pair.key)
                                .value(&pair.value)
                                .build()
                        })
                        .collect()
                }))
                .build(),
        )
        .build()
}

fn sdk_fleet(fleet: &InstanceFleet) -> emr::InstanceFleetConfig {
    emr::InstanceFleetConfig::builder()
        .instance_fleet_type(emr::InstanceFleetType::from(
            fleet.instance_fleet_type.as_str(),
        ))
        .set_name(fleet.name.clone())
        .set_target_on_demand_capacity(fleet.target_on_demand_capacity.map(to_i32))
        .set_target_spot_capacity(fleet.target_spot_capacity.map(to_i32))
        .set_instance_type_configs(Some(
            fleet
                .instance_type_configs
                .iter()
                .map(|config| {
                    emr::InstanceTypeConfig::builder()
                        .instance_type(&config.instance_type)
                        .set_weighted_capacity(config.weighted_capacity.map(to_i32))
                        .set_bid_price_as_percentage_of_on_demand_price(
                            config.bid_price_as_percentage_of_on_demand_price,
                        )
                        .set_bid_price(config.bid_price.clone())
                        .build()
                })
                .collect(),
        ))
        .build()
}

fn sdk_group(group: &InstanceGroup) -> emr::InstanceGroupConfig {
    emr::InstanceGroupConfig::builder()
        .instance_role(emr::InstanceRoleType::from(group.instance_role.as_str()))
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
}

/// The JobFlowInstancesConfig of a cluster launch (fleets or groups, subnets).
pub fn sdk_instances(launch: &ClusterLaunch) -> emr::JobFlowInstancesConfig {
    let instances = emr::JobFlowInstancesConfig::builder()
        // The cluster waits for steps instead of shutting down when it has none queued.
        .keep_job_flow_alive_when_no_steps(true);
    let subnets = &launch.ec2_subnet_ids;
    match &launch.instances {
        Instances::Fleets(fleets) => instances
            .set_ec2_subnet_ids((!subnets.is_empty()).then(|| subnets.clone()))
            .set_instance_fleets(Some(fleets.iter().map(sdk_fleet).collect())),
        // Instance groups take a single subnet (Ec2SubnetIds is for fleets only).
        Instances::Groups(groups) => instances
            .set_ec2_subnet_id(subnets.first().cloned())
            .set_instance_groups(Some(groups.iter().map(sdk_group).collect())),
    }
    .build()
}
