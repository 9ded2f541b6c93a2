//! The price snapshot shipped in the repository (`functions/core/prices/snapshot.json`): its
//! date, and per region and instance type EC2's on-demand price, EMR's price and a spot
//! price. `make prices-snapshot` rewrites it from AWS's public price list files
//! (`infra/prices/refresh.py`); the local runner and the tests price runs from it.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::prices::{HourlyPrice, Prices};
use crate::emr::Market;

/// The snapshot, compiled in: a run is priced without a file to find or a call to make.
const SNAPSHOT_JSON: &str = include_str!("../../prices/snapshot.json");

/// One instance type's prices in one region, USD per hour.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnapshotEntry {
    pub ec2: f64,
    pub emr: f64,
    /// A recent spot price (absent: spot instances of this type are priced unknown).
    #[serde(default)]
    pub spot: Option<f64>,
}

/// The snapshot file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Snapshot {
    pub date: String,
    #[serde(default)]
    pub source: String,
    pub regions: BTreeMap<String, BTreeMap<String, SnapshotEntry>>,
}

impl Snapshot {
    /// The snapshot shipped with this build.
    pub fn shipped() -> Snapshot {
        // The file is checked by a unit test; an unreadable one prices everything unknown.
        serde_json::from_str(SNAPSHOT_JSON).unwrap_or_else(|_| Snapshot {
            date: "unknown".into(),
            source: String::new(),
            regions: BTreeMap::new(),
        })
    }
}

/// [`Prices`] from the snapshot, for one region.
#[derive(Debug, Clone)]
pub struct SnapshotPrices {
    date: String,
    region: String,
    entries: BTreeMap<String, SnapshotEntry>,
}

impl SnapshotPrices {
    pub fn new(snapshot: &Snapshot, region: &str) -> Self {
        SnapshotPrices {
            date: snapshot.date.clone(),
            region: region.to_string(),
            entries: snapshot.regions.get(region).cloned().unwrap_or_default(),
        }
    }

    /// The day the snapshot's prices were read.
    pub fn date(&self) -> &str {
        &self.date
    }

    /// The shipped snapshot's prices of `region`.
    pub fn shipped(region: &str) -> Self {
        Self::new(&Snapshot::shipped(), region)
    }
}

#[async_trait]
impl Prices for SnapshotPrices {
    async fn hourly(
        &self,
        instance_type: &str,
        market: Market,
        _at: DateTime<Utc>,
    ) -> Option<HourlyPrice> {
        let entry = self.entries.get(instance_type)?;
        let ec2_usd = match market {
            Market::OnDemand => entry.ec2,
            Market::Spot => entry.spot?,
        };
        Some(HourlyPrice {
            ec2_usd,
            emr_usd: entry.emr,
        })
    }

    fn basis(&self) -> String {
        format!(
            "list prices of {} (the shipped snapshot), region {}",
            self.date, self.region
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_snapshot_reads_and_has_its_date() {
        // GIVEN the snapshot in the repository WHEN read THEN it parses, is dated and prices
        // the sample pipeline's instance types in us-east-1
        let snapshot: Snapshot = serde_json::from_str(SNAPSHOT_JSON).expect("snapshot.json");
        assert_eq!(snapshot.date.len(), 10, "{}", snapshot.date);
        let region = &snapshot.regions["us-east-1"];
        for instance_type in ["m5.xlarge", "c5.2xlarge", "c5.4xlarge", "r5.2xlarge"] {
            assert!(region.contains_key(instance_type), "{instance_type}");
        }
    }
}
