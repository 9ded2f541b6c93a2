//! The estimate: billed seconds per instance, priced, summed by instance type and market.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::prices::Prices;
use super::EXCLUDES;
use crate::emr::{InstanceSummary, Market};

/// The most lines (instance type × market) a cost lists; the rest are summed in one line
/// "other types", so the state stays bounded whatever a fleet holds.
pub const MAX_COST_LINES: usize = 12;
/// The most instance types named unknown; more are counted.
pub const MAX_UNKNOWN_NAMED: usize = 6;
/// EMR bills an instance for at least a minute.
const MINIMUM_BILLED_SECONDS: i64 = 60;
/// The longest instance type name kept (EMR's are under 20 characters).
const MAX_TYPE_CHARS: usize = 32;
/// The longest basis kept.
const MAX_BASIS_CHARS: usize = 600;
/// USD are kept to a hundredth of a cent.
const USD_DECIMALS: f64 = 10_000.0;

/// Which part of the instances' lives the execution pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostWindow {
    /// A cluster the execution created: every instance's whole life (ready → end, or `until`
    /// for one still running), with EMR's one-minute minimum.
    WholeLife { until: DateTime<Utc> },
    /// A reused cluster: only the time the execution held it.
    Held {
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    },
}

impl CostWindow {
    fn until(self) -> DateTime<Utc> {
        match self {
            CostWindow::WholeLife { until } | CostWindow::Held { until, .. } => until,
        }
    }

    /// The seconds of `instance` in the window, as billed.
    fn billed_seconds(self, instance: &InstanceSummary) -> i64 {
        let Some(ready) = instance.ready_at else {
            return 0; // never ready: EMR does not bill it
        };
        let end = instance.ended_at.unwrap_or(self.until()).min(self.until());
        match self {
            CostWindow::WholeLife { .. } => {
                let seconds = (end - ready).num_seconds();
                if seconds < 0 {
                    0
                } else {
                    seconds.max(MINIMUM_BILLED_SECONDS)
                }
            }
            CostWindow::Held { from, .. } => (end - ready.max(from)).num_seconds().max(0),
        }
    }

    fn words(self) -> String {
        match self {
            CostWindow::WholeLife { .. } => {
                "the created cluster's instances from ready to end (or Until)".to_string()
            }
            CostWindow::Held { from, .. } => format!(
                "the reused cluster's instances while this execution held it, from {} to Until",
                rfc3339(from)
            ),
        }
    }
}

/// One instance type in one market.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CostLine {
    pub instance_type: String,
    pub market: Market,
    pub instances: u32,
    pub instance_seconds: u64,
    /// None when the price is unknown.
    #[serde(rename = "Ec2USD")]
    pub ec2_usd: Option<f64>,
    #[serde(rename = "EmrUSD")]
    pub emr_usd: Option<f64>,
}

/// A run's estimated cost: the execution output's `Cost`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cost {
    /// EC2 + EMR of every priced line.
    #[serde(rename = "EstimatedUSD")]
    pub estimated_usd: f64,
    #[serde(rename = "Ec2USD")]
    pub ec2_usd: f64,
    #[serde(rename = "EmrUSD")]
    pub emr_usd: f64,
    pub instance_seconds: u64,
    pub by_instance_type: Vec<CostLine>,
    /// "unknown for r8g.48xlarge (SPOT)": what was not summed, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown: Option<String>,
    /// The time the estimate counts up to (the run's last look): an instance still running
    /// then counts until this time.
    pub until: String,
    /// The prices' date and region, what was counted, what is left out.
    pub basis: String,
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn usd(value: f64) -> f64 {
    // `+ 0.0` turns a negative zero into zero.
    (value * USD_DECIMALS).round() / USD_DECIMALS + 0.0
}

fn short_type(name: &str) -> String {
    name.chars().take(MAX_TYPE_CHARS).collect()
}

/// The estimate for `instances` in `window`, priced by `prices`. A missing price never
/// fails: its line has no USD and `unknown` names it.
pub async fn estimate(
    instances: &[InstanceSummary],
    window: CostWindow,
    prices: &dyn Prices,
) -> Cost {
    let mut seconds: BTreeMap<(String, Market), (u32, u64)> = BTreeMap::new();
    for instance in instances {
        let billed = u64::try_from(window.billed_seconds(instance)).unwrap_or(0);
        let key = (short_type(&instance.instance_type), instance.market);
        let entry = seconds.entry(key).or_default();
        entry.0 += 1;
        entry.1 += billed;
    }
    let mut lines = Vec::new();
    for ((instance_type, market), (count, billed)) in seconds {
        let price = prices.hourly(&instance_type, market, window.until()).await;
        let hours = billed as f64 / 3600.0;
        lines.push(CostLine {
            instance_type,
            market,
            instances: count,
            instance_seconds: billed,
            ec2_usd: price.map(|price| usd(price.ec2_usd * hours)),
            emr_usd: price.map(|price| usd(price.emr_usd * hours)),
        });
    }
    let unknown_names: Vec<String> = lines
        .iter()
        .filter(|line| line.ec2_usd.is_none() && line.instance_seconds > 0)
        .map(|line| {
            let spot = if line.market == Market::Spot {
                " (spot)"
            } else {
                ""
            };
            format!("{}{spot}", line.instance_type)
        })
        .collect();
    let ec2: f64 = lines.iter().filter_map(|line| line.ec2_usd).sum();
    let emr: f64 = lines.iter().filter_map(|line| line.emr_usd).sum();
    Cost {
        estimated_usd: usd(ec2 + emr),
        ec2_usd: usd(ec2),
        emr_usd: usd(emr),
        instance_seconds: lines.iter().map(|line| line.instance_seconds).sum(),
        by_instance_type: bounded(lines),
        unknown: unknown_words(&unknown_names),
        until: rfc3339(window.until()),
        basis: format!(
            "{}; {}, per second with a one-minute minimum; {EXCLUDES}",
            prices.basis(),
            window.words()
        )
        .chars()
        .take(MAX_BASIS_CHARS)
        .collect(),
    }
}

/// A cost that could not be estimated (ListInstances failed): zero, saying why.
pub fn unknown_cost(why: &str, until: DateTime<Utc>, prices: &dyn Prices) -> Cost {
    Cost {
        estimated_usd: 0.0,
        ec2_usd: 0.0,
        emr_usd: 0.0,
        instance_seconds: 0,
        by_instance_type: Vec::new(),
        unknown: Some(format!(
            "unknown: {}",
            why.chars().take(300).collect::<String>()
        )),
        until: rfc3339(until),
        basis: format!("{}; {EXCLUDES}", prices.basis()),
    }
}

fn unknown_words(names: &[String]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let named = names
        .iter()
        .take(MAX_UNKNOWN_NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let more = names.len().saturating_sub(MAX_UNKNOWN_NAMED);
    let more = if more > 0 {
        format!(" and {more} more types")
    } else {
        String::new()
    };
    Some(format!(
        "unknown for {named}{more}: no price; not in the sum"
    ))
}

/// At most MAX_COST_LINES lines: the biggest by instance-seconds, the rest in one.
fn bounded(mut lines: Vec<CostLine>) -> Vec<CostLine> {
    if lines.len() <= MAX_COST_LINES {
        return lines;
    }
    lines.sort_by_key(|line| std::cmp::Reverse(line.instance_seconds));
    let rest = lines.split_off(MAX_COST_LINES - 1);
    let sum = |part: fn(&CostLine) -> Option<f64>| {
        rest.iter()
            .map(part)
            .try_fold(0.0, |total, usd| usd.map(|usd| total + usd))
            .map(usd)
    };
    lines.push(CostLine {
        instance_type: "other types".into(),
        market: rest.first().map_or(Market::OnDemand, |line| line.market),
        instances: rest.iter().map(|line| line.instances).sum(),
        instance_seconds: rest.iter().map(|line| line.instance_seconds).sum(),
        ec2_usd: sum(|line| line.ec2_usd),
        emr_usd: sum(|line| line.emr_usd),
    });
    lines
}

impl Cost {
    /// One line a person reads: "$1.0880 estimated (EC2 $0.7549, EMR $0.3331; 10140
    /// instance-seconds)", with what is unknown.
    pub fn in_words(&self) -> String {
        let unknown = self
            .unknown
            .as_ref()
            .map_or_else(String::new, |unknown| format!("; {unknown}"));
        format!(
            "${:.4} estimated (EC2 ${:.4}, EMR ${:.4}; {} instance-seconds){unknown}",
            self.estimated_usd, self.ec2_usd, self.emr_usd, self.instance_seconds
        )
    }

    /// The largest cost the state can carry (the state size rule).
    pub fn worst_case() -> Cost {
        let line = CostLine {
            instance_type: "x".repeat(MAX_TYPE_CHARS),
            market: Market::OnDemand,
            instances: u32::MAX,
            instance_seconds: u64::MAX,
            ec2_usd: Some(-123_456_789.123_4),
            emr_usd: Some(-123_456_789.123_4),
        };
        let names = vec!["x".repeat(MAX_TYPE_CHARS + 7); MAX_UNKNOWN_NAMED + 1];
        Cost {
            estimated_usd: -123_456_789.123_4,
            ec2_usd: -123_456_789.123_4,
            emr_usd: -123_456_789.123_4,
            instance_seconds: u64::MAX,
            by_instance_type: vec![line; MAX_COST_LINES],
            unknown: unknown_words(&names).map(|words| {
                let pad = 320_usize.saturating_sub(words.len());
                words + &"x".repeat(pad)
            }),
            until: "2026-11-22T06:00:00Z".into(),
            basis: "x".repeat(MAX_BASIS_CHARS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(number: u64) -> CostLine {
        CostLine {
            instance_type: format!("t{number}.large"),
            market: Market::OnDemand,
            instances: 1,
            instance_seconds: number,
            ec2_usd: Some(1.0),
            emr_usd: Some(0.5),
        }
    }

    #[test]
    fn many_types_are_kept_to_a_bounded_list_summing_the_rest() {
        // GIVEN 20 instance types WHEN bounded THEN the 11 biggest are kept and the other 9
        // are one line summing their instances, seconds and USD
        let lines = bounded((1..=20).map(line).collect());
        assert_eq!(lines.len(), MAX_COST_LINES);
        assert_eq!(lines[0].instance_seconds, 20);
        let rest = &lines[MAX_COST_LINES - 1];
        assert_eq!(rest.instance_type, "other types");
        assert_eq!(rest.instances, 9);
        assert_eq!(rest.instance_seconds, (1..=9).sum::<u64>());
        assert_eq!(rest.ec2_usd, Some(9.0));
    }

    #[test]
    fn a_cost_reads_as_one_line_naming_what_is_unknown() {
        // GIVEN a cost with an unknown type WHEN said in words THEN sums, seconds, unknown
        let cost = Cost {
            estimated_usd: 1.088,
            ec2_usd: 0.7549,
            emr_usd: 0.3331,
            instance_seconds: 10140,
            by_instance_type: Vec::new(),
            unknown: unknown_words(&["r8g.48xlarge".to_string()]),
            until: "2026-11-21T06:42:15Z".into(),
            basis: String::new(),
        };
        assert_eq!(
            cost.in_words(),
            "$1.0880 estimated (EC2 $0.7549, EMR $0.3331; 10140 instance-seconds); unknown for r8g.48xlarge: no price; not in the sum"
        );
    }

    #[test]
    fn the_worst_case_is_larger_than_any_estimate() {
        // GIVEN the worst case WHEN measured THEN it is what the state size rule counts
        let worst = serde_json::to_string(&Cost::worst_case()).map_or(0, |text| text.len());
        assert!(worst > 2_000, "{worst}");
    }
}
