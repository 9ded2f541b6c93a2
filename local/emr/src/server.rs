//! The HTTP side: EMR's JSON 1.1 protocol on `POST /`, plus a small admin API.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api;
use crate::error::EmrError;
use crate::faults::Faults;
use crate::inspect::Inspector;
use crate::state::Shared;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", post(emr_request))
        .route("/_emrflow/clusters", get(admin_clusters))
        .route("/_emrflow/operations", get(admin_operations))
        .route("/_emrflow/faults", post(admin_faults))
        .with_state(shared)
}

async fn emr_request(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let Some(operation) = target.strip_prefix("ElasticMapReduce.") else {
        return EmrError::UnknownOperation(format!(
            "X-Amz-Target '{target}' is not an ElasticMapReduce operation."
        ))
        .into_response();
    };
    let operation = operation.to_string();
    // A hung endpoint reads nothing until released; wait_for fails only if the sender is
    // gone, which cannot happen while `shared` lives.
    let _ = shared.hung.subscribe().wait_for(|hung| !*hung).await;
    let throttled = shared.with_inner(|inner| {
        *inner.operation_counts.entry(operation.clone()).or_default() += 1;
        let verdict = inner.faults.check_throttle(&operation);
        if verdict.is_err() {
            inner.throttled_calls += 1;
        }
        verdict
    });
    if let Err(error) = throttled {
        tracing::debug!(%operation, "throttled by fault injection");
        return error.into_response();
    }
    let result = api::handle(&shared, &operation, &body);
    if shared.with_inner(|inner| inner.faults.take_lost_response(&operation)) {
        tracing::debug!(%operation, "response lost by fault injection (operation applied)");
        return EmrError::Internal("emrflow local EMR: response lost by fault injection".into())
            .into_response();
    }
    match result {
        Ok(output) => {
            let mut response = output.to_string().into_response();
            response.headers_mut().insert(
                "content-type",
                HeaderValue::from_static("application/x-amz-json-1.1"),
            );
            response
        }
        Err(error) => {
            tracing::debug!(%operation, %error, "request refused");
            error.into_response()
        }
    }
}

async fn admin_clusters(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({ "Clusters": Inspector { shared }.clusters() }))
}

async fn admin_operations(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({ "Operations": Inspector { shared }.operation_counts() }))
}

/// Body of `POST /_emrflow/faults`, one fault per request, e.g.
/// `{"Fault": "ThrottleNext", "Operation": "DescribeCluster", "Calls": 3}`.
#[derive(Deserialize)]
#[serde(tag = "Fault", rename_all_fields = "PascalCase")]
enum AdminFault {
    ThrottleNext {
        operation: String,
        calls: u32,
    },
    RateLimit {
        operation: String,
        per_second: f64,
        burst: u32,
    },
    LoseNextResponse {
        operation: String,
    },
    FailNextBootstrap,
    FailStepsNamed {
        name_contains: String,
    },
    KillCluster {
        cluster_id: String,
        code: String,
        message: String,
    },
    DropNextEvents {
        count: u32,
    },
    DuplicateNextEvent,
    Hang,
    Release,
    Clear,
}

async fn admin_faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let fault: AdminFault = match serde_json::from_slice(&body) {
        Ok(fault) => fault,
        Err(err) => {
            return EmrError::Serialization(format!("Invalid fault: {err}")).into_response()
        }
    };
    let faults = Faults { shared };
    match fault {
        AdminFault::ThrottleNext { operation, calls } => faults.throttle_next(&operation, calls),
        AdminFault::RateLimit {
            operation,
            per_second,
            burst,
        } => faults.rate_limit(&operation, per_second, burst),
        AdminFault::LoseNextResponse { operation } => faults.lose_next_response(&operation),
        AdminFault::FailNextBootstrap => faults.fail_next_bootstrap(),
        AdminFault::FailStepsNamed { name_contains } => faults.fail_steps_named(&name_contains),
        AdminFault::KillCluster {
            cluster_id,
            code,
            message,
        } => {
            if let Err(error) = faults.kill_cluster(&cluster_id, &code, &message) {
                return error.into_response();
            }
        }
        AdminFault::DropNextEvents { count } => faults.drop_next_events(count),
        AdminFault::DuplicateNextEvent => faults.duplicate_next_event(),
        AdminFault::Hang => faults.hang(),
        AdminFault::Release => faults.release(),
        AdminFault::Clear => faults.clear(),
    }
    Json(json!({ "Ok": true })).into_response()
}
