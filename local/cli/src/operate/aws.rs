//! The AWS configuration every operate command calls AWS with: the standard chain (`--region`,
//! `--profile`, the environment, the shared files), the Region of `--state-machine ARN` when
//! one is given, and credentials resolved once before any call — so that a machine without
//! them hears "no AWS credentials found" and what to set, not the SDK's last provider's
//! error (EC2's instance metadata) in Rust's Debug text.

use std::path::PathBuf;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::ProvideCredentials;
use emrflow_core::execution::arn_region;

use super::Target;

/// What to set when no credentials were found (every operate command on AWS says the same).
pub const NO_CREDENTIALS: &str = "no AWS credentials found: set AWS_PROFILE (or pass --profile) to a profile of ~/.aws/config, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN for temporary ones), or run `aws configure` (`aws sso login` for IAM Identity Center); on EC2, ECS or Lambda the instance's or task's role is used. Local runs need none: add --local";

/// The configuration for `target`: Region and credentials checked before anything is called.
pub async fn load_config(target: &Target) -> Result<SdkConfig, String> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region_of(target)? {
        loader = loader.region(Region::new(region));
    }
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(
            "no AWS Region: pass --region, set AWS_REGION, or give the profile a region"
                .to_string(),
        );
    }
    let Some(provider) = config.credentials_provider() else {
        return Err(NO_CREDENTIALS.to_string());
    };
    provider
        .provide_credentials()
        .await
        .map_err(|error| credentials_error(target, &error))?;
    Ok(config)
}

/// The Region to use: `--region`, else that of `--state-machine ARN` (the state machine lives
/// there, whatever the profile says), else the chain's. A `--region` that contradicts the ARN
/// is refused.
fn region_of(target: &Target) -> Result<Option<String>, String> {
    let from_arn = match &target.state_machine {
        Some(arn) => Some(arn_region(arn).ok_or_else(|| {
            format!("--state-machine '{arn}' is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)")
        })?),
        None => None,
    };
    match (&target.region, from_arn) {
        (Some(given), Some(arn)) if given != arn => Err(format!(
            "--region {given} contradicts --state-machine, whose state machine is in {arn}"
        )),
        (Some(given), _) => Ok(Some(given.clone())),
        (None, arn) => Ok(arn.map(str::to_string)),
    }
}

/// In words: nothing found (the chain fell through to EC2's instance metadata, or no source
/// was enabled), or the reason the configured source failed.
fn credentials_error(target: &Target, error: &CredentialsError) -> String {
    let reason = chain(error);
    let fell_through = matches!(error, CredentialsError::CredentialsNotLoaded(_))
        || reason.contains("IMDS")
        || !any_source_configured(target);
    if fell_through {
        return NO_CREDENTIALS.to_string();
    }
    format!(
        "AWS credentials could not be loaded: {reason} (check the profile with `aws configure list`; a profile of IAM Identity Center may need `aws sso login`)"
    )
}

/// An error and its causes, in their own words (never Rust's Debug text).
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    std::iter::successors(Some(error), |error| error.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// Whether the person set up any source of credentials the chain reads before EC2's.
fn any_source_configured(target: &Target) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let shared_file = |variable: &str, default: &str| match std::env::var_os(variable) {
        Some(path) => PathBuf::from(path).is_file(),
        None => home
            .as_ref()
            .is_some_and(|home| home.join(".aws").join(default).is_file()),
    };
    target.profile.is_some()
        || [
            "AWS_PROFILE",
            "AWS_ACCESS_KEY_ID",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ]
        .into_iter()
        .any(set)
        || shared_file("AWS_CONFIG_FILE", "config")
        || shared_file("AWS_SHARED_CREDENTIALS_FILE", "credentials")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        target: Target,
    }

    fn target(args: &[&str]) -> Target {
        Command::parse_from(std::iter::once("emrflow").chain(args.iter().copied())).target
    }

    #[test]
    fn the_state_machines_region_is_used_and_a_contradiction_refused() {
        // GIVEN a state machine ARN in eu-west-1
        let arn = "arn:aws:states:eu-west-1:123456789012:stateMachine:emrflow";
        // WHEN no --region is given THEN its Region; the same --region is fine
        assert_eq!(
            region_of(&target(&["--state-machine", arn])).unwrap(),
            Some("eu-west-1".to_string())
        );
        assert!(region_of(&target(&["--state-machine", arn, "--region", "eu-west-1"])).is_ok());
        // AND another --region, or a text that is no ARN, is refused in words
        let error =
            region_of(&target(&["--state-machine", arn, "--region", "us-east-1"])).unwrap_err();
        assert!(error.contains("contradicts"), "{error}");
        let error = region_of(&target(&["--state-machine", "emrflow"])).unwrap_err();
        assert!(error.contains("is not a state machine ARN"), "{error}");
    }
}
