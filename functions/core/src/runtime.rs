//! What a pipeline Lambda builds at cold start: the EMR client and the handlers, and the
//! deployed stack's account-specific settings. (No lambda_runtime here: `emrflow-lambda`
//! owns the runtime loop, so the local runner can build the same handlers.)

use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls;

use crate::pipeline::StepCompletion;
use crate::{default_pipeline_path, EmrflowError, Function, Handlers, PipelineSpec, SdkEmr};

/// The root certificates of Amazon Trust Services, which sign every AWS API endpoint.
const AMAZON_ROOTS_PEM: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// The SDK configuration every function builds at cold start, as Lambda provides it: region
/// and credentials from the environment Lambda sets, and an HTTPS client that trusts Amazon
/// Trust Services' roots (the CAs of every AWS endpoint) instead of reading and parsing the
/// system's whole CA store — that alone was most of a cold start (`make bench`). Set
/// `EMRFLOW_TLS_NATIVE_ROOTS=true` to trust the system's CAs instead (a TLS-inspecting proxy).
pub fn lambda_sdk_config() -> Result<SdkConfig, EmrflowError> {
    let region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .filter_map(|key| std::env::var(key).ok())
        .find(|region| !region.trim().is_empty())
        .ok_or_else(|| {
            EmrflowError::invalid_input(
                "no AWS region configured (set AWS_REGION): the script-runner JAR and the endpoints depend on it",
            )
        })?;
    let native = std::env::var("EMRFLOW_TLS_NATIVE_ROOTS").is_ok_and(|value| value == "true");
    let trust = if native {
        tls::TrustStore::default()
    } else {
        tls::TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(AMAZON_ROOTS_PEM.to_vec())
    };
    let tls_context = tls::TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|error| {
            EmrflowError::internal(format!("the TLS settings are not usable: {error}"))
        })?;
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(tls_context)
        .build_https();
    Ok(SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
            ),
        )
        .http_client(http)
        .sleep_impl(
            aws_smithy_async::rt::sleep::default_async_sleep().ok_or_else(|| {
                EmrflowError::internal("no async sleep implementation for the SDK's timeouts")
            })?,
        )
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .build())
}

/// Builds the handlers for `function` from the Lambda environment (AWS_ENDPOINT_URL_EMR is
/// honoured, which is how local mode works); the functions that re-derive the pipeline also
/// load the deployed default pipeline spec.
pub async fn handlers_from_environment(function: Function) -> Result<Handlers, EmrflowError> {
    let config = lambda_sdk_config()?;
    let region = config
        .region()
        .map(|region| region.to_string())
        .unwrap_or_default();
    let emr = Arc::new(sdk_emr(&config));
    let settings = DeploymentSettings::from_lookup(|key| std::env::var(key).ok());
    let handlers = if needs_pipeline(function) {
        let mut pipeline = PipelineSpec::load(default_pipeline_path())?;
        settings.apply(&mut pipeline);
        Handlers::new(emr, pipeline, region)
    } else {
        Handlers::without_default_pipeline(emr, region)
    };
    Ok(handlers.with_step_completion(settings.step_completion.unwrap_or_default()))
}

/// The functions that re-derive the execution's pipeline from its input (and so read the
/// deployed default pipeline, with the stack's settings applied).
pub fn needs_pipeline(function: Function) -> bool {
    matches!(
        function,
        Function::ValidateInput
            | Function::EnsureCluster
            | Function::AddSteps
            | Function::CheckSteps
    )
}

/// A hung EMR endpoint must end a call with AwsTransient naming the operation and cluster,
/// well inside the Task's TimeoutSeconds (120 s), so the state machine's retry budget — not a
/// States.Timeout — decides what happens next.
pub fn emr_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .operation_attempt_timeout(std::time::Duration::from_secs(25))
        .operation_timeout(std::time::Duration::from_secs(80))
        .build()
}

/// The EMR adapter every function builds at cold start from the loaded SDK configuration,
/// with [`emr_timeouts`]; an endpoint override (the local EMR) is named in its messages.
pub fn sdk_emr(config: &aws_config::SdkConfig) -> SdkEmr {
    let endpoint = endpoint_url_override("EMR");
    let mut builder = aws_sdk_emr::config::Builder::from(config).timeout_config(emr_timeouts());
    builder.set_endpoint_url(endpoint.clone());
    let client = aws_sdk_emr::Client::from_conf(builder.build());
    match endpoint {
        Some(url) => SdkEmr::with_endpoint_url(client, &url),
        None => SdkEmr::new(client),
    }
}

/// The endpoint the SDK was pointed at instead of AWS's for the service whose environment
/// suffix is `service` (`AWS_ENDPOINT_URL_<service>`, else `AWS_ENDPOINT_URL`: how local mode
/// works), to name it in error messages.
pub fn endpoint_url_override(service: &str) -> Option<String> {
    [
        format!("AWS_ENDPOINT_URL_{service}"),
        "AWS_ENDPOINT_URL".to_string(),
    ]
    .into_iter()
    .filter_map(|key| std::env::var(key).ok())
    .find(|url| !url.trim().is_empty())
}

/// Account-specific values the deployed stack passes as environment variables. They replace
/// the pipeline file's, so the cluster gets exactly the roles IAM lets ensure-cluster pass,
/// and the same pipeline file serves every account. Unset or empty: the file's value stays.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeploymentSettings {
    pub service_role: Option<String>,
    pub job_flow_role: Option<String>,
    pub subnet_id: Option<String>,
    pub log_uri: Option<String>,
    /// EMRFLOW_STEP_COMPLETION: EVENTS or POLLING, for pipelines that do not choose.
    pub step_completion: Option<StepCompletion>,
}

impl DeploymentSettings {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let value = |key: &str| lookup(key).filter(|value| !value.trim().is_empty());
        DeploymentSettings {
            service_role: value("EMRFLOW_SERVICE_ROLE"),
            job_flow_role: value("EMRFLOW_JOB_FLOW_ROLE"),
            subnet_id: value("EMRFLOW_EC2_SUBNET_ID"),
            log_uri: value("EMRFLOW_LOG_URI"),
            step_completion: value("EMRFLOW_STEP_COMPLETION").and_then(|text| {
                serde_json::from_value(serde_json::Value::String(text.trim().to_uppercase())).ok()
            }),
        }
    }

    pub fn apply(&self, pipeline: &mut PipelineSpec) {
        let cluster = &mut pipeline.cluster;
        if let Some(role) = &self.service_role {
            cluster.service_role = role.clone();
        }
        if let Some(role) = &self.job_flow_role {
            cluster.job_flow_role = role.clone();
        }
        if let Some(subnet) = &self.subnet_id {
            cluster.ec2_subnet_ids = vec![subnet.clone()];
        }
        if let Some(log_uri) = &self.log_uri {
            cluster.log_uri = Some(log_uri.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn sample() -> PipelineSpec {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/pipeline.json");
        PipelineSpec::load(path).expect("sample pipeline")
    }

    #[test]
    fn the_stack_settings_replace_the_pipeline_files_account_values() {
        // GIVEN the environment a deployed validate-input sees
        let env: HashMap<&str, &str> = HashMap::from([
            ("EMRFLOW_SERVICE_ROLE", "Prod_EMR_Service"),
            ("EMRFLOW_JOB_FLOW_ROLE", "Prod_EMR_EC2"),
            ("EMRFLOW_EC2_SUBNET_ID", "subnet-0abc"),
            ("EMRFLOW_LOG_URI", "s3://prod-logs/emrflow/logs/"),
        ]);
        let mut pipeline = sample();
        let steps_before = pipeline.steps.clone();
        // WHEN they are applied
        DeploymentSettings::from_lookup(|key| env.get(key).map(|v| v.to_string()))
            .apply(&mut pipeline);
        // THEN the cluster uses them, and nothing else changed
        assert_eq!(pipeline.cluster.service_role, "Prod_EMR_Service");
        assert_eq!(pipeline.cluster.job_flow_role, "Prod_EMR_EC2");
        assert_eq!(pipeline.cluster.ec2_subnet_ids, ["subnet-0abc"]);
        assert_eq!(
            pipeline.cluster.log_uri.as_deref(),
            Some("s3://prod-logs/emrflow/logs/")
        );
        assert_eq!(pipeline.steps, steps_before);
    }

    #[test]
    fn unset_or_empty_settings_keep_the_files_values() {
        let env: HashMap<&str, &str> = HashMap::from([("EMRFLOW_SERVICE_ROLE", " ")]);
        let mut pipeline = sample();
        DeploymentSettings::from_lookup(|key| env.get(key).map(|v| v.to_string()))
            .apply(&mut pipeline);
        assert_eq!(pipeline, sample());
    }
}
