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
    /// Each (instance type, part) looked up once per container; `None`: the API gave none.
    cache: Mutex<HashMap<(String, Part), Option<f64>>>,
    /// Instance types priced from the snapshot because the API gave no price.
    from_snapshot: Mutex<BTreeSet<String>>,
    /// Whether a spot instance was priced (at the snapshot's spot price).
    priced_spot: Mutex<bool>,
    /// When the first price was read from the API.
    read_at: Mutex<Option<DateTime<Utc>>>,
}

impl AwsPrices {
    /// `client` must be sent to a Price List endpoint ([`pricing_region`]); `region` is the
    /// region the clusters run in.
    pub fn new(client: aws_sdk_pricing::Client, region: &str) -> Self {
        AwsPrices {
            client,
            region: region.to_string(),
            snapshot: SnapshotPrices::shipped(region),
            cache: Mutex::new(HashMap::new()),
            from_snapshot: Mutex::new(BTreeSet::new()),
            priced_spot: Mutex::new(false),
            read_at: Mutex::new(None),
        }
    }

    /// One part's on-demand USD per hour, from the cache or one GetProducts call.
    async fn list_price(&self, instance_type: &str, part: Part) -> Option<f64> {
        let key = (instance_type.to_string(), part);
        if let Some(known) = self.cache.lock().ok().and_then(|c| c.get(&key).copied()) {
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
        if price.is_some() {
            if let Ok(mut read_at) = self.read_at.lock() {
                read_at.get_or_insert_with(Utc::now);
            }
        }
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, price);
        }
        price
    }

    fn note_snapshot(&self, instance_type: &str) {
        if let Ok(mut types) = self.from_snapshot.lock() {
            types.insert(instance_type.to_string());
        }
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
                if let Ok(mut spot) = self.priced_spot.lock() {
                    *spot = true;
                }
                let snapshot = self.snapshot.hourly(instance_type, market, at).await;
                snapshot.map(|price| price.ec2_usd)
            }
        };
        match (ec2, emr) {
            (Some(ec2_usd), Some(emr_usd)) => Some(HourlyPrice { ec2_usd, emr_usd }),
            _ => {
                let price = self.snapshot.hourly(instance_type, market, at).await?;
                self.note_snapshot(instance_type);
                Some(price)
            }
        }
    }

    fn basis(&self) -> String {
        let read_at = self.read_at.lock().ok().and_then(|at| *at);
        let mut basis = match read_at {
            Some(at) => format!(
                "list prices from the AWS Price List API of {}, region {}",
                at.format("%Y-%m-%d"),
                self.region
            ),
            None => self.snapshot.basis(),
        };
        if read_at.is_some() && self.priced_spot.lock().map(|s| *s).unwrap_or(false) {
            basis.push_str(&format!(
                "; spot instances at the shipped snapshot's spot prices of {}",
                self.snapshot.date()
            ));
        }
        let types: Vec<String> = self
            .from_snapshot
            .lock()
            .map(|types| types.iter().cloned().collect())
            .unwrap_or_default();
        if read_at.is_some() && !types.is_empty() {
            basis.push_str(&format!(
                "; {} at the shipped snapshot's prices of {} (the Price List API gave none)",
                types.join(", "),
                self.snapshot.date()
            ));
        }
        basis
    }
}
