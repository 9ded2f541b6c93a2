//! An Amazon States Language interpreter: runs a Step Functions state machine definition
//! offline, calling Task resources through a [`TaskInvoker`], with a pluggable [`Clock`]
//! and a history in the shape of GetExecutionHistory.
//!
//! ```no_run
//! # async fn demo(invoker: std::sync::Arc<dyn emrflow_asl::TaskInvoker>) -> Result<(), emrflow_asl::DefinitionError> {
//! use std::sync::Arc;
//! use emrflow_asl::{execute, ExecutionOptions, StateMachine, VirtualClock};
//!
//! let machine = StateMachine::from_json(r#"{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}"#)?;
//! let options = ExecutionOptions::new("run-1", serde_json::json!({}), invoker)
//!     .with_clock(Arc::new(VirtualClock::default()));
//! let result = execute(&machine, options).await;
//! println!("{}", result.status.as_str());
//! # Ok(()) }
//! ```

mod choice;
mod clock;
mod definition;
mod error;
mod execution;
mod history;
mod intrinsics;
mod path;

pub use clock::{Clock, RealClock, ScaledClock, VirtualClock};
pub use definition::{substitute, StateMachine};
pub use error::{names as error_names, DefinitionError, TaskError};
pub use execution::{
    execute, ExecutionOptions, ExecutionResult, ExecutionStatus, FnObserver, NoopObserver,
    Observer, TaskInvoker, HISTORY_EVENT_LIMIT, PAYLOAD_LIMIT_BYTES,
};
pub use history::{
    ExecutionStartedDetails, FailureDetails, HistoryEvent, MapIterationDetails,
    MapStateStartedDetails, OutputDetails, PayloadDetails, StateEnteredDetails, StateExitedDetails,
    TaskFailedDetails, TaskResourceDetails, TaskScheduledDetails, TaskSucceededDetails,
};
