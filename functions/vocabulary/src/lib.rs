//! Amazon EMR's vocabulary, written once for the whole project.
//!
//! The Lambda handlers (`emrflow-core`, through its aws-sdk-emr adapter) and the local EMR
//! (`emrflow-local-emr`) must agree on EMR's rules; they agree because both use this crate,
//! not because two copies were written alike. It has no SDK and no Lambda dependency.
//!
//! - [`states`]: `ClusterState` and `StepState`, with the predicates the code asks of them.
//! - [`cluster`]: a cluster's shape as RunJobFlow takes it (fleets, groups, markets,
//!   Configurations, bootstrap actions).
//! - [`steps`]: `ActionOnFailure`, `StepConfig` / `HadoopJarStep` (EMR's PascalCase JSON),
//!   `FailureDetails`.
//! - [`limits`]: EMR's API limits (AddJobFlowSteps, RunJobFlow, tags), each defined once.
//! - [`logs`]: where EMR writes a step's logs under the cluster's LogUri.
//! - [`s3`]: `s3://bucket/key` locations and S3's bucket-naming rules.

#[macro_use]
mod wire_enum;

pub mod cluster;
pub mod limits;
pub mod logs;
pub mod s3;
pub mod states;
pub mod steps;

pub use states::{ClusterState, PipelineStepState, StepState, UnknownState};
pub use steps::{ActionOnFailure, FailureDetails, HadoopJarStep, KeyValue, StepConfig};
