//! What a function reads from Lambda's environment at cold start: the Region, the SDK
//! configuration (credentials as Lambda provides them, Amazon's root certificates), the
//! deployed pipeline and the stack's settings. Everything else a function needs is built from
//! these in `wiring.rs`.

use std::path::PathBuf;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls;
use emrflow_core::deployment::{Deployment, DeploymentSettings};
use emrflow_core::{EmrflowError, PipelineSpec};

/// The root certificates of Amazon Trust Services, which sign every AWS API endpoint.
const AMAZON_ROOTS_PEM: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// The SDK configuration every function builds at cold start, as Lambda provides it: region
/// and credentials from the environment Lambda sets, and an HTTPS client that trusts Amazon
/// Trust Services' roots (the CAs of every AWS endpoint) instead of reading and parsing the
/// system's whole CA store — that alone was most of a cold start (`make bench`). Set
/// `EMRFLOW_TLS_NATIVE_ROOTS=true` to trust the system's CAs instead (a TLS-inspecting proxy).
pub fn lambda_sdk_config() -> Result<SdkConfig, EmrflowError> {
    let region = lambda_region()?;
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

/// The Region Lambda runs in (AWS_REGION, else AWS_DEFAULT_REGION).
pub fn lambda_region() -> Result<String, EmrflowError> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .filter_map(|key| std::env::var(key).ok())
        .find(|region| !region.trim().is_empty())
        .ok_or_else(|| {
            EmrflowError::invalid_input(
                "no AWS region configured (set AWS_REGION): the script-runner JAR and the endpoints depend on it",
            )
        })
}

/// The deployment a pipeline function serves: the Region, the stack's StepCompletion and —
/// for the functions that re-derive the execution's pipeline — the deployed default pipeline
/// with the stack's settings applied.
pub fn deployment(with_pipeline: bool) -> Result<Deployment, EmrflowError> {
    let settings = DeploymentSettings::from_lookup(|key| std::env::var(key).ok());
    let mut deployment = Deployment::new(lambda_region()?)
        .with_step_completion(settings.step_completion.unwrap_or_default());
    if with_pipeline {
        let mut pipeline = PipelineSpec::load(default_pipeline_path())?;
        settings.apply(&mut pipeline);
        deployment = deployment.with_default_pipeline(pipeline);
    }
    Ok(deployment)
}

/// Where the deployed default pipeline spec is read from: the file named by
/// `EMRFLOW_PIPELINE_FILE`, else `pipeline.json` in `$LAMBDA_TASK_ROOT`, else in the current
/// directory.
pub fn default_pipeline_path() -> PathBuf {
    pipeline_path_from(
        std::env::var_os("EMRFLOW_PIPELINE_FILE"),
        std::env::var_os("LAMBDA_TASK_ROOT"),
    )
}

fn pipeline_path_from(
    pipeline_file: Option<std::ffi::OsString>,
    task_root: Option<std::ffi::OsString>,
) -> PathBuf {
    match (pipeline_file, task_root) {
        (Some(file), _) if !file.is_empty() => PathBuf::from(file),
        (_, Some(root)) if !root.is_empty() => PathBuf::from(root).join("pipeline.json"),
        _ => PathBuf::from("pipeline.json"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_path_prefers_env_file_then_task_root_then_cwd() {
        // GIVEN the three sources WHEN resolved THEN the documented order applies
        assert_eq!(
            pipeline_path_from(Some("/x/p.json".into()), Some("/task".into())),
            PathBuf::from("/x/p.json")
        );
        assert_eq!(
            pipeline_path_from(None, Some("/task".into())),
            PathBuf::from("/task/pipeline.json")
        );
        assert_eq!(
            pipeline_path_from(None, None),
            PathBuf::from("pipeline.json")
        );
    }
}
