//! [`AwsPrices`] against the real aws-sdk-pricing client (aws-smithy-mocks behind it): the
//! exact GetProducts requests, the cache that keeps a run to two calls per instance type, and
//! the snapshot that prices what the API does not answer.

use std::sync::{Arc, Mutex};

use aws_sdk_pricing::config::retry::RetryConfig;
use aws_sdk_pricing::operation::get_products::{GetProductsInput, GetProductsOutput};
use aws_smithy_mocks::{mock, mock_client, MockResponse, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use chrono::Utc;
use emrflow_core::cost::{Prices, SnapshotPrices};
use emrflow_core::emr::Market;
use emrflow_pricing::AwsPrices;
use serde_json::json;

const REGION: &str = "us-east-1";
const EC2_USD: f64 = 0.2;
const EMR_USD: f64 = 0.05;

fn product(usd: f64) -> String {
    json!({"terms": {"OnDemand": {"SKU.A": {"priceDimensions": {
        "SKU.A.B": {"unit": "Hrs", "pricePerUnit": {"USD": format!("{usd:.10}")}}
    }}}}})
    .to_string()
}

fn filters(input: &GetProductsInput) -> Vec<(String, String)> {
    input
        .filters()
        .iter()
        .map(|f| (f.field().to_string(), f.value().to_string()))
        .collect()
}

/// A Price List API that answers every GetProducts with its part's price, and the requests
/// it saw.
fn answering() -> (AwsPrices, Arc<Mutex<Vec<GetProductsInput>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let rule = mock!(aws_sdk_pricing::Client::get_products).then_compute_response(move |input| {
        record.lock().unwrap().push(input.clone());
        let usd = match input.service_code() {
            Some("AmazonEC2") => EC2_USD,
            _ => EMR_USD,
        };
        MockResponse::Output(
            GetProductsOutput::builder()
                .price_list(product(usd))
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_pricing, RuleMode::MatchAny, [&rule], |config| {
        config.retry_config(RetryConfig::disabled())
    });
    (AwsPrices::new(client, REGION), seen)
}

#[tokio::test]
async fn an_on_demand_instance_is_priced_from_the_price_list_once_per_container() {
    // GIVEN the Price List API answering
    let (prices, seen) = answering();
    // WHEN m5.xlarge on demand is priced three times
    for _ in 0..3 {
        let price = prices
            .hourly("m5.xlarge", Market::OnDemand, Utc::now())
            .await
            .expect("a price");
        // THEN each time at the list's EC2 and EMR prices
        assert_eq!((price.ec2_usd, price.emr_usd), (EC2_USD, EMR_USD));
    }
    // AND only two requests were sent: EC2's Linux shared on-demand price and EMR's
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let ec2 = seen
        .iter()
        .find(|input| input.service_code() == Some("AmazonEC2"))
        .expect("an EC2 request");
    for expected in [
        ("instanceType", "m5.xlarge"),
        ("regionCode", REGION),
        ("operatingSystem", "Linux"),
        ("tenancy", "Shared"),
        ("preInstalledSw", "NA"),
        ("capacitystatus", "Used"),
    ] {
        let pair = (expected.0.to_string(), expected.1.to_string());
        assert!(filters(ec2).contains(&pair), "{expected:?} in {ec2:?}");
    }
    let emr = seen
        .iter()
        .find(|input| input.service_code() == Some("ElasticMapReduce"))
        .expect("an EMR request");
    assert!(filters(emr).contains(&("softwareType".into(), "EMR".into())));
    // AND the basis names the API and the region
    let basis = prices.basis();
    assert!(basis.contains("AWS Price List API"), "{basis}");
    assert!(basis.contains(REGION), "{basis}");
}

#[tokio::test]
async fn a_spot_instance_is_priced_at_the_snapshots_spot_price_and_the_basis_says_so() {
    // GIVEN the Price List API answering, and the shipped snapshot's spot price of c5.2xlarge
    let (prices, _) = answering();
    let snapshot = SnapshotPrices::shipped(REGION)
        .hourly("c5.2xlarge", Market::Spot, Utc::now())
        .await
        .expect("the snapshot prices c5.2xlarge spot");
    // WHEN a spot c5.2xlarge is priced
    let price = prices
        .hourly("c5.2xlarge", Market::Spot, Utc::now())
        .await
        .expect("a price");
    // THEN EC2's part is the snapshot's spot price and EMR's the list's
    assert_eq!(price.ec2_usd, snapshot.ec2_usd);
    assert_eq!(price.emr_usd, EMR_USD);
    assert!(prices.basis().contains("spot"), "{}", prices.basis());
}

#[tokio::test]
async fn a_denied_price_list_prices_from_the_snapshot_and_never_fails() {
    // GIVEN a Price List API that denies every call
    let rule = mock!(aws_sdk_pricing::Client::get_products).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(400).unwrap(),
            SdkBody::from(
                r#"{"__type":"AccessDeniedException","message":"not authorized to perform pricing:GetProducts"}"#,
            ),
        )
    });
    let client = mock_client!(aws_sdk_pricing, RuleMode::MatchAny, [&rule], |config| {
        config.retry_config(RetryConfig::disabled())
    });
    let prices = AwsPrices::new(client, REGION);
    // WHEN m5.xlarge is priced, and an instance type neither knows
    let price = prices
        .hourly("m5.xlarge", Market::OnDemand, Utc::now())
        .await;
    let unknown = prices
        .hourly("r99.huge", Market::OnDemand, Utc::now())
        .await;
    // THEN m5.xlarge at the snapshot's prices, the other unknown (not an error)
    let snapshot = SnapshotPrices::shipped(REGION)
        .hourly("m5.xlarge", Market::OnDemand, Utc::now())
        .await;
    assert_eq!(price, snapshot);
    assert!(price.is_some());
    assert_eq!(unknown, None);
    // AND the basis is the snapshot's
    assert!(prices.basis().contains("snapshot"), "{}", prices.basis());
}
