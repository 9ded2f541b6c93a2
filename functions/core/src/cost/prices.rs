//! The prices port: what one instance of a type costs per hour, EC2's part and EMR's, in a
//! market. Adapters: the snapshot shipped in the repository ([`super::SnapshotPrices`]); an
//! AWS adapter (Price List Query API, spot price history) lives outside the core, so the core
//! links no pricing SDK.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::emr::Market;

/// USD per hour of one instance: EC2's price (on-demand, or the spot price) and EMR's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HourlyPrice {
    pub ec2_usd: f64,
    pub emr_usd: f64,
}

/// Prices of one region. A price that cannot be had (a new instance type, the pricing API
/// throttled or denied) is `None`: the cost names it unknown, it never fails a run.
#[async_trait]
pub trait Prices: Send + Sync {
    /// One instance of `instance_type` in `market`, per hour, around `at`.
    async fn hourly(
        &self,
        instance_type: &str,
        market: Market,
        at: DateTime<Utc>,
    ) -> Option<HourlyPrice>;

    /// Where the prices come from, in words: "list prices of 2026-12-07, region us-east-1".
    fn basis(&self) -> String;
}
