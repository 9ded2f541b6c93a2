//! The Lambda functions that work on executions rather than on a pipeline's cluster, one
//! file each, in the shape every emrflow function has (`emrflow_core::Handler`):
//!
//! - [`start_daily`]: every pipeline schedule's target, starting `<PipelineName>-<date>`
//!   once per pipeline and processing day;
//! - [`reap_execution`]: the target of this state machine's ABORTED, TIMED_OUT and FAILED
//!   executions, doing what cleanup would have done;
//! - [`check_start`]: Check_Start_Conditions, whether a run may start (its queue, its input
//!   data) before any cluster exists.

pub mod check_start;
pub mod reap_execution;
pub mod start_daily;

pub use check_start::{CheckStart, CheckStartRequest};
pub use reap_execution::{ExecutionsOf, ReapExecution, IN_FLIGHT_GRACE};
pub use start_daily::{
    DailyExecutionInput, ScheduledStart, StartDaily, StartDailyConfig, StartDailyOutput,
    STATE_MACHINE_ARN_ENV,
};
