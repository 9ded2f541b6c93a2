//! What the operate commands' tests share: the names of the executions recorded under a
//! local root, and an AWS backend whose Step Functions client is given (aws-smithy-mocks)
//! and whose S3 is never called.

#![allow(dead_code)]

use std::path::Path;

use aws_smithy_mocks::{mock, mock_client, RuleMode};
use emrflow::operate::{Backend, BackendKind, StepSource};
use emrflow_executions::{LocalExecutions, SfnExecutions};

/// The names of the executions recorded under `root`, sorted.
pub fn executions(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("executions"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The AWS backend of `state_machine_arn` on `sfn`; steps read from the local records under
/// `steps_root` (a folder that does not exist: none).
pub fn aws_backend(sfn: aws_sdk_sfn::Client, state_machine_arn: &str, steps_root: &str) -> Backend {
    let unused = mock!(aws_sdk_s3::Client::get_object)
        .then_output(|| aws_sdk_s3::operation::get_object::GetObjectOutput::builder().build());
    Backend {
        executions: Box::new(SfnExecutions::new(sfn, state_machine_arn)),
        steps: StepSource::Local(LocalExecutions::new(steps_root)),
        logs: Box::new(emrflow::operate::S3Logs::new(mock_client!(
            aws_sdk_s3,
            RuleMode::MatchAny,
            &[&unused]
        ))),
        kind: BackendKind::Aws {
            state_machine_arn: state_machine_arn.into(),
        },
        options: String::new(),
    }
}
