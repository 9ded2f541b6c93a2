//! emrflow core: the domain — the execution input, the pipeline spec and its graph — the EMR
//! port with its aws-sdk-emr adapter, the contract's error names, and the six pipeline
//! handlers. No Lambda runtime and no cold-start wiring here (`emrflow-lambda` owns those),
//! so the local runner calls the very same handlers in process.
//!
//! The modules in layers, each using only those above it in this list:
//! - [`error`]: the stable error names and the one conversion to Lambda's error payload;
//!   [`json`]: JSON read strictly (duplicate keys, depth, objects given as arrays, wording);
//!   [`words`]: how every message says a key, a range, a count and "did you mean";
//! - [`naming`]: the names and tags an execution's clusters and steps carry (idempotency);
//!   [`execution`]: an execution's ARN and name;
//! - [`emr`]: the [`EmrApi`] port and its domain types (EMR's vocabulary comes from
//!   `emrflow-vocabulary`); [`lookup`]: finding the cluster an execution created;
//!   [`sdk`]: the aws-sdk-emr adapter, SDK error classification and endpoints for every
//!   AWS client;
//!   [`cost`]: a run's cost from ListInstances' timelines, the [`cost::Prices`] port and
//!   its snapshot adapter;
//!   [`objects`]: the [`ObjectStore`] port (do WaitFor's objects exist?) on aws-sdk-s3 and on
//!   the local S3's folder;
//! - [`pipeline`]: the pipeline spec (cluster, steps, placeholders, validation, compilation);
//! - [`deployment`]: what a deployment gives every execution (its pipelines by Name, read
//!   from the pipelines folder; the Region);
//!   [`input`]: the execution input, its defaults, and its re-derivation by later handlers;
//! - [`graph`]: DependsOn, RunIf, Retry, TimeoutSeconds: what runs when, judged per look;
//! - [`handlers`]: one file per handler, the [`Handler`] shape, the dispatch in
//!   `handlers/mod.rs`.

pub mod cost;
pub mod deployment;
pub mod emr;
pub mod error;
pub mod execution;
pub mod graph;
pub mod handlers;
pub mod input;
pub mod json;
pub mod lookup;
pub mod naming;
pub mod objects;
pub mod pipeline;
pub mod sdk;
pub mod words;

pub use deployment::Deployment;
pub use emr::EmrApi;
pub use error::{EmrflowError, ErrorName, LambdaError};
pub use handlers::{Dispatch, Function, Handler};
pub use input::{ExecutionInput, NormalizedInput};
pub use objects::ObjectStore;
pub use pipeline::PipelineSpec;
pub use sdk::SdkEmr;

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
                "BudgetExceeded",
                "PipelineBusy",
                "InputNotReady",
                "EmrThrottled",
                "AwsTransient",
                "AwsRequestRejected",
                "InternalError",
                "CleanupFailed",
                "ExecutionAlreadyExists"
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
