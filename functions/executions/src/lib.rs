//! Reading emrflow's Step Functions executions — one way for AWS and for local runs — and
//! the reaper that does what cleanup would have done for an execution that ended without it.
//!
//! - [`description`]: DescribeExecution's vocabulary ([`ExecutionStatus`],
//!   [`ExecutionDescription`]);
//! - [`port`]: the [`Executions`] port (list, describe with history, start, stop);
//! - [`sfn`]: the port on aws-sdk-sfn ([`SfnExecutions`]), typed history events converted
//!   into GetExecutionHistory's JSON shape in `sfn/history.rs`;
//! - [`local`]: the port on the local runner's files, and the [`LocalRecorder`] that writes
//!   them;
//! - [`events`]: the few things read from one history event (both task event families);
//! - [`record`]: [`ExecutionRecord`], the one parser of a history: states, validate-input's
//!   summary, ensure-cluster's cluster, the last check-steps look, a task in flight;
//! - [`steps`]: an execution's steps with their attempts ([`StepView`]), from check-steps'
//!   report or EMR's ListSteps ([`list_execution_steps`], beside the record);
//! - [`reaper`]: [`reap`], cleanup for ABORTED, TIMED_OUT and FAILED executions;
//! - [`handlers`]: the start-daily and reap-execution Lambda handlers, over the port;
//! - `fixtures` (feature `fixtures`, tests only): histories built state by state, and the
//!   real definition run by moto's Step Functions.

pub mod description;
pub mod events;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod handlers;
pub mod local;
pub mod port;
pub mod reaper;
pub mod record;
pub mod sfn;
pub mod steps;

pub use local::{Launcher, LocalExecutions, LocalRecorder, LocalRun, NameTaken, StopRequest};
pub use port::{
    console_url, execution_arn, execution_name, generated_name, ExecutionDescription,
    ExecutionStatus, Executions, ListFilter, Progress, Started, StopOutcome,
};
pub use reaper::{reap, reap_with, ReapReport, CANCEL_SETTLE};
pub use record::{list_execution_steps, ExecutionRecord, Failure, StateVisits};
pub use sfn::SfnExecutions;
pub use steps::{execution_steps, step_to_explain, StepView};
