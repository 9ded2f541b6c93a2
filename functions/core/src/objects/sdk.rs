//! [`ObjectStore`] on aws-sdk-s3: HeadObject. A missing object is S3's 404 — which S3 answers
//! only to a caller allowed `s3:ListBucket` on the bucket; without it a missing object is a
//! 403, and the message says which permission and bucket are missing.

use async_trait::async_trait;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::head_object::HeadObjectError;

use super::{bucket_and_key, ObjectStore};
use crate::sdk::{classify_aws_sdk_error, endpoint_name};
use crate::{EmrflowError, ErrorName};

/// [`ObjectStore`] over `aws_sdk_s3::Client`.
#[derive(Debug, Clone)]
pub struct SdkObjects {
    client: aws_sdk_s3::Client,
    /// How messages name the endpoint: "S3 in us-east-1" or "the S3 endpoint <url>".
    endpoint: String,
}

impl SdkObjects {
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        let region = client.config().region().map(|region| region.to_string());
        SdkObjects {
            endpoint: endpoint_name("S3", None, region.as_deref()),
            client,
        }
    }

    /// For a client sent to an endpoint URL (AWS_ENDPOINT_URL_S3, moto).
    pub fn with_endpoint_url(client: aws_sdk_s3::Client, url: &str) -> Self {
        SdkObjects {
            client,
            endpoint: endpoint_name("S3", Some(url), None),
        }
    }
}

#[async_trait]
impl ObjectStore for SdkObjects {
    async fn exists(&self, uri: &str) -> Result<bool, EmrflowError> {
        let (bucket, key) = bucket_and_key(uri)?;
        match self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(context))
                if matches!(context.err(), HeadObjectError::NotFound(_)) =>
            {
                Ok(false)
            }
            Err(error) => {
                let forbidden = error
                    .raw_response()
                    .is_some_and(|response| response.status().as_u16() == 403);
                if forbidden {
                    return Err(EmrflowError::new(
                        ErrorName::AwsRequestRejected,
                        format!(
                            "S3 HeadObject {uri}: access denied by {}; the function needs s3:GetObject on the object and s3:ListBucket on the bucket '{bucket}' (deploy with '{bucket}' in WaitForBuckets)",
                            self.endpoint
                        ),
                    ));
                }
                Err(classify_aws_sdk_error(
                    "S3",
                    &format!("HeadObject {uri}"),
                    &self.endpoint,
                    error,
                ))
            }
        }
    }
}
