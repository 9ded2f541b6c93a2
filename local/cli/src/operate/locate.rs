//! The deployed state machine of a stack: CloudFormation's DescribeStackResource of the
//! template's logical id (infra/template.yaml), whose physical id is the state machine ARN.

use emrflow_core::sdk::classify_aws_sdk_error;

/// The logical id of the state machine in infra/template.yaml.
pub const STATE_MACHINE_LOGICAL_ID: &str = "EmrflowStateMachine";

/// The ARN of `stack`'s state machine.
pub async fn state_machine_of_stack(
    cloudformation: &aws_sdk_cloudformation::Client,
    stack: &str,
) -> Result<String, String> {
    let answer = cloudformation
        .describe_stack_resource()
        .stack_name(stack)
        .logical_resource_id(STATE_MACHINE_LOGICAL_ID)
        .send()
        .await
        .map_err(|error| {
            format!(
                "cannot find the state machine of stack '{stack}' ({}); pass --stack NAME or --state-machine ARN",
                classify_aws_sdk_error("CloudFormation", "DescribeStackResource", "CloudFormation", error)
            )
        })?;
    answer
        .stack_resource_detail()
        .and_then(|detail| detail.physical_resource_id())
        .filter(|arn| arn.starts_with("arn:"))
        .map(str::to_string)
        .ok_or_else(|| {
            format!("stack '{stack}' has no {STATE_MACHINE_LOGICAL_ID} yet (is it still being created?)")
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_logical_id_is_the_templates() {
        // GIVEN the SAM template WHEN its resources are read THEN the state machine's id is there
        let template = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../infra/template.yaml"
        ))
        .expect("template");
        assert!(template.contains(&format!(
            "\n  {}:\n    Type: AWS::Serverless::StateMachine",
            super::STATE_MACHINE_LOGICAL_ID
        )));
    }
}
