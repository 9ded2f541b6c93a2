//! ListInstances: the instances a cluster's groups or fleets asked for, their types and
//! markets, and the cluster's timeline — through the real aws-sdk-emr client and raw HTTP.

mod common;

use std::time::Duration;

use aws_sdk_emr::types::{
    ClusterState, InstanceFleetConfig, InstanceFleetType, InstanceGroupConfig, InstanceGroupType,
    InstanceRoleType, InstanceState, InstanceStateChangeReasonCode, InstanceTypeConfig,
    JobFlowInstancesConfig, MarketType,
};
use common::{emr_call, Harness, WAIT};
use serde_json::Value;

fn group(
    role: InstanceRoleType,
    instance_type: &str,
    count: i32,
    market: MarketType,
) -> InstanceGroupConfig {
    InstanceGroupConfig::builder()
        .instance_role(role)
        .instance_type(instance_type)
        .instance_count(count)
        .market(market)
        .build()
}

/// A waiting cluster with a MASTER (1 × m5.xlarge), a CORE (2 × r5.2xlarge) and a spot TASK
/// (3 × m5.large) group.
async fn grouped_cluster(harness: &Harness) -> String {
    harness
        .run_cluster_with("grouped", vec![], |request| {
            request.instances(
                JobFlowInstancesConfig::builder()
                    .keep_job_flow_alive_when_no_steps(true)
                    .instance_groups(group(
                        InstanceRoleType::Master,
                        "m5.xlarge",
                        1,
                        MarketType::OnDemand,
                    ))
                    .instance_groups(group(
                        InstanceRoleType::Core,
                        "r5.2xlarge",
                        2,
                        MarketType::OnDemand,
                    ))
                    .instance_groups(group(
                        InstanceRoleType::Task,
                        "m5.large",
                        3,
                        MarketType::Spot,
                    ))
                    .build(),
            )
        })
        .await
}

async fn instances(
    request: aws_sdk_emr::operation::list_instances::builders::ListInstancesFluentBuilder,
) -> Vec<aws_sdk_emr::types::Instance> {
    request
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListInstances")
}

#[tokio::test]
async fn given_instance_groups_when_listed_then_each_instance_has_its_group_type_and_market() {
    // GIVEN a cluster of three instance groups, ready
    let harness = Harness::start().await;
    let cluster_id = grouped_cluster(&harness).await;
    harness
        .wait_cluster(&cluster_id, &[ClusterState::Waiting], WAIT)
        .await;
    // WHEN its instances are listed
    let listed = instances(harness.client.list_instances().cluster_id(&cluster_id)).await;
    // THEN one per requested instance, with EMR's and EC2's ids, in its group's type and market
    assert_eq!(listed.len(), 6);
    let groups = harness
        .client
        .list_instance_groups()
        .cluster_id(&cluster_id)
        .send()
        .await
        .expect("ListInstanceGroups")
        .instance_groups
        .unwrap_or_default();
    for instance in &listed {
        assert!(
            instance.id().unwrap_or_default().starts_with("ci-"),
            "{instance:?}"
        );
        assert!(instance
            .ec2_instance_id()
            .unwrap_or_default()
            .starts_with("i-"));
        let group = groups
            .iter()
            .find(|group| group.id() == instance.instance_group_id())
            .expect("its group is listed");
        assert_eq!(group.instance_type(), instance.instance_type());
        assert_eq!(group.market(), instance.market());
        assert_eq!(
            instance.status().and_then(|status| status.state()),
            Some(&InstanceState::Running)
        );
    }
    let spot = listed
        .iter()
        .filter(|instance| instance.market() == Some(&MarketType::Spot))
        .count();
    assert_eq!(spot, 3);
    // AND filters pick by group type, group id and state
    let task = instances(
        harness
            .client
            .list_instances()
            .cluster_id(&cluster_id)
            .instance_group_types(InstanceGroupType::Task),
    )
    .await;
    assert!(task.len() == 3 && task.iter().all(|i| i.instance_type() == Some("m5.large")));
    let core_id = groups
        .iter()
        .find(|group| {
            group.instance_group_type() == Some(&aws_sdk_emr::types::InstanceGroupType::Core)
        })
        .and_then(|group| group.id())
        .expect("core group");
    let core = instances(
        harness
            .client
            .list_instances()
            .cluster_id(&cluster_id)
            .instance_group_id(core_id),
    )
    .await;
    assert_eq!(core.len(), 2);
    let terminated = instances(
        harness
            .client
            .list_instances()
            .cluster_id(&cluster_id)
            .instance_states(InstanceState::Terminated),
    )
    .await;
    assert!(terminated.is_empty());
}

#[tokio::test]
async fn given_a_cluster_life_when_listed_then_instances_are_created_ready_and_ended_with_it() {
    // GIVEN a local EMR whose clusters take 600 ms to provision
    let harness =
        Harness::start_with(|config| config.with_provisioning(Duration::from_millis(600))).await;
    let cluster_id = grouped_cluster(&harness).await;
    let list = || harness.client.list_instances().cluster_id(&cluster_id);
    // WHEN listed while it starts THEN PROVISIONING, created, not ready
    let starting = instances(list()).await;
    let status = starting[0].status().expect("status");
    assert_eq!(status.state(), Some(&InstanceState::Provisioning));
    let timeline = status.timeline().expect("timeline");
    assert!(timeline.creation_date_time().is_some() && timeline.ready_date_time().is_none());
    // AND once ready THEN RUNNING, ready after the provisioning time
    harness
        .wait_cluster(&cluster_id, &[ClusterState::Waiting], WAIT)
        .await;
    let running = instances(list()).await;
    let timeline = running[0]
        .status()
        .and_then(|s| s.timeline())
        .expect("timeline");
    let created = timeline
        .creation_date_time()
        .expect("created")
        .as_secs_f64();
    let ready = timeline.ready_date_time().expect("ready").as_secs_f64();
    assert!(ready - created >= 0.59, "ready {ready} created {created}");
    // AND once the cluster terminated THEN TERMINATED with it, an end time, and why
    harness.terminate(&cluster_id, WAIT).await;
    let ended = instances(list()).await;
    for instance in &ended {
        let status = instance.status().expect("status");
        assert_eq!(status.state(), Some(&InstanceState::Terminated));
        let timeline = status.timeline().expect("timeline");
        assert!(timeline.end_date_time().expect("ended").as_secs_f64() >= ready);
        assert_eq!(
            status.state_change_reason().and_then(|r| r.code()),
            Some(&InstanceStateChangeReasonCode::ClusterTerminated)
        );
    }
    let cluster = harness.cluster(&cluster_id).await;
    let cluster_end = cluster
        .status()
        .and_then(|s| s.timeline())
        .and_then(|t| t.end_date_time());
    assert_eq!(
        ended[0]
            .status()
            .and_then(|s| s.timeline())
            .and_then(|t| t.end_date_time()),
        cluster_end
    );
}

#[tokio::test]
async fn given_instance_fleets_when_listed_then_target_capacities_become_weighted_instances() {
    // GIVEN a MASTER fleet of 1 on-demand m5.xlarge, and a CORE fleet whose first type
    // (r5.xlarge) weighs 4: on-demand capacity 4 and spot capacity 8
    let harness = Harness::start().await;
    let fleet =
        |kind: InstanceFleetType, on_demand: i32, spot: i32, instance_type: &str, weight: i32| {
            InstanceFleetConfig::builder()
                .instance_fleet_type(kind)
                .target_on_demand_capacity(on_demand)
                .target_spot_capacity(spot)
                .instance_type_configs(
                    InstanceTypeConfig::builder()
                        .instance_type(instance_type)
                        .weighted_capacity(weight)
                        .build(),
                )
                .instance_type_configs(
                    InstanceTypeConfig::builder()
                        .instance_type("m6g.large")
                        .build(),
                )
                .build()
        };
    let cluster_id = harness
        .run_cluster_with("fleets", vec![], |request| {
            request.instances(
                JobFlowInstancesConfig::builder()
                    .keep_job_flow_alive_when_no_steps(true)
                    .instance_fleets(fleet(InstanceFleetType::Master, 1, 0, "m5.xlarge", 1))
                    .instance_fleets(fleet(InstanceFleetType::Core, 4, 8, "r5.xlarge", 4))
                    .build(),
            )
        })
        .await;
    // WHEN the CORE fleet's instances are listed
    let core = instances(
        harness
            .client
            .list_instances()
            .cluster_id(&cluster_id)
            .instance_fleet_type(InstanceFleetType::Core),
    )
    .await;
    // THEN one on-demand and two spot r5.xlarge, each naming its fleet
    let markets: Vec<_> = core.iter().filter_map(|i| i.market().cloned()).collect();
    assert_eq!(
        markets,
        [MarketType::OnDemand, MarketType::Spot, MarketType::Spot]
    );
    assert!(core.iter().all(|i| i.instance_type() == Some("r5.xlarge")));
    assert!(core.iter().all(|i| i.instance_group_id().is_none()));
    let fleet_id = core[0].instance_fleet_id().expect("fleet id").to_string();
    assert!(fleet_id.starts_with("if-"));
    // AND the whole cluster is those three and the master
    let all = instances(harness.client.list_instances().cluster_id(&cluster_id)).await;
    assert_eq!(all.len(), 4);
    let by_fleet = instances(
        harness
            .client
            .list_instances()
            .cluster_id(&cluster_id)
            .instance_fleet_id(&fleet_id),
    )
    .await;
    assert_eq!(by_fleet.len(), 3);
}

fn body_json(response: &str) -> Value {
    let body = response.split("\r\n\r\n").nth(1).expect("body");
    serde_json::from_str(body).expect("json body")
}

#[tokio::test]
async fn given_raw_calls_when_listing_instances_then_emrs_pages_and_errors() {
    let harness = Harness::start().await;
    let addr = harness.server.addr;
    // GIVEN a cluster of 1 + 59 instances
    let created = emr_call(
        addr,
        "RunJobFlow",
        r#"{"Name":"big","Instances":{"KeepJobFlowAliveWhenNoSteps":true,"MasterInstanceType":"m5.xlarge","SlaveInstanceType":"m5.2xlarge","InstanceCount":60}}"#,
    )
    .await;
    let cluster_id = body_json(&created)["JobFlowId"]
        .as_str()
        .expect("id")
        .to_string();
    // WHEN listed raw THEN 50 and a Marker, then the other 10 without one
    let first = body_json(
        &emr_call(
            addr,
            "ListInstances",
            &format!(r#"{{"ClusterId":"{cluster_id}"}}"#),
        )
        .await,
    );
    assert_eq!(first["Instances"].as_array().map(Vec::len), Some(50));
    let marker = first["Marker"].as_str().expect("marker");
    let second = body_json(
        &emr_call(
            addr,
            "ListInstances",
            &format!(r#"{{"ClusterId":"{cluster_id}","Marker":"{marker}"}}"#),
        )
        .await,
    );
    assert_eq!(second["Instances"].as_array().map(Vec::len), Some(10));
    assert!(second.get("Marker").is_none());
    // AND each instance has EMR's fields, timestamps as epoch seconds
    let instance = &first["Instances"][0];
    for field in [
        "Id",
        "Ec2InstanceId",
        "InstanceGroupId",
        "InstanceType",
        "Market",
    ] {
        assert!(instance[field].is_string(), "{field}: {instance}");
    }
    assert!(
        instance["Status"]["Timeline"]["CreationDateTime"].is_f64(),
        "{instance}"
    );
    // AND an unknown cluster and a bad filter are refused as EMR refuses them
    let unknown = emr_call(addr, "ListInstances", r#"{"ClusterId":"j-NOPE"}"#).await;
    assert!(unknown.starts_with("HTTP/1.1 400"), "{unknown}");
    assert_eq!(body_json(&unknown)["__type"], "InvalidRequestException");
    assert_eq!(
        body_json(&unknown)["message"],
        "Cluster id 'j-NOPE' is not valid."
    );
    let bad = emr_call(
        addr,
        "ListInstances",
        &format!(r#"{{"ClusterId":"{cluster_id}","InstanceGroupTypes":["WORKER"]}}"#),
    )
    .await;
    assert_eq!(body_json(&bad)["__type"], "ValidationException");
    assert!(body_json(&bad)["message"]
        .as_str()
        .unwrap_or_default()
        .contains("MASTER, CORE, TASK"));
}

#[tokio::test]
async fn given_a_cluster_asking_for_too_many_instances_when_created_then_refused() {
    // GIVEN an instance count no local cluster is given WHEN RunJobFlow THEN ValidationException
    let harness = Harness::start().await;
    let response = emr_call(
        harness.server.addr,
        "RunJobFlow",
        r#"{"Name":"huge","Instances":{"InstanceCount":4000000000}}"#,
    )
    .await;
    assert_eq!(
        body_json(&response)["__type"],
        "ValidationException",
        "{response}"
    );
    assert!(harness.emr().inspect().clusters().is_empty());
}
