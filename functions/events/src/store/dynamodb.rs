//! The token store on DynamoDB (the deployed `TokenTable`; item schema in `item.rs`).
//!
//! await-steps puts, then checks EMR once; emr-events queries when an event comes. Either the
//! check sees the ended step, or the put happened before the query — which sees it only if
//! the read is strongly consistent, so every Query is. Expired items are filtered out by the
//! Query itself, since DynamoDB's TTL removes them only eventually.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use emrflow_core::sdk::{classify_aws_sdk_error, endpoint_name};
use emrflow_core::{EmrflowError, ErrorName};

use super::item::{n, s, to_item, CLUSTER_ID, EXPIRES_AT, TASK_TOKEN, WAITER};
use super::TokenStore;
use crate::waiter::now_epoch_seconds;
use crate::Waiter;

/// [`TokenStore`] over `aws_sdk_dynamodb::Client` and one table.
#[derive(Debug, Clone)]
pub struct DynamoTokenStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    /// How messages name the endpoint: "DynamoDB in us-east-1" or "the DynamoDB endpoint <url>".
    endpoint: String,
}

impl DynamoTokenStore {
    /// Names the endpoint by the client's region (the AWS endpoint).
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        let region = client.config().region().map(|region| region.to_string());
        let endpoint = endpoint_name("DynamoDB", None, region.as_deref());
        Self::named(client, table, endpoint)
    }

    /// For a client sent to an endpoint URL (moto, AWS_ENDPOINT_URL_DYNAMODB).
    pub fn with_endpoint_url(
        client: aws_sdk_dynamodb::Client,
        table: impl Into<String>,
        url: &str,
    ) -> Self {
        Self::named(client, table, endpoint_name("DynamoDB", Some(url), None))
    }

    fn named(client: aws_sdk_dynamodb::Client, table: impl Into<String>, endpoint: String) -> Self {
        DynamoTokenStore {
            client,
            table: table.into(),
            endpoint,
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn classify<E>(
        &self,
        operation: &str,
        error: SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
    ) -> EmrflowError
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
    {
        let operation = format!("{operation} on table {}", self.table);
        classify_aws_sdk_error("DynamoDB", &operation, &self.endpoint, error)
    }
}

#[async_trait]
impl TokenStore for DynamoTokenStore {
    async fn put(&self, waiter: &Waiter) -> Result<(), EmrflowError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(waiter)))
            .send()
            .await
            .map_err(|error| self.classify("PutItem", error))?;
        Ok(())
    }

    async fn waiters_of(&self, waits_on: &str) -> Result<Vec<Waiter>, EmrflowError> {
        let items: Vec<_> = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(format!("{CLUSTER_ID} = :cluster"))
            .filter_expression(format!("{EXPIRES_AT} > :now"))
            .expression_attribute_values(":cluster", s(waits_on))
            .expression_attribute_values(":now", n(now_epoch_seconds()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| self.classify("Query", error))?;
        items
            .iter()
            .map(|item| {
                Waiter::try_from(item).map_err(|problem| {
                    EmrflowError::new(
                        ErrorName::InternalError,
                        format!(
                            "Query on table {}: an item of {waits_on} is not a waiter: {problem}",
                            self.table
                        ),
                    )
                })
            })
            .collect()
    }

    async fn delete(
        &self,
        waits_on: &str,
        waiter: &str,
        task_token: &str,
    ) -> Result<bool, EmrflowError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(CLUSTER_ID, s(waits_on))
            .key(WAITER, s(waiter))
            .condition_expression(format!("{TASK_TOKEN} = :token"))
            .expression_attribute_values(":token", s(task_token))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(true),
            // Gone already, or holding a newer wait's token: either way not ours to delete.
            Err(SdkError::ServiceError(context))
                if matches!(
                    context.err(),
                    DeleteItemError::ConditionalCheckFailedException(_)
                ) =>
            {
                Ok(false)
            }
            Err(error) => Err(self.classify("DeleteItem", error)),
        }
    }
}
