//! The `Cluster` keys of a pipeline spec: what RunJobFlow gets, and the checks EMR would
//! otherwise make only after a cluster request was sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use emrflow_vocabulary::limits::{
    IDLE_TIMEOUT_SECONDS, MAX_TAGS, MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS, STEP_CONCURRENCY_LEVELS,
};
use emrflow_vocabulary::s3::parse_s3_uri;

pub use emrflow_vocabulary::cluster::{
    BootstrapAction, EmrConfiguration, InstanceFleet, InstanceGroup, InstanceTypeConfig, Market,
    NodeRole,
};

use super::spec_error;
use crate::{words, EmrflowError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ClusterConfig {
    pub release_label: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configurations: Vec<EmrConfiguration>,
    pub service_role: String,
    pub job_flow_role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ec2_subnet_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_fleets: Option<Vec<InstanceFleet>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_groups: Option<Vec<InstanceGroup>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_concurrency_level: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bootstrap_actions: Vec<BootstrapAction>,
}

impl ClusterConfig {
    pub fn step_concurrency_level(&self) -> u32 {
        self.step_concurrency_level.unwrap_or(1)
    }
}

impl ClusterConfig {
    pub(super) fn validate(&self) -> Result<(), EmrflowError> {
        let invalid = |message: String| Err(EmrflowError::invalid_input(message));
        for (key, value) in [
            ("ReleaseLabel", &self.release_label),
            ("ServiceRole", &self.service_role),
            ("JobFlowRole", &self.job_flow_role),
        ] {
            if value.trim().is_empty() {
                return Err(spec_error(format!("Cluster.{key}"), "must not be empty"));
            }
        }
        if let Some(level) = self.step_concurrency_level {
            if !STEP_CONCURRENCY_LEVELS.contains(&level) {
                return Err(spec_error(
                    "Cluster.StepConcurrencyLevel",
                    format!(
                        "{level} is not allowed: it must be {}",
                        words::range(&STEP_CONCURRENCY_LEVELS)
                    ),
                ));
            }
        }
        if let Some(idle) = self.idle_timeout_seconds {
            if !IDLE_TIMEOUT_SECONDS.contains(&idle) {
                return Err(spec_error(
                    "Cluster.IdleTimeoutSeconds",
                    format!(
                        "{idle} is not allowed: it must be {} seconds",
                        words::range(&IDLE_TIMEOUT_SECONDS)
                    ),
                ));
            }
        }
        self.validate_locations()?;
        self.validate_tags()?;
        match (&self.instance_fleets, &self.instance_groups) {
            (Some(_), Some(_)) => invalid(
                "pipeline spec: keys 'Cluster.InstanceFleets' and 'Cluster.InstanceGroups': give exactly one of the two, not both".into(),
            ),
            (None, None) => invalid(
                "pipeline spec: keys 'Cluster.InstanceFleets' and 'Cluster.InstanceGroups': give exactly one of the two".into(),
            ),
            (Some(fleets), None) => validate_fleets(fleets),
            (None, Some(groups)) => validate_groups(groups),
        }
    }
}

/// An S3 location EMR needs (LogUri, a bootstrap action, a script): `s3://bucket/key` with a
/// valid bucket name. Placeholders may sit in the key, not in the bucket.
pub(super) fn check_s3_location(text: &str, key: &str) -> Result<(), EmrflowError> {
    parse_s3_uri(text)
        .map(|_| ())
        .map_err(|error| spec_error(key, error))
}

impl ClusterConfig {
    /// LogUri is required (emrflow promises log locations: without it EMR keeps step logs
    /// only on the cluster, lost when it ends); S3 locations and subnets are well formed.
    fn validate_locations(&self) -> Result<(), EmrflowError> {
        let Some(log_uri) = &self.log_uri else {
            return Err(spec_error(
                "Cluster.LogUri",
                "required — without it EMR keeps step logs only on the cluster, and they are lost when it terminates",
            ));
        };
        check_s3_location(log_uri, "Cluster.LogUri")?;
        for (index, action) in self.bootstrap_actions.iter().enumerate() {
            check_s3_location(
                &action.path,
                &format!("Cluster.BootstrapActions[{index}].Path"),
            )?;
        }
        for (index, subnet) in self.ec2_subnet_ids.iter().enumerate() {
            if !subnet.starts_with("subnet-") || subnet.trim().len() <= "subnet-".len() {
                return Err(spec_error(
                    format!("Cluster.Ec2SubnetIds[{index}]"),
                    format!("'{subnet}' is not a subnet id (expected subnet-…)"),
                ));
            }
        }
        Ok(())
    }

    /// EMR's tag limits, and emrflow's own two tags kept for emrflow.
    fn validate_tags(&self) -> Result<(), EmrflowError> {
        // emrflow adds emrflow:pipeline and emrflow:execution.
        if self.tags.len() + 2 > MAX_TAGS {
            return Err(spec_error(
                "Cluster.Tags",
                format!(
                    "{}, and emrflow adds 2; EMR allows at most {MAX_TAGS}",
                    words::count(self.tags.len() as u64, "tag")
                ),
            ));
        }
        for (key, value) in &self.tags {
            let at = format!("Cluster.Tags.{key}");
            if key.is_empty() || key.chars().count() > MAX_TAG_KEY_CHARS {
                return Err(spec_error(
                    at,
                    format!("a tag key must be 1 to {MAX_TAG_KEY_CHARS} characters"),
                ));
            }
            if value.chars().count() > MAX_TAG_VALUE_CHARS {
                return Err(spec_error(
                    at,
                    format!("a tag value must be at most {MAX_TAG_VALUE_CHARS} characters"),
                ));
            }
            if key.starts_with("aws:") {
                return Err(spec_error(at, "the aws: prefix is reserved by AWS"));
            }
            if key.starts_with("emrflow:") {
                return Err(spec_error(
                    at,
                    "the emrflow: prefix is reserved: emrflow tags each cluster with emrflow:pipeline and emrflow:execution",
                ));
            }
        }
        Ok(())
    }
}

fn check_one_master_at_most_one_core(
    roles: impl Iterator<Item = NodeRole> + Clone,
    key: &str,
) -> Result<(), EmrflowError> {
    let count = |role| roles.clone().filter(|r| *r == role).count();
    if count(NodeRole::Master) != 1 {
        return Err(spec_error(
            format!("Cluster.{key}"),
            "exactly one MASTER is required",
        ));
    }
    if count(NodeRole::Core) > 1 {
        return Err(spec_error(
            format!("Cluster.{key}"),
            "at most one CORE is allowed",
        ));
    }
    Ok(())
}

fn validate_fleets(fleets: &[InstanceFleet]) -> Result<(), EmrflowError> {
    check_one_master_at_most_one_core(
        fleets.iter().map(|fleet| fleet.instance_fleet_type),
        "InstanceFleets",
    )?;
    if fleets
        .iter()
        .filter(|fleet| fleet.instance_fleet_type == NodeRole::Task)
        .count()
        > 1
    {
        return Err(spec_error(
            "Cluster.InstanceFleets",
            "at most one TASK fleet is allowed",
        ));
    }
    for (index, fleet) in fleets.iter().enumerate() {
        let at = format!("Cluster.InstanceFleets[{index}]");
        let capacity =
            fleet.target_on_demand_capacity.unwrap_or(0) + fleet.target_spot_capacity.unwrap_or(0);
        if fleet.instance_fleet_type == NodeRole::Master && capacity != 1 {
            return Err(spec_error(
                &at,
                format!(
                    "the MASTER fleet needs a total target capacity of exactly 1, not {capacity}"
                ),
            ));
        }
        if capacity == 0 && fleet.instance_fleet_type == NodeRole::Core {
            return Err(spec_error(
                &at,
                "the CORE fleet needs TargetOnDemandCapacity or TargetSpotCapacity above 0",
            ));
        }
        if fleet.instance_type_configs.is_empty() || fleet.instance_type_configs.len() > 30 {
            return Err(spec_error(
                format!("{at}.InstanceTypeConfigs"),
                "give 1 to 30 instance types",
            ));
        }
        for (type_index, config) in fleet.instance_type_configs.iter().enumerate() {
            if config.instance_type.trim().is_empty() {
                return Err(spec_error(
                    format!("{at}.InstanceTypeConfigs[{type_index}].InstanceType"),
                    "must not be empty",
                ));
            }
            if config.bid_price.is_some()
                && config.bid_price_as_percentage_of_on_demand_price.is_some()
            {
                return Err(spec_error(
                    format!("{at}.InstanceTypeConfigs[{type_index}]"),
                    "give BidPrice or BidPriceAsPercentageOfOnDemandPrice, not both",
                ));
            }
        }
    }
    Ok(())
}

fn validate_groups(groups: &[InstanceGroup]) -> Result<(), EmrflowError> {
    check_one_master_at_most_one_core(
        groups.iter().map(|group| group.instance_role),
        "InstanceGroups",
    )?;
    for (index, group) in groups.iter().enumerate() {
        let at = format!("Cluster.InstanceGroups[{index}]");
        if group.instance_type.trim().is_empty() {
            return Err(spec_error(
                format!("{at}.InstanceType"),
                "must not be empty",
            ));
        }
        if group.instance_count == 0
            || (group.instance_role == NodeRole::Master && group.instance_count != 1)
        {
            return Err(spec_error(
                format!("{at}.InstanceCount"),
                format!(
                    "{} is not allowed for {} (MASTER needs 1, others at least 1)",
                    group.instance_count,
                    group.instance_role.as_str()
                ),
            ));
        }
        if group.bid_price.is_some() && group.market != Some(Market::Spot) {
            return Err(spec_error(
                format!("{at}.BidPrice"),
                "only a SPOT group takes a BidPrice",
            ));
        }
    }
    Ok(())
}
