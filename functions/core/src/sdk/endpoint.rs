//! Where an AWS client's calls go, said once for every service emrflow calls: the endpoint
//! override the environment gives (how local mode and moto work), the name messages use for
//! it, and the timeouts that end a call to a hung EMR in time.

use std::time::Duration;

use aws_sdk_emr::config::timeout::TimeoutConfig;

/// How messages name where a service's calls go: "the EMR endpoint http://127.0.0.1:4599"
/// for a client pointed at an endpoint URL, else "EMR in eu-west-1".
pub fn endpoint_name(service: &str, endpoint_url: Option<&str>, region: Option<&str>) -> String {
    match endpoint_url {
        Some(url) => format!("the {service} endpoint {url}"),
        None => format!("{service} in {}", region.unwrap_or("the configured region")),
    }
}

/// The endpoint a client is sent to instead of AWS's for the service whose environment
/// suffix is `service` (`AWS_ENDPOINT_URL_<service>`, else `AWS_ENDPOINT_URL`).
pub fn endpoint_url_override(service: &str) -> Option<String> {
    [
        format!("AWS_ENDPOINT_URL_{service}"),
        "AWS_ENDPOINT_URL".to_string(),
    ]
    .into_iter()
    .filter_map(|key| std::env::var(key).ok())
    .find(|url| !url.trim().is_empty())
}

/// A hung EMR endpoint must end a call with AwsTransient naming the operation and cluster,
/// well inside the Task's TimeoutSeconds (120 s), so the state machine's retry budget — not a
/// States.Timeout — decides what happens next.
pub fn emr_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(25))
        .operation_timeout(Duration::from_secs(80))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_is_named_by_its_url_or_its_region() {
        // GIVEN a client sent to a URL, and one to AWS's endpoint WHEN named THEN each says where
        assert_eq!(
            endpoint_name("EMR", Some("http://127.0.0.1:4599"), Some("us-east-1")),
            "the EMR endpoint http://127.0.0.1:4599"
        );
        assert_eq!(
            endpoint_name("Step Functions", None, Some("eu-west-1")),
            "Step Functions in eu-west-1"
        );
        assert_eq!(
            endpoint_name("DynamoDB", None, None),
            "DynamoDB in the configured region"
        );
    }
}
