//! What await-steps and emr-events build at cold start: the token table from
//! `EMRFLOW_TOKEN_TABLE`, region and credentials as Lambda provides them, and the DynamoDB,
//! Step Functions and EMR clients (endpoint overrides `AWS_ENDPOINT_URL_DYNAMODB`,
//! `AWS_ENDPOINT_URL_SFN`, `AWS_ENDPOINT_URL_EMR` honoured and named in messages).

use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use emrflow_core::runtime::{endpoint_url_override, lambda_sdk_config, sdk_emr};
use emrflow_core::EmrflowError;

use crate::{AwaitSteps, DynamoTokenStore, EmrEvents, SfnCallbacks};

/// The environment variable naming the token table.
pub const TOKEN_TABLE_ENV: &str = "EMRFLOW_TOKEN_TABLE";

/// The token table's name; missing or empty is a deployment error (InvalidInput).
pub fn token_table(lookup: impl Fn(&str) -> Option<String>) -> Result<String, EmrflowError> {
    lookup(TOKEN_TABLE_ENV)
        .map(|table| table.trim().to_string())
        .filter(|table| !table.is_empty())
        .ok_or_else(|| {
            EmrflowError::invalid_input(format!(
                "{TOKEN_TABLE_ENV} is not set: the function needs the DynamoDB table that holds the task tokens"
            ))
        })
}

/// await-steps as deployed.
pub async fn await_steps_from_environment() -> Result<AwaitSteps, EmrflowError> {
    let (config, store) = store_from_environment().await?;
    Ok(AwaitSteps::new(
        Arc::new(sdk_emr(&config)),
        Arc::new(store),
        Arc::new(callbacks(&config)),
    ))
}

/// emr-events as deployed.
pub async fn emr_events_from_environment() -> Result<EmrEvents, EmrflowError> {
    let (config, store) = store_from_environment().await?;
    Ok(EmrEvents::new(
        Arc::new(store),
        Arc::new(callbacks(&config)),
    ))
}

/// The table name is checked before anything is loaded, so a wrong deployment fails at once.
async fn store_from_environment() -> Result<(SdkConfig, DynamoTokenStore), EmrflowError> {
    let table = token_table(|key| std::env::var(key).ok())?;
    let config = lambda_sdk_config()?;
    let endpoint = endpoint_url_override("DYNAMODB");
    let mut builder =
        aws_sdk_dynamodb::config::Builder::from(&config).timeout_config(callback_timeouts());
    builder.set_endpoint_url(endpoint.clone());
    let client = aws_sdk_dynamodb::Client::from_conf(builder.build());
    let store = match endpoint {
        Some(url) => DynamoTokenStore::with_endpoint_url(client, table, &url),
        None => DynamoTokenStore::new(client, table),
    };
    Ok((config, store))
}

fn callbacks(config: &SdkConfig) -> SfnCallbacks {
    let endpoint = endpoint_url_override("SFN");
    let mut builder =
        aws_sdk_sfn::config::Builder::from(config).timeout_config(callback_timeouts());
    builder.set_endpoint_url(endpoint.clone());
    let client = aws_sdk_sfn::Client::from_conf(builder.build());
    match endpoint {
        Some(url) => SfnCallbacks::with_endpoint_url(client, &url),
        None => SfnCallbacks::new(client),
    }
}

/// DynamoDB and Step Functions answer in milliseconds: a hung call must end as AwsTransient
/// naming the operation well inside the functions' Lambda timeout (emr-events: 15 s), so
/// the retries of the event (or of the Task) decide what happens next, not a bare timeout.
pub fn callback_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(4))
        .operation_timeout(Duration::from_secs(10))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_must_be_named() {
        // GIVEN no variable, a blank one, and a table name WHEN read THEN InvalidInput, twice,
        // naming the variable, then the trimmed name
        for missing in [None, Some("  ")] {
            let error = token_table(|_| missing.map(str::to_string)).unwrap_err();
            assert_eq!(error.name(), emrflow_core::ErrorName::InvalidInput);
            assert!(error.message().contains(TOKEN_TABLE_ENV), "{error}");
        }
        assert_eq!(
            token_table(|_| Some(" emrflow-tokens ".into())).unwrap(),
            "emrflow-tokens"
        );
    }
}
