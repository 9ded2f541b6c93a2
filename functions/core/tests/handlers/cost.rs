//! A finished run's Cost (check-steps' last look): one ListInstances, the instances' billed
//! seconds priced from the shipped snapshot, a created cluster's whole life or a reused
//! cluster's held time, unknown prices named and the rest summed, never a failed run.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use emrflow_core::cost::Snapshot;
use emrflow_core::emr::{InstanceSummary, Market};

use crate::*;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn instance(
    instance_type: &str,
    market: Market,
    ready: &str,
    end: Option<&str>,
) -> InstanceSummary {
    InstanceSummary {
        id: format!("ci-{instance_type}-{ready}"),
        instance_type: instance_type.into(),
        market,
        collection: None,
        created_at: Some(at(ready) - chrono::Duration::minutes(5)),
        ready_at: Some(at(ready)),
        ended_at: end.map(at),
    }
}

/// The handlers with the clock pinned at `now`.
fn pinned(fake: &Arc<FakeEmr>, now: &str) -> emrflow_core::Dispatch {
    let now = at(now);
    emrflow_core::Dispatch::with_clock(
        fake.clone(),
        deployment(sample_spec()),
        Arc::new(move || now),
    )
}

/// us-east-1's hourly EC2 and EMR prices of a type in the shipped snapshot.
fn snapshot_price(instance_type: &str, market: Market) -> (f64, f64) {
    let entry = Snapshot::shipped().regions[REGION][instance_type];
    let ec2 = match market {
        Market::OnDemand => entry.ec2,
        Market::Spot => entry.spot.unwrap(),
    };
    (ec2, entry.emr)
}

fn close(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or(f64::NAN);
    assert!((actual - expected).abs() < 0.0002, "{actual} ≠ {expected}");
}

#[tokio::test]
async fn a_created_clusters_whole_life_is_priced_and_an_unknown_type_is_named() {
    // GIVEN a created cluster whose steps completed, with an on-demand m5.xlarge (39 min), two
    // spot c5.4xlarge (38 min each), one instance never ready, and a type no price list knows
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = created_with_steps(&fake, "2026-11-22T01:10:00Z").await;
    set_steps(
        &fake,
        &cluster_id,
        &ids,
        &["COMPLETED", "COMPLETED", "COMPLETED"],
    );
    let end = Some("2026-11-22T01:10:00Z");
    let mut never_ready = instance("m5.xlarge", Market::OnDemand, "2026-11-22T00:31:00Z", None);
    never_ready.ready_at = None;
    fake.set_instances(
        &cluster_id,
        vec![
            instance("m5.xlarge", Market::OnDemand, "2026-11-22T00:31:00Z", end),
            instance("c5.4xlarge", Market::Spot, "2026-11-22T00:32:00Z", end),
            instance("c5.4xlarge", Market::Spot, "2026-11-22T00:32:00Z", None),
            never_ready,
            instance(
                "r8g.48xlarge",
                Market::OnDemand,
                "2026-11-22T01:09:30Z",
                end,
            ),
        ],
    );
    // WHEN the last look finds the run completed
    let out = check(&handlers, &cluster_id).await.unwrap();
    // THEN its Cost is the snapshot's prices times each instance's ready → end seconds
    assert_eq!(out["Verdict"], "COMPLETED");
    let cost = &out["Cost"];
    let (m5_ec2, m5_emr) = snapshot_price("m5.xlarge", Market::OnDemand);
    let (c5_ec2, c5_emr) = snapshot_price("c5.4xlarge", Market::Spot);
    let (m5_hours, c5_hours) = (2340.0 / 3600.0, 2.0 * 2280.0 / 3600.0);
    let ec2 = m5_hours * m5_ec2 + c5_hours * c5_ec2;
    let emr = m5_hours * m5_emr + c5_hours * c5_emr;
    close(&cost["Ec2USD"], ec2);
    close(&cost["EmrUSD"], emr);
    close(&cost["EstimatedUSD"], ec2 + emr);
    // AND the short-lived unknown type is billed EMR's minute, counted, named, not summed
    assert_eq!(cost["InstanceSeconds"], 2340 + 2 * 2280 + 60);
    assert_eq!(
        cost["Unknown"],
        "unknown for r8g.48xlarge: no price; not in the sum"
    );
    let lines = cost["ByInstanceType"].as_array().unwrap();
    let line = |name: &str| lines.iter().find(|l| l["InstanceType"] == name).unwrap();
    assert_eq!(line("c5.4xlarge")["Market"], "SPOT");
    assert_eq!(line("c5.4xlarge")["Instances"], 2);
    assert_eq!(line("m5.xlarge")["Instances"], 2);
    assert_eq!(line("m5.xlarge")["InstanceSeconds"], 2340);
    assert_eq!(line("r8g.48xlarge")["Ec2USD"], Value::Null);
    // AND the basis says where the prices come from and what is left out
    let basis = cost["Basis"].as_str().unwrap();
    assert!(basis.starts_with("list prices of "), "{basis}");
    assert!(basis.contains("region us-east-1"), "{basis}");
    assert!(
        basis.contains("excludes EBS, S3, data transfer, savings plans"),
        "{basis}"
    );
    // AND it took one ListInstances
    let lists = fake
        .calls()
        .iter()
        .filter(|c| *c == "ListInstances")
        .count();
    assert_eq!(lists, 1);
}

#[tokio::test]
async fn a_reused_cluster_is_charged_for_the_time_the_execution_held_it() {
    // GIVEN a shared cluster up since the day before, its steps for this execution created at
    // 00:59, one instance ending at 01:09, the other still running
    let fake = FakeEmr::new();
    fake.add_cluster("j-SHARED", "WAITING");
    let handlers = pinned(&fake, "2026-11-22T01:29:00Z");
    reuse(&handlers, "j-SHARED").await.unwrap();
    add_steps(&handlers, "j-SHARED").await.unwrap();
    let ids = step_ids(&fake, "j-SHARED");
    set_steps(
        &fake,
        "j-SHARED",
        &ids,
        &["COMPLETED", "COMPLETED", "COMPLETED"],
    );
    fake.set_instances(
        "j-SHARED",
        vec![
            instance("m5.xlarge", Market::OnDemand, "2026-11-21T00:00:00Z", None),
            instance(
                "m5.xlarge",
                Market::OnDemand,
                "2026-11-21T00:00:00Z",
                Some("2026-11-22T01:09:00Z"),
            ),
        ],
    );
    // WHEN the run completes at 01:29
    let out = check(&handlers, "j-SHARED").await.unwrap();
    // THEN only 00:59 → 01:29 and 00:59 → 01:09 are the execution's
    let cost = &out["Cost"];
    assert_eq!(cost["InstanceSeconds"], 1800 + 600);
    let (ec2, emr) = snapshot_price("m5.xlarge", Market::OnDemand);
    close(&cost["EstimatedUSD"], 2400.0 / 3600.0 * (ec2 + emr));
    assert!(cost["Basis"].as_str().unwrap().contains("reused cluster"));
}

#[tokio::test]
async fn a_failed_list_instances_leaves_the_cost_unknown_and_the_run_completed() {
    // GIVEN a completed run whose ListInstances fails
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    set_steps(
        &fake,
        &cluster_id,
        &ids,
        &["COMPLETED", "COMPLETED", "COMPLETED"],
    );
    fake.state().lose_response_of.insert("ListInstances".into());
    // WHEN the last look is made
    let out = check(&handlers, &cluster_id).await.unwrap();
    // THEN the run still completed, its cost saying why it is unknown
    assert_eq!(out["Verdict"], "COMPLETED");
    let unknown = out["Cost"]["Unknown"].as_str().unwrap();
    assert!(
        unknown.starts_with("unknown: ListInstances on cluster"),
        "{unknown}"
    );
    assert_eq!(out["Cost"]["EstimatedUSD"], 0.0);
}

#[tokio::test]
async fn a_running_look_makes_no_list_instances_call() {
    // GIVEN steps still running
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = cluster_with_steps(&fake).await;
    set_steps(&fake, &cluster_id, &ids, &["RUNNING"]);
    // WHEN looked at
    let out = check(&handlers, &cluster_id).await.unwrap();
    // THEN no cost yet, and no ListInstances
    assert_eq!(out["Verdict"], "RUNNING");
    assert_eq!(out["Cost"], serde_json::Value::Null);
    assert!(!fake.calls().contains(&"ListInstances".to_string()));
}

/// A cluster created by handlers whose clock reads `now`, the pipeline's steps added to it,
/// and their ids.
async fn created_with_steps(
    fake: &Arc<FakeEmr>,
    now: &str,
) -> (emrflow_core::Dispatch, String, Vec<String>) {
    let handlers = pinned(fake, now);
    let cluster_id = ensure_created(&handlers).await["ClusterId"]
        .as_str()
        .unwrap()
        .to_string();
    add_steps(&handlers, &cluster_id).await.unwrap();
    let ids = step_ids(fake, &cluster_id);
    (handlers, cluster_id, ids)
}

/// The ids of the steps on `cluster_id`.
fn step_ids(fake: &FakeEmr, cluster_id: &str) -> Vec<String> {
    fake.cluster(cluster_id)
        .steps
        .iter()
        .map(|s| s.id.clone())
        .collect()
}

/// A created cluster with its first step running, and a look at `now` of a pipeline allowed
/// `budget` USD.
async fn look_with_budget(now: &str, budget: f64) -> (Arc<FakeEmr>, Value) {
    let fake = FakeEmr::new();
    let (handlers, cluster_id, ids) = created_with_steps(&fake, now).await;
    set_steps(&fake, &cluster_id, &ids, &["RUNNING"]);
    let execution = execution_with_pipeline(|p| p["MaxCostUSD"] = json!(budget));
    let out = check_with(&handlers, &cluster_id, execution).await.unwrap();
    (fake, out)
}

#[tokio::test]
async fn a_run_past_its_budget_fails_budget_exceeded_without_listing_instances() {
    // GIVEN the sample's created cluster (m5.xlarge and c5.4xlarge on demand; spot
    // c5.12xlarge, a type the snapshot does not price), its steps submitted at 00:59
    let (m5_ec2, m5_emr) = snapshot_price("m5.xlarge", Market::OnDemand);
    let (c5_ec2, c5_emr) = snapshot_price("c5.4xlarge", Market::OnDemand);
    let rate = m5_ec2 + m5_emr + c5_ec2 + c5_emr;
    let hours = 121.0 / 60.0;
    // WHEN it is looked at at 03:00 with a budget just under 2h01m at that rate
    let (fake, out) = look_with_budget("2026-11-22T03:00:00Z", rate * hours - 0.05).await;
    // THEN the verdict is FAILED with BudgetExceeded, saying the estimate, the rate and the
    // unknown type, so cleanup terminates the created cluster
    assert_eq!(out["Verdict"], "FAILED", "{out}");
    assert_eq!(out["Error"], "BudgetExceeded");
    let cause = out["Cause"].as_str().unwrap();
    assert!(
        cause.starts_with(&format!(
            "the run's estimated cost is ${:.2} (6 instances at ${rate:.2} an hour for 2.0 hours",
            rate * hours
        )),
        "{cause}"
    );
    assert!(
        cause.contains("prices unknown for c5.12xlarge: not counted"),
        "{cause}"
    );
    assert!(cause.contains("over its MaxCostUSD of"), "{cause}");
    // AND the running estimate took no ListInstances; the cost at the end took one
    let lists = fake
        .calls()
        .iter()
        .filter(|c| *c == "ListInstances")
        .count();
    assert_eq!(lists, 1);
    assert!(out["Cost"].is_object());
}

#[tokio::test]
async fn a_run_within_its_budget_keeps_running_with_no_list_instances() {
    // GIVEN the same run with a budget above its estimate WHEN looked at THEN it runs on,
    // and no EMR call was made for the budget
    let (fake, out) = look_with_budget("2026-11-22T03:00:00Z", 5.0).await;
    assert_eq!(out["Verdict"], "RUNNING", "{out}");
    assert!(!fake.calls().contains(&"ListInstances".to_string()));
}
