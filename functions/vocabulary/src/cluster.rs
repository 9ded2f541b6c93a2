//! A cluster's shape as RunJobFlow takes it, in EMR's PascalCase JSON: application
//! Configurations, instance fleets or groups, markets, bootstrap actions. The pipeline spec's
//! `Cluster` is written in these shapes, the EMR port's RunJobFlow request carries them, and
//! the cost of a run is read from the same instance types and markets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An EMR application configuration (`Configurations` of RunJobFlow).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EmrConfiguration {
    pub classification: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configurations: Vec<EmrConfiguration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NodeRole {
    Master,
    Core,
    Task,
}

impl NodeRole {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeRole::Master => "MASTER",
            NodeRole::Core => "CORE",
            NodeRole::Task => "TASK",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct InstanceFleet {
    pub instance_fleet_type: NodeRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_on_demand_capacity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_spot_capacity: Option<u32>,
    pub instance_type_configs: Vec<InstanceTypeConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct InstanceTypeConfig {
    pub instance_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weighted_capacity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_price_as_percentage_of_on_demand_price: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_price: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Market {
    OnDemand,
    Spot,
}

impl Market {
    pub fn as_str(self) -> &'static str {
        match self {
            Market::OnDemand => "ON_DEMAND",
            Market::Spot => "SPOT",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct InstanceGroup {
    pub instance_role: NodeRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub instance_type: String,
    pub instance_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<Market>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_price: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct BootstrapAction {
    pub name: String,
    pub path: String,
    #[serde(default)]
    pub args: Vec<String>,
}
