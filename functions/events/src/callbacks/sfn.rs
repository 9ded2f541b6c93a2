//! [`TaskCallbacks`] on aws-sdk-sfn.

use async_trait::async_trait;
use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessError;
use emrflow_core::sdk::{classify_aws_sdk_error, endpoint_name};

use super::{CallbackError, TaskCallbacks};

/// [`TaskCallbacks`] over `aws_sdk_sfn::Client`.
#[derive(Debug, Clone)]
pub struct SfnCallbacks {
    client: aws_sdk_sfn::Client,
    /// How messages name the endpoint: "Step Functions in us-east-1" or "the Step Functions
    /// endpoint <url>".
    endpoint: String,
}

impl SfnCallbacks {
    /// Names the endpoint by the client's region (the AWS endpoint).
    pub fn new(client: aws_sdk_sfn::Client) -> Self {
        let region = client.config().region().map(|region| region.to_string());
        SfnCallbacks {
            endpoint: endpoint_name("Step Functions", None, region.as_deref()),
            client,
        }
    }

    /// For a client sent to an endpoint URL (AWS_ENDPOINT_URL_SFN).
    pub fn with_endpoint_url(client: aws_sdk_sfn::Client, url: &str) -> Self {
        SfnCallbacks {
            client,
            endpoint: endpoint_name("Step Functions", Some(url), None),
        }
    }
}

#[async_trait]
impl TaskCallbacks for SfnCallbacks {
    async fn send_task_success(
        &self,
        task_token: &str,
        output: serde_json::Value,
    ) -> Result<(), CallbackError> {
        let sent = self
            .client
            .send_task_success()
            .task_token(task_token)
            .output(output.to_string())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(error) => Err(self.classify(error)),
        }
    }
}

impl SfnCallbacks {
    fn classify(
        &self,
        error: SdkError<SendTaskSuccessError, aws_sdk_sfn::config::http::HttpResponse>,
    ) -> CallbackError {
        if let SdkError::ServiceError(context) = &error {
            let message = context.err().message().unwrap_or_default().to_string();
            match context.err() {
                SendTaskSuccessError::TaskDoesNotExist(_) => {
                    return CallbackError::TaskDoesNotExist(message)
                }
                SendTaskSuccessError::TaskTimedOut(_) => {
                    return CallbackError::TaskTimedOut(message)
                }
                SendTaskSuccessError::InvalidToken(_) => {
                    return CallbackError::InvalidToken(message)
                }
                _ => {}
            }
        }
        CallbackError::Failed(classify_aws_sdk_error(
            "Step Functions",
            "SendTaskSuccess",
            &self.endpoint,
            error,
        ))
    }
}
