//! The [`ObjectStore`] port: whether the objects a run waits for (`WaitFor.S3`) exist. Its
//! adapters: aws-sdk-s3 ([`SdkObjects`], HeadObject) and the local S3's folder
//! ([`LocalObjects`], `<root>/s3/<bucket>/<key>`).

mod local;
mod sdk;

use async_trait::async_trait;
use emrflow_vocabulary::s3::parse_s3_uri;

use crate::EmrflowError;

pub use local::LocalObjects;
pub use sdk::SdkObjects;

/// Where the input data lives.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Whether the object `s3://bucket/key` exists now.
    async fn exists(&self, uri: &str) -> Result<bool, EmrflowError>;
}

/// The objects of `uris` that do not exist, in their order (one look each).
pub async fn missing_objects(
    store: &dyn ObjectStore,
    uris: &[String],
) -> Result<Vec<String>, EmrflowError> {
    let mut missing = Vec::new();
    for uri in uris {
        if !store.exists(uri).await? {
            missing.push(uri.clone());
        }
    }
    Ok(missing)
}

/// `s3://bucket/key` split into bucket and key, the key a real object's (InvalidInput
/// otherwise, naming the location): the one reading both adapters share.
pub(crate) fn bucket_and_key(uri: &str) -> Result<(&str, &str), EmrflowError> {
    check_object_uri(uri).map_err(EmrflowError::invalid_input)?;
    let rest = uri.strip_prefix("s3://").unwrap_or(uri);
    Ok(rest.split_once('/').unwrap_or((rest, "")))
}

/// S3's longest object key, in bytes.
const MAX_KEY_BYTES: usize = 1024;

/// An object WaitFor can look for: `s3://bucket/key`, a real key (not a folder, no `..`).
/// The bucket is checked once placeholders are rendered (they may be in it).
pub fn check_object_uri(uri: &str) -> Result<(), String> {
    let Some(rest) = uri.strip_prefix("s3://") else {
        return Err(format!(
            "'{uri}' is not an S3 object (expected s3://bucket/key; WaitFor looks only in S3)"
        ));
    };
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if !bucket.contains("{{") {
        parse_s3_uri(uri).map_err(|error| error.to_string())?;
    }
    if key.is_empty() || key.ends_with('/') {
        return Err(format!(
            "'{uri}' names a bucket or a folder; name the object to wait for (e.g. s3://{bucket}/orders/{{{{ProcessingDate}}}}/_SUCCESS)"
        ));
    }
    if key.split('/').any(|segment| segment == "..") {
        return Err(format!("'{uri}': a key must not contain '..' segments"));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(format!(
            "'{uri}': its key is {} bytes; S3 allows at most {MAX_KEY_BYTES}",
            key.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_objects_in_s3_can_be_waited_for() {
        // GIVEN object locations good and bad WHEN checked THEN only s3://bucket/key passes
        assert!(check_object_uri("s3://raw/orders/{{ProcessingDate}}/_SUCCESS").is_ok());
        assert!(check_object_uri("s3://{{PipelineName}}-raw/x").is_ok());
        for (uri, expected) in [
            ("https://raw/x", "not an S3 object"),
            ("s3a://raw/x", "not an S3 object"),
            ("/data/raw/x", "not an S3 object"),
            ("s3://raw", "names a bucket or a folder"),
            ("s3://raw/orders/", "names a bucket or a folder"),
            ("s3://Raw/x", "only lowercase"),
            ("s3://raw/a/../../etc", "'..'"),
        ] {
            let problem = check_object_uri(uri).unwrap_err();
            assert!(problem.contains(expected), "{uri}: {problem}");
        }
    }
}
