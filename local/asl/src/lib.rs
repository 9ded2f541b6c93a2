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
//!
//! # Map of the modules
//! - `definition/`: loading and validating a definition. `mod.rs` holds the state machine,
//!   its StateLists and the dispatch from `Type` to one file per state type (`task.rs`,
//!   `choice.rs` with the Choice rules' model and parsing, `wait.rs`, `pass.rs`, `fail.rs`,
//!   `parallel.rs`, `map.rs`, with `integration.rs` for a Task's Resource); `retry.rs`
//!   parses Retry/Catch and the result fields Task, Parallel and Map share; `fields.rs` is
//!   typed field access and the fields refused on purpose.
//! - `execution/`: running a definition. `mod.rs` holds [`execute`], the per-execution
//!   `Run` and `run_state`, which dispatches to one function per state type in files named
//!   like the definition's (`choice.rs` evaluates the Choice rules, `task.rs`, `fan_out.rs`
//!   for Parallel and Map, ...); `task.rs`
//!   calls a resource by its integration (`lambda.rs`), `callback.rs` waits for a callback;
//!   `retry.rs` runs Retry and Catch; `options.rs` is what an execution is given;
//!   `outcome.rs` how it ends (status, result, closing event).
//! - `callback.rs`: [`TaskTokens`], the registry callback tasks open their tokens in and
//!   SendTaskSuccess / Failure / Heartbeat answer.
//! - `path.rs`: JSONPath, ResultPath and payload templates; `intrinsics/`: the `States.*`
//!   functions (parser, then one file per family); the two use each other, being one idea
//!   (a path may hold an intrinsic call, whose arguments are paths).
//! - `stop.rs`: [`StopHandle`], which aborts an execution as StopExecution does.
//! - `history.rs`: events in the shape of GetExecutionHistory; `clock.rs`: real, scaled
//!   and virtual time; `timestamp.rs`: RFC 3339 in and out; `error.rs`: load-time and
//!   run-time errors and the `States.*` names.

mod callback;
mod clock;
mod definition;
mod error;
mod execution;
mod history;
mod intrinsics;
mod path;
mod stop;
mod timestamp;

pub use callback::{CallbackError, TaskTokens};
pub use clock::{Clock, RealClock, ScaledClock, VirtualClock};
pub use definition::{substitute, StateMachine};
pub use error::{names as error_names, DefinitionError, TaskError};
pub use execution::{
    execute, ExecutionOptions, ExecutionResult, ExecutionStatus, FnObserver, NoopObserver,
    Observer, TaskInvoker, HISTORY_EVENT_LIMIT, PAYLOAD_LIMIT_BYTES,
};
pub use history::{
    AbortedDetails, ExecutionStartedDetails, FailureDetails, HistoryEvent, MapIterationDetails,
    MapStateStartedDetails, OutputDetails, PayloadDetails, StateEnteredDetails, StateExitedDetails,
    TaskFailedDetails, TaskResourceDetails, TaskScheduledDetails, TaskSubmittedDetails,
    TaskSucceededDetails,
};
pub use stop::StopHandle;
