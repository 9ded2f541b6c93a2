//! Which integration a Task's Resource names: a resource called as written (a Lambda
//! function ARN, an activity, a request-response service action), or Step Functions'
//! optimized Lambda integration, request-response or waiting for a callback. The job-run
//! pattern (`.sync`) and callbacks on other services are refused.

use serde_json::Value;

use super::fields::Fields;
use crate::error::DefinitionError;

/// How a Task state calls its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Integration {
    /// The invoker gets the Resource as written and the payload; its result is the task's.
    Direct,
    /// `arn:aws:states:::lambda:invoke`: the invoker gets FunctionName and Payload; the
    /// task's result is Lambda Invoke's response with the function's result as `Payload`.
    LambdaInvoke,
    /// `arn:aws:states:::lambda:invoke.waitForTaskToken`: invoked the same way, then the
    /// task waits for a callback on `$$.Task.Token`.
    LambdaCallback,
}

const INTEGRATION_PREFIX: &str = "arn:aws:states:::";
const LAMBDA_INVOKE: &str = "lambda:invoke";
const CALLBACK_SUFFIX: &str = ".waitForTaskToken";

/// The parameters of Lambda's Invoke that the optimized integration takes.
const LAMBDA_PARAMETERS: &[&str] = &[
    "FunctionName",
    "Payload",
    "InvocationType",
    "Qualifier",
    "ClientContext",
    "LogType",
];

impl Integration {
    pub(super) fn parse(fields: &Fields<'_>, resource: &str) -> Result<Self, DefinitionError> {
        let Some(action) = resource.strip_prefix(INTEGRATION_PREFIX) else {
            return Ok(Self::Direct);
        };
        if action.ends_with(".sync") || action.contains(".sync:") {
            return Err(fields.error(format!(
                "field 'Resource' refused: '{resource}' uses the job-run (.sync) integration pattern, which is not supported"
            )));
        }
        let integration = match action.strip_suffix(CALLBACK_SUFFIX) {
            Some(LAMBDA_INVOKE) => Self::LambdaCallback,
            Some(_) => {
                return Err(fields.error(format!(
                    "field 'Resource' refused: '{resource}': the callback (.waitForTaskToken) pattern is supported only on arn:aws:states:::lambda:invoke"
                )))
            }
            None if action == LAMBDA_INVOKE => Self::LambdaInvoke,
            None => return Ok(Self::Direct),
        };
        check_lambda_parameters(fields)?;
        Ok(integration)
    }
}

/// Step Functions checks an integration's parameters when the state machine is created.
fn check_lambda_parameters(fields: &Fields<'_>) -> Result<(), DefinitionError> {
    let parameters = fields
        .get("Parameters")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            fields.error("field 'Parameters' with FunctionName is required by lambda:invoke")
        })?;
    for key in parameters.keys() {
        let name = key.strip_suffix(".$").unwrap_or(key);
        if !LAMBDA_PARAMETERS.contains(&name) {
            return Err(fields.error(format!(
                "field 'Parameters': '{key}' is not a parameter of lambda:invoke (it takes {})",
                LAMBDA_PARAMETERS.join(", ")
            )));
        }
    }
    if !parameters.contains_key("FunctionName") && !parameters.contains_key("FunctionName.$") {
        return Err(fields.error("field 'Parameters': lambda:invoke requires FunctionName"));
    }
    if let Some(invocation_type) = parameters.get("InvocationType") {
        check_invocation_type(invocation_type)
            .map_err(|e| fields.error(format!("field 'Parameters': {e}")))?;
    }
    Ok(())
}

/// Only synchronous invocations run here: `Event` and `DryRun` would need Lambda's
/// asynchronous machinery. Checked at load time and again on a rendered value.
pub(crate) fn check_invocation_type(value: &Value) -> Result<(), String> {
    match value.as_str() {
        Some("RequestResponse") => Ok(()),
        _ => Err(format!(
            "InvocationType {value} is not supported (only \"RequestResponse\")"
        )),
    }
}
