//! A run's prices on AWS, behind the core's [`Prices`] port:
//!
//! - [`price_list`]: the Price List Query API's GetProducts requests for one instance type
//!   (EC2's Linux on-demand price, EMR's price) and the one rule that reads an hourly USD
//!   price out of the documents it answers;
//! - [`AwsPrices`] (this file): those prices, cached for the life of the Lambda container,
//!   so a run makes two calls per instance type at most; spot instances at the shipped
//!   snapshot's spot price; what the API does not answer (throttled, denied, unreachable,
//!   an instance type it does not know) from the snapshot, and the basis says so. A price
//!   neither has is unknown: the cost names it, the run never fails for it.

pub mod price_list;

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use emrflow_core::cost::{HourlyPrice, Prices, SnapshotPrices};
use emrflow_core::emr::Market;

pub use price_list::{pricing_region, Part};

/// [`Prices`] of one region from the Price List Query API.
pub struct AwsPrices {
    client: aws_sdk_pricing::Client,
    region: String,
    snapshot: SnapshotPrices,
    seen: Mutex<Seen>,
}

/// What this container has read and priced so far (the basis says it).
#[derive(Default)]
struct Seen {
    /// Each (instance type, part) looked up once; `None`: the API gave none.
    prices: HashMap<(String, Part), Option<f64>>,
    /// Instance types priced from the snapshot because the API gave no price.
    from_snapshot: BTreeSet<String>,
    /// Whether a spot instance was priced (at the snapshot's spot price).
    priced_spot: bool,
    /// When the first price was read from the API.
    read_at: Option<DateTime<Utc>>,
}

impl AwsPrices {
    /// `client` must be sent to a Price List endpoint ([`pricing_region`]); `region` is the
    /// region the clusters run in.
    pub fn new(client: aws_sdk_pricing::Client, region: &str) -> Self {
        AwsPrices {
            client,
            region: region.to_string(),
            snapshot: SnapshotPrices::shipped(region),
            seen: Mutex::new(Seen::default()),
        }
    }

    /// Never held across an `.await`; a poisoned lock still holds whole entries.
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// One part's on-demand USD per hour, from the cache or one GetProducts call.
    async fn list_price(&self, instance_type: &str, part: Part) -> Option<f64> {
        let key = (instance_type.to_string(), part);
        if let Some(known) = self.seen().prices.get(&key).copied() {
            return known;
        }
        let price = match price_list::get_products(&self.client, &self.region, instance_type, part)
            .await
        {
            Ok(documents) => price_list::hourly_usd(&documents),
            Err(why) => {
                tracing::warn!(instance_type, part = part.service_code(), %why, "no list price");
                None
            }
        };
        let mut seen = self.seen();
        if price.is_some() {
            seen.read_at.get_or_insert_with(Utc::now);
        }
        seen.prices.insert(key, price);
        price
    }
}

#[async_trait]
impl Prices for AwsPrices {
    async fn hourly(
        &self,
        instance_type: &str,
        market: Market,
        at: DateTime<Utc>,
    ) -> Option<HourlyPrice> {
        let emr = self.list_price(instance_type, Part::Emr).await;
        let ec2 = match market {
            Market::OnDemand => self.list_price(instance_type, Part::Ec2).await,
            Market::Spot => {
                self.seen().priced_spot = true;
                let snapshot = self.snapshot.hourly(instance_type, market, at).await;
                snapshot.map(|price| price.ec2_usd)
            }
        };
        match (ec2, emr) {
            (Some(ec2_usd), Some(emr_usd)) => Some(HourlyPrice { ec2_usd, emr_usd }),
            _ => {
                let price = self.snapshot.hourly(instance_type, market, at).await?;
                self.seen().from_snapshot.insert(instance_type.to_string());
                Some(price)
            }
        }
    }

    fn basis(&self) -> String {
        let seen = self.seen();
        let Some(read_at) = seen.read_at else {
            return self.snapshot.basis();
        };
        let mut basis = format!(
            "list prices from the AWS Price List API of {}, region {}",
            read_at.format("%Y-%m-%d"),
            self.region
        );
        if seen.priced_spot {
            basis.push_str(&format!(
                "; spot instances at the shipped snapshot's spot prices of {}",
                self.snapshot.date()
            ));
        }
        if !seen.from_snapshot.is_empty() {
            let types: Vec<&str> = seen.from_snapshot.iter().map(String::as_str).collect();
            basis.push_str(&format!(
                "; {} at the shipped snapshot's prices of {} (the Price List API gave none)",
                types.join(", "),
                self.snapshot.date()
            ));
        }
        basis
    }
}
