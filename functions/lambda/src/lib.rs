//! The one Lambda boundary of emrflow. Every function's `main` is a call into this crate:
//!
//! - [`serve`]: a pipeline function (the handlers of `emrflow-core`) behind `lambda_runtime`;
//! - [`serve_with`]: any other function (start-daily, the reaper, the event handler) — the
//!   same logging, the same init-error reporting, the same error conversion;
//! - [`diagnostic`]: an [`EmrflowError`] as Lambda's `errorType` / `errorMessage` (through
//!   `EmrflowError::lambda_error`, the one conversion the local runner uses too);
//! - [`init_error`]: a failure while a function starts goes to the Runtime API's
//!   `/runtime/init/error` with a contract `errorType`, never as a bare process exit that AWS
//!   would report as `Runtime.ExitError`;
//! - `emulator` (feature `emulator`): a Lambda Runtime API on loopback, to run the real
//!   binaries in tests and to measure their cold start.

#[cfg(feature = "emulator")]
pub mod emulator;
mod init_error;

use std::future::Future;

use emrflow_core::logging::{init_tracing, LogFormat};
use emrflow_core::{runtime, EmrflowError, Function};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use init_error::report_init_error;

/// `error` as the Diagnostic lambda_runtime reports: the stable name as `errorType`.
pub fn diagnostic(error: &EmrflowError) -> Diagnostic {
    let payload = error.lambda_error();
    Diagnostic {
        error_type: payload.error_type,
        error_message: payload.error_message,
    }
}

/// A pipeline function: builds config, client and handlers once per cold start, then serves
/// invocations of `function`.
pub async fn serve(function: Function) -> Result<(), lambda_runtime::Error> {
    serve_with(
        || runtime::handlers_from_environment(function),
        move |handlers, payload: Value| async move { handlers.invoke(function, payload).await },
    )
    .await
}

/// Any function: `init` builds what every invocation shares (clients, settings); a failure
/// there is reported as an init error and ends the process. Then each event goes to `handle`
/// with the shared state (built once, kept for the life of the process).
pub async fn serve_with<State, Init, InitFut, Event, Output, Handle, HandleFut>(
    init: Init,
    handle: Handle,
) -> Result<(), lambda_runtime::Error>
where
    Init: FnOnce() -> InitFut,
    InitFut: Future<Output = Result<State, EmrflowError>>,
    Event: DeserializeOwned + Send + 'static,
    Output: Serialize + Send + 'static,
    State: Sync + 'static,
    Handle: Fn(&'static State, Event) -> HandleFut,
    HandleFut: Future<Output = Result<Output, EmrflowError>>,
{
    init_tracing(LogFormat::Lambda);
    let state = match init().await {
        Ok(state) => state,
        Err(error) => {
            tracing::error!(error_type = error.name().as_str(), message = %error, "the function could not start");
            report_init_error(&error).await;
            return Err(Box::new(error));
        }
    };
    // Built once per cold start and used by every invocation until the process ends.
    let state: &'static State = Box::leak(Box::new(state));
    let handle = &handle;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        handle(state, event.payload)
            .await
            .map_err(|error| diagnostic(&error))
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use emrflow_core::ErrorName;

    #[test]
    fn a_handler_error_becomes_a_diagnostic_named_by_the_contract() {
        // GIVEN a handler error WHEN converted THEN errorType is the stable name, not a type name
        let error = EmrflowError::new(ErrorName::ClusterNotFound, "cluster j-1 does not exist");
        let diagnostic = diagnostic(&error);
        assert_eq!(diagnostic.error_type, "ClusterNotFound");
        assert_eq!(diagnostic.error_message, "cluster j-1 does not exist");
    }
}
