//! Step Functions' optimized Lambda integration (`arn:aws:states:::lambda:invoke`): the
//! Invoke request read from the rendered Parameters, and Invoke's response around the
//! function's result.

use serde_json::{json, Value};

use crate::definition::check_invocation_type;
use crate::error::{runtime, StateError};

/// (function name, payload) from the rendered Parameters. Without Payload the function
/// gets an empty object.
pub(super) fn request(parameters: &Value) -> Result<(String, Value), StateError> {
    let function = parameters
        .get("FunctionName")
        .and_then(Value::as_str)
        .ok_or_else(|| runtime("The parameter FunctionName of lambda:invoke must be a string"))?;
    if let Some(invocation_type) = parameters.get("InvocationType") {
        check_invocation_type(invocation_type).map_err(runtime)?;
    }
    let payload = parameters
        .get("Payload")
        .cloned()
        .unwrap_or_else(|| json!({}));
    Ok((function.to_string(), payload))
}

/// The task result of a synchronous invocation: the function's result as `Payload`, with
/// the status and metadata Step Functions adds.
pub(super) fn response(result: Value) -> Value {
    let request_id = uuid::Uuid::new_v4().to_string();
    json!({
        "ExecutedVersion": "$LATEST",
        "Payload": result,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "Content-Type": ["application/json"],
                "X-Amz-Executed-Version": ["$LATEST"],
                "x-amzn-RequestId": [request_id],
            },
            "HttpHeaders": {
                "Content-Type": "application/json",
                "X-Amz-Executed-Version": "$LATEST",
                "x-amzn-RequestId": request_id,
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": 200,
    })
}
