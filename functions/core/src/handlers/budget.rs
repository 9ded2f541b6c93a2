//! MaxCostUSD: a run on a cluster it created ends with BudgetExceeded once its running
//! estimate passes the budget. The estimate needs no EMR call: the pipeline's own cluster
//! shape (its groups or fleets, their instance types and markets) priced per hour, times the
//! time since the run's first step. (The cost reported at the end comes from ListInstances.)

use chrono::{DateTime, Utc};

use super::verdict::unfinished_steps;
use crate::cost::Prices;
use crate::emr::{ClusterDescription, Market};
use crate::graph::{Evaluation, Graph};
use crate::pipeline::PipelineSpec;
use crate::{EmrflowError, ErrorName};

/// What the pipeline's cluster costs per hour, and the types no price is known for (not
/// counted: a missing price never fails a run).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct HourlyRate {
    pub usd: f64,
    pub instances: u32,
    pub unknown: Vec<String>,
}

/// The instances the pipeline's cluster asks for: (type, market, count). A fleet is counted
/// in its first instance type, each instance its WeightedCapacity of the target capacities.
fn spec_instances(pipeline: &PipelineSpec) -> Vec<(String, Market, u32)> {
    let cluster = &pipeline.cluster;
    let groups = cluster.instance_groups.iter().flatten().map(|group| {
        let market = group.market.unwrap_or(Market::OnDemand);
        (group.instance_type.clone(), market, group.instance_count)
    });
    let fleets = cluster.instance_fleets.iter().flatten().flat_map(|fleet| {
        let first = fleet.instance_type_configs.first();
        let instance_type = first.map_or_else(String::new, |c| c.instance_type.clone());
        let weight = first.and_then(|c| c.weighted_capacity).unwrap_or(1).max(1);
        let count = |capacity: Option<u32>| capacity.unwrap_or(0).div_ceil(weight);
        [
            (
                instance_type.clone(),
                Market::OnDemand,
                count(fleet.target_on_demand_capacity),
            ),
            (
                instance_type,
                Market::Spot,
                count(fleet.target_spot_capacity),
            ),
        ]
    });
    groups
        .chain(fleets)
        .filter(|(_, _, count)| *count > 0)
        .collect()
}

pub(super) async fn hourly_rate(
    pipeline: &PipelineSpec,
    prices: &dyn Prices,
    at: DateTime<Utc>,
) -> HourlyRate {
    let mut rate = HourlyRate {
        usd: 0.0,
        instances: 0,
        unknown: Vec::new(),
    };
    for (instance_type, market, count) in spec_instances(pipeline) {
        rate.instances += count;
        match prices.hourly(&instance_type, market, at).await {
            Some(price) => rate.usd += f64::from(count) * (price.ec2_usd + price.emr_usd),
            None => rate.unknown.push(instance_type),
        }
    }
    rate
}

/// When the running estimate at `rate` since `since` reaches `budget` (none without a
/// priced instance): the latest the next look may be.
pub(super) fn budget_due(
    rate: &HourlyRate,
    budget: f64,
    since: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if rate.usd <= 0.0 {
        return None;
    }
    let seconds = (budget / rate.usd * 3600.0).ceil().min(1e9) as i64;
    Some(since + chrono::Duration::seconds(seconds + 1))
}

/// BudgetExceeded when `rate` since `since` passes MaxCostUSD.
pub(super) fn budget_exceeded(
    pipeline: &PipelineSpec,
    rate: &HourlyRate,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    cluster: &ClusterDescription,
    graph: &Graph<'_>,
    evaluation: &Evaluation<'_>,
) -> Option<EmrflowError> {
    let budget = pipeline.max_cost_usd?;
    let hours = (now - since).num_seconds().max(0) as f64 / 3600.0;
    let estimate = rate.usd * hours;
    if estimate <= budget {
        return None;
    }
    let unknown = if rate.unknown.is_empty() {
        String::new()
    } else {
        format!(
            " (prices unknown for {}: not counted)",
            rate.unknown.join(", ")
        )
    };
    Some(EmrflowError::new(
        ErrorName::BudgetExceeded,
        format!(
            "the run's estimated cost is ${estimate:.2} ({} at ${:.2} an hour for {:.1} hours on cluster {}{unknown}), over its MaxCostUSD of {budget}; unfinished steps: {}",
            crate::words::count(rate.instances, "instance"),
            rate.usd,
            hours,
            cluster.id,
            unfinished_steps(graph, evaluation)
        ),
    ))
}
