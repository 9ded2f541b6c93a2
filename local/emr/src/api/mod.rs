//! EMR's operations, one file per resource, each owning its request shapes; this file is the
//! dispatch alone. The names are EMR's (`X-Amz-Target: ElasticMapReduce.<Name>`).

mod clusters;
mod instances;
mod policies;
mod releases;
mod steps;
mod tags;
mod wire;

use std::sync::Arc;

use serde_json::Value;

use crate::error::EmrError;
use crate::model::Cluster;
use crate::state::Shared;
use wire::parse;

pub(crate) fn handle(
    shared: &Arc<Shared>,
    operation: &str,
    body: &[u8],
) -> Result<Value, EmrError> {
    match operation {
        "RunJobFlow" => clusters::run_job_flow(shared, parse(body)?),
        "DescribeCluster" => clusters::describe_cluster(shared, parse(body)?),
        "ListClusters" => clusters::list_clusters(shared, parse(body)?),
        "SetTerminationProtection" => clusters::set_termination_protection(shared, parse(body)?),
        "TerminateJobFlows" => clusters::terminate_job_flows(shared, parse(body)?),
        "ModifyCluster" => clusters::modify_cluster(shared, parse(body)?),
        "PutAutoTerminationPolicy" => policies::put_auto_termination_policy(shared, parse(body)?),
        "GetAutoTerminationPolicy" => policies::get_auto_termination_policy(shared, parse(body)?),
        "RemoveAutoTerminationPolicy" => {
            policies::remove_auto_termination_policy(shared, parse(body)?)
        }
        "PutManagedScalingPolicy" => policies::put_managed_scaling_policy(shared, parse(body)?),
        "GetManagedScalingPolicy" => policies::get_managed_scaling_policy(shared, parse(body)?),
        "RemoveManagedScalingPolicy" => {
            policies::remove_managed_scaling_policy(shared, parse(body)?)
        }
        "ListReleaseLabels" => releases::list_release_labels(parse(body)?),
        "ListBootstrapActions" => clusters::list_cluster_part(
            shared,
            parse(body)?,
            "BootstrapActions",
            Cluster::bootstrap_actions_json,
        ),
        "AddJobFlowSteps" => steps::add_job_flow_steps(shared, parse(body)?),
        "ListSteps" => steps::list_steps(shared, parse(body)?),
        "DescribeStep" => steps::describe_step(shared, parse(body)?),
        "CancelSteps" => steps::cancel_steps(shared, parse(body)?),
        "AddTags" => tags::add_tags(shared, parse(body)?),
        "RemoveTags" => tags::remove_tags(shared, parse(body)?),
        "ListInstanceGroups" => clusters::list_cluster_part(
            shared,
            parse(body)?,
            "InstanceGroups",
            Cluster::instance_groups_json,
        ),
        "ListInstanceFleets" => clusters::list_cluster_part(
            shared,
            parse(body)?,
            "InstanceFleets",
            Cluster::instance_fleets_json,
        ),
        "ListInstances" => instances::list_instances(shared, parse(body)?),
        other => Err(EmrError::UnknownOperation(format!(
            "The local EMR does not implement the operation {other}."
        ))),
    }
}
