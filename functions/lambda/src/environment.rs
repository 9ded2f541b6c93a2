//! What a function reads from Lambda's environment at cold start: the Region, the SDK
//! configuration (credentials as Lambda provides them, Amazon's root certificates), the
//! deployed pipelines folder and the stack's settings. Everything else a function needs is built from
//! these in `wiring.rs`.

use std::path::PathBuf;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls;
use emrflow_core::deployment::{load_pipeline_folder, Deployment, DeploymentSettings};
use emrflow_core::EmrflowError;

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
/// for the functions that re-derive the execution's pipeline, and start-daily — every
/// pipeline of the deployed folder with the stack's settings applied. A file that is not a
/// valid spec, or two with one Name, fail the cold start, naming the file and the key.
pub fn deployment(with_pipelines: bool) -> Result<Deployment, EmrflowError> {
    let settings = DeploymentSettings::from_lookup(|key| std::env::var(key).ok());
    let mut deployment = Deployment::new(lambda_region()?);
    if with_pipelines {
        deployment = deployment.with_pipelines(load_pipeline_folder(&pipelines_folder())?);
    }
    Ok(deployment.with_settings(&settings))
}

/// Where the deployed pipelines are read from: the folder named by `EMRFLOW_PIPELINES_DIR`,
/// else `pipelines/` in `$LAMBDA_TASK_ROOT` (where `make build` copies it), else in the
/// current directory.
pub fn pipelines_folder() -> PathBuf {
    pipelines_folder_from(
        std::env::var_os("EMRFLOW_PIPELINES_DIR"),
        std::env::var_os("LAMBDA_TASK_ROOT"),
    )
}

fn pipelines_folder_from(
    folder: Option<std::ffi::OsString>,
    task_root: Option<std::ffi::OsString>,
) -> PathBuf {
    match (folder, task_root) {
        (Some(folder), _) if !folder.is_empty() => PathBuf::from(folder),
        (_, Some(root)) if !root.is_empty() => PathBuf::from(root).join("pipelines"),
        _ => PathBuf::from("pipelines"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelines_folder_prefers_env_then_task_root_then_cwd() {
        // GIVEN the three sources WHEN resolved THEN the documented order applies
        assert_eq!(
            pipelines_folder_from(Some("/x/pipelines".into()), Some("/task".into())),
            PathBuf::from("/x/pipelines")
        );
        assert_eq!(
            pipelines_folder_from(None, Some("/task".into())),
            PathBuf::from("/task/pipelines")
        );
        assert_eq!(
            pipelines_folder_from(None, None),
            PathBuf::from("pipelines")
        );
    }
}
