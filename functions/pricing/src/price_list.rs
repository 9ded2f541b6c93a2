//! The Price List Query API, as emrflow asks it: one GetProducts per instance type and part
//! (EC2's Linux, shared-tenancy on-demand price; EMR's per-instance price), and the one rule
//! that reads USD per hour out of the price list documents it answers.

use aws_sdk_pricing::types::{Filter, FilterType};
use emrflow_core::sdk::{classify_aws_sdk_error, endpoint_name};
use serde_json::Value;

/// The two parts of an EMR instance's price, each its own AWS service in the price list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Ec2,
    Emr,
}

impl Part {
    pub fn service_code(self) -> &'static str {
        match self {
            Part::Ec2 => "AmazonEC2",
            Part::Emr => "ElasticMapReduce",
        }
    }

    /// The attributes a product must have, beyond its instance type and region.
    fn attributes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Part::Ec2 => &[
                ("operatingSystem", "Linux"),
                ("tenancy", "Shared"),
                ("preInstalledSw", "NA"),
                ("capacitystatus", "Used"),
                ("operation", "RunInstances"),
            ],
            Part::Emr => &[("softwareType", "EMR")],
        }
    }
}

/// The Price List Query API answers in three regions: the one nearest `region`.
pub fn pricing_region(region: &str) -> &'static str {
    let area = region.split('-').next().unwrap_or_default();
    match area {
        "eu" | "me" | "af" | "il" => "eu-central-1",
        "ap" => "ap-south-1",
        _ => "us-east-1",
    }
}

/// The TERM_MATCH filters of one part's price for `instance_type` in `region`.
pub fn filters(region: &str, instance_type: &str, part: Part) -> Vec<(String, String)> {
    [("instanceType", instance_type), ("regionCode", region)]
        .into_iter()
        .chain(part.attributes().iter().copied())
        .map(|(field, value)| (field.to_string(), value.to_string()))
        .collect()
}

/// One GetProducts call: the price list documents of one part of `instance_type`.
pub async fn get_products(
    client: &aws_sdk_pricing::Client,
    region: &str,
    instance_type: &str,
    part: Part,
) -> Result<Vec<String>, String> {
    let mut request = client
        .get_products()
        .service_code(part.service_code())
        .format_version("aws_v1")
        .max_results(10);
    for (field, value) in filters(region, instance_type, part) {
        let filter = Filter::builder()
            .r#type(FilterType::TermMatch)
            .field(field)
            .value(value)
            .build()
            .map_err(|error| error.to_string())?;
        request = request.filters(filter);
    }
    let output = request.send().await.map_err(|error| {
        let config = client.config();
        let endpoint = endpoint_name(
            "the Price List API",
            None,
            config.region().map(|region| region.as_ref()),
        );
        classify_aws_sdk_error("the Price List API", "GetProducts", &endpoint, error)
            .message()
            .to_string()
    })?;
    Ok(output.price_list().to_vec())
}

/// The first positive hourly USD on-demand price in `documents` (each a price list product
/// as JSON: `terms.OnDemand.<offer>.priceDimensions.<rate>.pricePerUnit.USD`, unit "Hrs").
pub fn hourly_usd(documents: &[String]) -> Option<f64> {
    documents
        .iter()
        .filter_map(|document| serde_json::from_str::<Value>(document).ok())
        .find_map(|product| {
            let offers = product.pointer("/terms/OnDemand")?.as_object()?;
            offers.values().find_map(|offer| {
                let rates = offer.get("priceDimensions")?.as_object()?;
                rates.values().find_map(|rate| {
                    let unit = rate.get("unit")?.as_str()?;
                    if !unit.starts_with("Hrs") {
                        return None;
                    }
                    let usd: f64 = rate.pointer("/pricePerUnit/USD")?.as_str()?.parse().ok()?;
                    (usd > 0.0).then_some(usd)
                })
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(usd: &str, unit: &str) -> String {
        serde_json::json!({
            "product": {"attributes": {"instanceType": "m5.xlarge"}},
            "terms": {"OnDemand": {"SKU.JRTCKXETXF": {"priceDimensions": {
                "SKU.JRTCKXETXF.6YS6EN2CT7": {"unit": unit, "pricePerUnit": {"USD": usd}}
            }}}}
        })
        .to_string()
    }

    #[test]
    fn the_hourly_price_is_read_from_the_on_demand_terms() {
        // GIVEN a product whose on-demand rate is 0.192 USD per hour WHEN read THEN 0.192
        assert_eq!(hourly_usd(&[document("0.1920000000", "Hrs")]), Some(0.192));
    }

    #[test]
    fn a_zero_price_or_another_unit_is_no_price() {
        // GIVEN a free rate and a per-quantity rate WHEN read THEN neither is a price, and the
        // next document's is
        let documents = [
            document("0.0000000000", "Hrs"),
            document("3.5", "Quantity"),
            "not json".to_string(),
            document("0.048", "Hrs"),
        ];
        assert_eq!(hourly_usd(&documents), Some(0.048));
        assert_eq!(hourly_usd(&documents[..3]), None);
    }

    #[test]
    fn the_pricing_endpoint_is_the_nearest_of_three() {
        // GIVEN regions of each area WHEN asked THEN the Price List endpoint nearest them
        assert_eq!(pricing_region("us-west-2"), "us-east-1");
        assert_eq!(pricing_region("eu-west-1"), "eu-central-1");
        assert_eq!(pricing_region("ap-northeast-1"), "ap-south-1");
        assert_eq!(pricing_region("sa-east-1"), "us-east-1");
    }

    #[test]
    fn ec2_is_asked_for_linux_shared_on_demand_and_emr_for_its_own_price() {
        // GIVEN m5.xlarge in eu-west-1 WHEN the filters are made THEN they name it exactly
        let ec2 = filters("eu-west-1", "m5.xlarge", Part::Ec2);
        assert!(ec2.contains(&("instanceType".into(), "m5.xlarge".into())));
        assert!(ec2.contains(&("regionCode".into(), "eu-west-1".into())));
        assert!(ec2.contains(&("operatingSystem".into(), "Linux".into())));
        assert!(ec2.contains(&("tenancy".into(), "Shared".into())));
        let emr = filters("eu-west-1", "m5.xlarge", Part::Emr);
        assert!(emr.contains(&("softwareType".into(), "EMR".into())));
        assert!(!emr.iter().any(|(field, _)| field == "operatingSystem"));
    }
}
