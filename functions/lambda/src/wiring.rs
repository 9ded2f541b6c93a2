//! What each function builds once per cold start, from Lambda's environment: its clients and
//! settings, then its handler. One function per Lambda, named like it; each `main.rs` serves
//! the result with [`crate::serve_with`]. A client sent elsewhere than AWS
//! (`AWS_ENDPOINT_URL_<SERVICE>`: the local EMR, moto) is named so in messages.

use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use emrflow_core::cost::Prices;
use emrflow_core::handlers::{
    wall_clock, AddSteps, CheckSteps, EnsureCluster, TerminateCluster, TerminationProtection,
    ValidateInput,
};
use emrflow_core::objects::SdkObjects;
use emrflow_core::sdk::{emr_timeouts, endpoint_url_override};
use emrflow_core::{EmrflowError, SdkEmr};
use emrflow_events::{AwaitData, AwaitSteps, DynamoTokenStore, EmrEvents, SfnCallbacks};
use emrflow_executions::handlers::{
    CheckStart, ExecutionsOf, ReapExecution, StartDaily, StartDailyConfig,
};
use emrflow_executions::{Executions, SfnExecutions};
use emrflow_pricing::{pricing_region, AwsPrices};

use crate::environment::{deployment, lambda_sdk_config};

/// A client of the SDK crate `$sdk` from the cold start's configuration, with `$timeouts`,
/// sent to `AWS_ENDPOINT_URL_<$service>` when set; with that URL, to name it in messages.
/// (Each SDK has its own config builder type, with no trait in common.)
macro_rules! client {
    ($sdk:ident, $config:expr, $service:literal, $timeouts:expr) => {{
        let endpoint = endpoint_url_override($service);
        let mut builder = $sdk::config::Builder::from($config).timeout_config($timeouts);
        builder.set_endpoint_url(endpoint.clone());
        ($sdk::Client::from_conf(builder.build()), endpoint)
    }};
}

/// The environment variable naming the token table.
pub const TOKEN_TABLE_ENV: &str = "EMRFLOW_TOKEN_TABLE";

pub async fn validate_input() -> Result<ValidateInput, EmrflowError> {
    // No EMR call, so no SDK client at its cold start.
    Ok(ValidateInput {
        deployment: Arc::new(deployment(true)?),
    })
}

pub async fn ensure_cluster() -> Result<EnsureCluster, EmrflowError> {
    Ok(EnsureCluster {
        emr: emr(&lambda_sdk_config()?),
        deployment: Arc::new(deployment(true)?),
        now: wall_clock(),
    })
}

pub async fn termination_protection() -> Result<TerminationProtection, EmrflowError> {
    Ok(TerminationProtection {
        emr: emr(&lambda_sdk_config()?),
    })
}

pub async fn add_steps() -> Result<AddSteps, EmrflowError> {
    Ok(AddSteps {
        emr: emr(&lambda_sdk_config()?),
        deployment: Arc::new(deployment(true)?),
        now: wall_clock(),
    })
}

pub async fn check_steps() -> Result<CheckSteps, EmrflowError> {
    let deployment = deployment(true)?;
    let config = lambda_sdk_config()?;
    Ok(CheckSteps {
        emr: emr(&config),
        prices: prices(&config, &deployment.region),
        deployment: Arc::new(deployment),
        now: wall_clock(),
    })
}

pub async fn terminate_cluster() -> Result<TerminateCluster, EmrflowError> {
    Ok(TerminateCluster {
        emr: emr(&lambda_sdk_config()?),
    })
}

/// The table name is checked before anything is loaded, so a wrong deployment fails at once.
pub async fn await_steps() -> Result<AwaitSteps, EmrflowError> {
    let table = token_table(|key| std::env::var(key).ok())?;
    let config = lambda_sdk_config()?;
    Ok(AwaitSteps::new(
        emr(&config),
        Arc::new(token_store(&config, table)),
        Arc::new(callbacks(&config)),
    ))
}

pub async fn emr_events() -> Result<EmrEvents, EmrflowError> {
    let table = token_table(|key| std::env::var(key).ok())?;
    let config = lambda_sdk_config()?;
    Ok(EmrEvents::new(
        Arc::new(token_store(&config, table)),
        Arc::new(callbacks(&config)),
    ))
}

/// The data wait: the token table, the callbacks, S3 for its one look, and the deployed
/// pipeline (the objects are re-derived from the execution input).
pub async fn await_data() -> Result<AwaitData, EmrflowError> {
    let table = token_table(|key| std::env::var(key).ok())?;
    let config = lambda_sdk_config()?;
    Ok(AwaitData::new(
        Arc::new(objects(&config)),
        Arc::new(token_store(&config, table)),
        Arc::new(callbacks(&config)),
        Arc::new(deployment(true)?),
    ))
}

/// check-start reads the executions of the state machine its execution belongs to (from
/// `$$.Execution.Id`: the function needs no state machine ARN of its own, which would be a
/// circular reference in the template) and S3.
pub async fn check_start() -> Result<CheckStart, EmrflowError> {
    let config = lambda_sdk_config()?;
    let (sfn, endpoint) = client!(aws_sdk_sfn, &config, "SFN", callback_timeouts());
    let executions_of: ExecutionsOf =
        Arc::new(move |state_machine_arn: &str| -> Arc<dyn Executions> {
            Arc::new(match &endpoint {
                Some(url) => SfnExecutions::with_endpoint_url(sfn.clone(), state_machine_arn, url),
                None => SfnExecutions::new(sfn.clone(), state_machine_arn),
            })
        });
    Ok(CheckStart::new(
        executions_of,
        Arc::new(objects(&config)),
        Arc::new(deployment(true)?),
    ))
}

/// The reaper reads the executions of the state machine each event names.
pub async fn reap_execution() -> Result<ReapExecution, EmrflowError> {
    let config = lambda_sdk_config()?;
    let (sfn, endpoint) = client!(aws_sdk_sfn, &config, "SFN", emr_timeouts());
    Ok(ReapExecution::on_step_functions(
        sfn,
        endpoint,
        emr(&config),
    ))
}

/// A configuration error ends the cold start, reported as an init error: a wrong deployment
/// fails loudly at once, not on every scheduled tick.
pub async fn start_daily() -> Result<StartDaily, EmrflowError> {
    let settings = StartDailyConfig::from_env(|name| std::env::var(name).ok())?;
    // The pipelines folder: each schedule names its pipeline, whose time zone and
    // ProcessingDayOffset decide the processing date.
    let deployment = Arc::new(deployment(true)?);
    let config = lambda_sdk_config()?;
    let (client, endpoint) = client!(aws_sdk_sfn, &config, "SFN", callback_timeouts());
    let arn = settings.state_machine_arn.clone();
    let executions = match endpoint {
        Some(url) => SfnExecutions::with_endpoint_url(client, arn, &url),
        None => SfnExecutions::new(client, arn),
    };
    Ok(StartDaily::new(Arc::new(executions), deployment, settings))
}

/// The EMR adapter with [`emr_timeouts`].
fn emr(config: &SdkConfig) -> Arc<SdkEmr> {
    let (client, endpoint) = client!(aws_sdk_emr, config, "EMR", emr_timeouts());
    Arc::new(match endpoint {
        Some(url) => SdkEmr::with_endpoint_url(client, &url),
        None => SdkEmr::new(client),
    })
}

/// A run's prices: the Price List Query API at its endpoint nearest `region` (it answers in
/// three regions), cached for the container's life, the shipped snapshot behind it. Prices
/// are read at a run's last look only (or each look under MaxCostUSD, from the cache): a
/// short timeout, so an unreachable API costs seconds and prices from the snapshot.
fn prices(config: &SdkConfig, region: &str) -> Arc<dyn Prices> {
    let mut builder = aws_sdk_pricing::config::Builder::from(config)
        .region(aws_sdk_pricing::config::Region::new(pricing_region(region)))
        .timeout_config(callback_timeouts());
    builder.set_endpoint_url(endpoint_url_override("Pricing"));
    Arc::new(AwsPrices::new(
        aws_sdk_pricing::Client::from_conf(builder.build()),
        region,
    ))
}

/// S3 for WaitFor's objects: HeadObject answers in milliseconds, like DynamoDB.
fn objects(config: &SdkConfig) -> SdkObjects {
    let (client, endpoint) = client!(aws_sdk_s3, config, "S3", callback_timeouts());
    match endpoint {
        Some(url) => SdkObjects::with_endpoint_url(client, &url),
        None => SdkObjects::new(client),
    }
}

fn token_store(config: &SdkConfig, table: String) -> DynamoTokenStore {
    let (client, endpoint) = client!(aws_sdk_dynamodb, config, "DYNAMODB", callback_timeouts());
    match endpoint {
        Some(url) => DynamoTokenStore::with_endpoint_url(client, table, &url),
        None => DynamoTokenStore::new(client, table),
    }
}

fn callbacks(config: &SdkConfig) -> SfnCallbacks {
    let (client, endpoint) = client!(aws_sdk_sfn, config, "SFN", callback_timeouts());
    match endpoint {
        Some(url) => SfnCallbacks::with_endpoint_url(client, &url),
        None => SfnCallbacks::new(client),
    }
}

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
