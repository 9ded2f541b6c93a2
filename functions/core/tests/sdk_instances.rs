//! The aws-sdk-emr adapter's ListInstances: the exact requests (every page, by Marker) and
//! how EMR's instances become emrflow's (type, market, group or fleet, timeline).

use std::sync::{Arc, Mutex};

use aws_sdk_emr::config::retry::RetryConfig;
use aws_sdk_emr::operation::list_instances::{ListInstancesInput, ListInstancesOutput};
use aws_sdk_emr::types as emr;
use aws_sdk_emr::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use chrono::{TimeZone, Utc};
use emrflow_core::emr::{EmrApi, InstanceCollection, InstanceSummary, Market};
use emrflow_core::SdkEmr;

fn instance(
    id: &str,
    instance_type: &str,
    market: emr::MarketType,
    fleet: Option<&str>,
    end: Option<i64>,
) -> emr::Instance {
    let timeline = emr::InstanceTimeline::builder()
        .creation_date_time(aws_smithy_types::DateTime::from_secs(1_795_000_000))
        .ready_date_time(aws_smithy_types::DateTime::from_secs(1_795_000_400))
        .set_end_date_time(end.map(aws_smithy_types::DateTime::from_secs))
        .build();
    let builder = emr::Instance::builder()
        .id(id)
        .instance_type(instance_type)
        .market(market)
        .status(emr::InstanceStatus::builder().timeline(timeline).build());
    match fleet {
        Some(fleet) => builder.instance_fleet_id(fleet).build(),
        None => builder.instance_group_id("ig-CORE").build(),
    }
}

#[tokio::test]
async fn list_instances_reads_every_page_with_types_markets_and_timelines() {
    // GIVEN EMR answering ListInstances in two pages: an on-demand group instance, then a
    // spot fleet instance still running
    let seen = Arc::new(Mutex::new(Vec::<ListInstancesInput>::new()));
    let record = seen.clone();
    let rule = mock!(Client::list_instances).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        if input.marker().is_none() {
            ListInstancesOutput::builder()
                .instances(instance(
                    "ci-1",
                    "m5.xlarge",
                    emr::MarketType::OnDemand,
                    None,
                    Some(1_795_003_000),
                ))
                .marker("page-2")
                .build()
        } else {
            ListInstancesOutput::builder()
                .instances(instance(
                    "ci-2",
                    "c5.4xlarge",
                    emr::MarketType::Spot,
                    Some("if-TASK"),
                    None,
                ))
                .build()
        }
    });
    let client = mock_client!(aws_sdk_emr, RuleMode::MatchAny, &[&rule], |config| config
        .retry_config(RetryConfig::disabled()));
    let emr = SdkEmr::new(client);
    // WHEN the cluster's instances are listed
    let instances = emr.list_instances("j-C1").await.unwrap();
    // THEN two requests went out for that cluster, the second with the first's Marker, and
    // nothing else was filtered
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.cluster_id(), Some("j-C1"));
        assert!(request.instance_states().is_empty());
        assert!(request.instance_group_types().is_empty());
        assert_eq!(request.instance_fleet_id(), None);
    }
    assert_eq!(requests[0].marker(), None);
    assert_eq!(requests[1].marker(), Some("page-2"));
    // AND both instances are read, with their market, group or fleet and timeline
    let at = |secs| Some(Utc.timestamp_opt(secs, 0).unwrap());
    assert_eq!(
        instances,
        [
            InstanceSummary {
                id: "ci-1".into(),
                instance_type: "m5.xlarge".into(),
                market: Market::OnDemand,
                collection: Some(InstanceCollection::Group("ig-CORE".into())),
                created_at: at(1_795_000_000),
                ready_at: at(1_795_000_400),
                ended_at: at(1_795_003_000),
            },
            InstanceSummary {
                id: "ci-2".into(),
                instance_type: "c5.4xlarge".into(),
                market: Market::Spot,
                collection: Some(InstanceCollection::Fleet("if-TASK".into())),
                created_at: at(1_795_000_000),
                ready_at: at(1_795_000_400),
                ended_at: None,
            },
        ]
    );
}
