//! emrflow core: the execution input, the pipeline spec, EMR operations behind a trait, the
//! contract's error names, and the six Lambda handlers — without any Lambda runtime code, so
//! the local runner calls the very same handlers in process.
//!
//! - [`input`]: the execution input and its defaults;
//! - [`pipeline`]: the pipeline spec (cluster, steps, placeholders, validation, compilation);
//! - [`graph`]: DependsOn, RunIf, Retry, TimeoutSeconds: what runs when, judged per look;
//! - [`emr`]: the [`EmrApi`] port and its domain types (EMR's vocabulary comes from
//!   `emrflow-vocabulary`); [`sdk`]: the aws-sdk-emr adapter behind it;
//! - [`handlers`]: one file per handler, the dispatch in `handlers/mod.rs`; [`lookup`]: finding
//!   the cluster an execution created (handlers and reaper);
//! - [`execution`]: an execution's ARN and name;
//! - [`error`]: the stable error names and the one conversion to Lambda's error payload;
//! - [`runtime`]: what a Lambda builds at cold start; [`logging`]: the one logging set-up;
//! - [`json`]: JSON read strictly (duplicate keys, depth, objects given as arrays, wording).

pub mod emr;
pub mod error;
pub mod execution;
pub mod graph;
pub mod handlers;
pub mod input;
pub mod json;
pub mod logging;
pub mod lookup;
pub mod pipeline;
pub mod runtime;
pub mod sdk;

use std::path::PathBuf;

pub use emr::EmrApi;
pub use error::{EmrflowError, ErrorName, LambdaError};
pub use handlers::Handlers;
pub use input::{ExecutionInput, NormalizedInput};
pub use pipeline::PipelineSpec;
pub use sdk::SdkEmr;

/// The six Lambda functions; `name()` is the crate / deployed function name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    ValidateInput,
    EnsureCluster,
    TerminationProtection,
    AddSteps,
    CheckSteps,
    TerminateCluster,
}

impl Function {
    pub const ALL: [Function; 6] = [
        Function::ValidateInput,
        Function::EnsureCluster,
        Function::TerminationProtection,
        Function::AddSteps,
        Function::CheckSteps,
        Function::TerminateCluster,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Function::ValidateInput => "validate-input",
            Function::EnsureCluster => "ensure-cluster",
            Function::TerminationProtection => "termination-protection",
            Function::AddSteps => "add-steps",
            Function::CheckSteps => "check-steps",
            Function::TerminateCluster => "terminate-cluster",
        }
    }

    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL
            .into_iter()
            .find(|function| function.name() == name)
    }
}

impl std::fmt::Display for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the deployed default pipeline spec is read from: the file named by
/// `EMRFLOW_PIPELINE_FILE`, else `pipeline.json` in `$LAMBDA_TASK_ROOT`, else in the current
/// directory.
pub fn default_pipeline_path() -> PathBuf {
    pipeline_path_from(
        std::env::var_os("EMRFLOW_PIPELINE_FILE"),
        std::env::var_os("LAMBDA_TASK_ROOT"),
    )
}

fn pipeline_path_from(
    pipeline_file: Option<std::ffi::OsString>,
    task_root: Option<std::ffi::OsString>,
) -> PathBuf {
    match (pipeline_file, task_root) {
        (Some(file), _) if !file.is_empty() => PathBuf::from(file),
        (_, Some(root)) if !root.is_empty() => PathBuf::from(root).join("pipeline.json"),
        _ => PathBuf::from("pipeline.json"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_round_trip() {
        // GIVEN every function WHEN its name is looked up THEN the same function comes back
        for function in Function::ALL {
            assert_eq!(Function::from_name(function.name()), Some(function));
        }
        assert_eq!(Function::from_name("start-daily"), None);
    }

    #[test]
    fn pipeline_path_prefers_env_file_then_task_root_then_cwd() {
        // GIVEN the three sources WHEN resolved THEN the documented order applies
        assert_eq!(
            pipeline_path_from(Some("/x/p.json".into()), Some("/task".into())),
            PathBuf::from("/x/p.json")
        );
        assert_eq!(
            pipeline_path_from(None, Some("/task".into())),
            PathBuf::from("/task/pipeline.json")
        );
        assert_eq!(
            pipeline_path_from(None, None),
            PathBuf::from("pipeline.json")
        );
    }

    #[test]
    fn error_names_are_the_contract_names() {
        // GIVEN the contract's list WHEN compared with ErrorName::ALL THEN they match in order
        let names: Vec<&str> = ErrorName::ALL.iter().map(|name| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "InvalidInput",
                "ClusterNotFound",
                "ClusterNotUsable",
                "ClusterFailed",
                "ClusterProtected",
                "StepFailed",
                "StepCancelled",
                "StepInterrupted",
                "StepTimedOut",
                "PipelineTimedOut",
                "EmrThrottled",
                "AwsTransient",
                "AwsRequestRejected",
                "InternalError",
                "CleanupFailed"
            ]
        );
        let retryable: Vec<ErrorName> = ErrorName::ALL
            .into_iter()
            .filter(|name| name.is_retryable())
            .collect();
        assert_eq!(
            retryable,
            [ErrorName::EmrThrottled, ErrorName::AwsTransient]
        );
    }
}
