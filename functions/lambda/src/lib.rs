//! The one Lambda boundary of emrflow. Every function's `main` is the same call into this
//! crate, `serve_with(wiring::<function>, <Handler>::invoke)`:
//!
//! - [`serve_with`]: builds the function's handler once per cold start, then serves every
//!   invocation with it — the same logging, init-error reporting and error conversion for all;
//! - [`wiring`]: what each function builds at cold start (its clients and settings, then its
//!   handler); [`environment`]: what it reads from Lambda's environment (Region, credentials,
//!   Amazon's root certificates, the deployed pipeline); [`logging`]: JSON logs for CloudWatch;
//! - [`diagnostic`]: an [`EmrflowError`] as Lambda's `errorType` / `errorMessage` (through
//!   `EmrflowError::lambda_error`, the one conversion the local runner uses too);
//! - [`init_error`]: a failure while a function starts goes to the Runtime API's
//!   `/runtime/init/error` with a contract `errorType`, never as a bare process exit that AWS
//!   would report as `Runtime.ExitError`;
//! - `emulator` (feature `emulator`): a Lambda Runtime API on loopback, to run the real
//!   binaries in tests and to measure their cold start.

#[cfg(feature = "emulator")]
pub mod emulator;
pub mod environment;
mod init_error;
pub mod logging;
pub mod wiring;

use std::future::Future;

use emrflow_core::EmrflowError;
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use init_error::report_init_error;

/// `error` as the Diagnostic lambda_runtime reports: the stable name as `errorType`.
pub fn diagnostic(error: &EmrflowError) -> Diagnostic {
    let payload = error.lambda_error();
    Diagnostic {
        error_type: payload.error_type,
        error_message: payload.error_message,
    }
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
    logging::init_tracing();
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
