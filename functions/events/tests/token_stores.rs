//! The token stores keep one contract: in memory, and the DynamoDB adapter against a real
//! peer, moto's server on loopback (installed by `make moto-tools`), with the table created
//! as the SAM template does.

mod common;

use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveStatus};
use emrflow_events::moto::MotoServer;
use emrflow_events::{DynamoTokenStore, MemoryTokenStore};

#[tokio::test]
async fn the_in_memory_store_keeps_the_token_store_contract() {
    // GIVEN / WHEN / THEN: see check_token_store_contract
    common::check_token_store_contract(&MemoryTokenStore::new()).await;
}

#[tokio::test]
async fn the_dynamodb_store_keeps_the_token_store_contract_against_moto() {
    // GIVEN moto's server with the token table (keys ClusterId / Waiter, TTL on ExpiresAt)
    let moto = MotoServer::start()
        .await
        .unwrap_or_else(|problem| panic!("{problem}"));
    moto.create_token_table("tokens")
        .await
        .unwrap_or_else(|problem| panic!("{problem}"));
    let client = moto.dynamodb_client();
    let store = DynamoTokenStore::with_endpoint_url(client.clone(), "tokens", &moto.endpoint_url());

    // WHEN / THEN: put, query, conditional delete and expired records, as every store must
    common::check_token_store_contract(&store).await;

    // AND THEN the items are stored with the schema's types, and TTL is on for ExpiresAt
    let item = client
        .get_item()
        .table_name("tokens")
        .key("ClusterId", AttributeValue::S("j-TWO".into()))
        .key("Waiter", AttributeValue::S("run-c".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        item["StepIds"],
        AttributeValue::L(vec![AttributeValue::S("s-C1".into())])
    );
    assert!(item["ExpiresAt"]
        .as_n()
        .is_ok_and(|n| n.parse::<i64>().is_ok()));
    let ttl = client
        .describe_time_to_live()
        .table_name("tokens")
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(ttl.time_to_live_status, Some(TimeToLiveStatus::Enabled));
    assert_eq!(ttl.attribute_name.as_deref(), Some("ExpiresAt"));
}

#[tokio::test]
async fn a_missing_table_is_a_rejected_request_said_in_words() {
    // GIVEN moto's server without the table
    let moto = MotoServer::start()
        .await
        .unwrap_or_else(|problem| panic!("{problem}"));
    let store =
        DynamoTokenStore::with_endpoint_url(moto.dynamodb_client(), "absent", &moto.endpoint_url());
    // WHEN the waiters are read THEN AwsRequestRejected naming the table and the endpoint's answer
    let error = emrflow_events::TokenStore::waiters_of(&store, "j-ONE")
        .await
        .unwrap_err();
    assert_eq!(
        error.name(),
        emrflow_core::ErrorName::AwsRequestRejected,
        "{error}"
    );
    assert!(
        error
            .message()
            .starts_with("Query on table absent: DynamoDB answered ResourceNotFoundException"),
        "{error}"
    );
}
