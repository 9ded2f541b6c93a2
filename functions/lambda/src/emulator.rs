//! A Lambda Runtime API on loopback (the subset a custom runtime uses: next invocation,
//! response, invocation error, init error), so tests can run the real function binaries and
//! `make bench` can time their cold start (process start → first `/invocation/next`).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use emrflow_core::LambdaError;
use serde_json::Value;
use tokio::sync::{oneshot, Notify};

const PREFIX: &str = "/2018-06-01/runtime";

/// What a function answered to one invocation.
pub type Outcome = Result<Value, LambdaError>;

#[derive(Default)]
struct Inner {
    queue: VecDeque<(String, Value)>,
    waiting: HashMap<String, oneshot::Sender<Outcome>>,
    init_error: Option<LambdaError>,
    first_poll: Option<Instant>,
    next_id: u64,
}

#[derive(Clone, Default)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    queued: Arc<Notify>,
    polled: Arc<Notify>,
}

impl Shared {
    fn with<R>(&self, action: impl FnOnce(&mut Inner) -> R) -> R {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        action(&mut inner)
    }
}

/// The emulator; dropping it stops serving.
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    /// Serves on a free loopback port.
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let shared = Shared::default();
        let router = Router::new()
            .route(&format!("{PREFIX}/invocation/next"), get(next))
            .route(
                &format!("{PREFIX}/invocation/{{id}}/response"),
                post(response),
            )
            .route(
                &format!("{PREFIX}/invocation/{{id}}/error"),
                post(invocation_error),
            )
            .route(&format!("{PREFIX}/init/error"), post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(RuntimeApi {
            addr,
            shared,
            server,
        })
    }

    /// The value of `AWS_LAMBDA_RUNTIME_API` for a function process: `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// The environment Lambda gives a function process (the runtime reads these at start),
    /// pointed at this emulator, with dummy credentials and a fixed region.
    pub fn function_environment(&self, function_name: &str) -> Vec<(String, String)> {
        [
            ("AWS_LAMBDA_RUNTIME_API", self.address()),
            ("AWS_LAMBDA_FUNCTION_NAME", function_name.to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_string()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function_name}"),
            ),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "emulated".to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_ACCESS_KEY_ID", "emulated".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "emulated".to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_string(), value))
        .collect()
    }

    /// Queues one event and waits for the function's answer (None after `timeout`).
    pub async fn invoke(&self, payload: Value, timeout: Duration) -> Option<Outcome> {
        let (sender, receiver) = oneshot::channel();
        self.shared.with(|inner| {
            inner.next_id += 1;
            let id = format!("req-{}", inner.next_id);
            inner.waiting.insert(id.clone(), sender);
            inner.queue.push_back((id, payload));
        });
        self.shared.queued.notify_waiters();
        self.shared.queued.notify_one();
        tokio::time::timeout(timeout, receiver).await.ok()?.ok()
    }

    /// The error the function reported while starting, if any.
    pub fn init_error(&self) -> Option<LambdaError> {
        self.shared.with(|inner| inner.init_error.clone())
    }

    /// When the function first asked for an invocation (it finished starting), waiting up to
    /// `timeout` for it.
    pub async fn first_poll(&self, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            let polled = self.shared.polled.notified();
            if let Some(at) = self.shared.with(|inner| inner.first_poll) {
                return Some(at);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            let _ = tokio::time::timeout(left, polled).await;
        }
    }
}

/// Waits up to `timeout` for a function process to end by itself (as after an init error).
/// One still running then is stopped, and None returned.
pub async fn wait_for_exit(
    child: &mut std::process::Child,
    timeout: Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn next(State(shared): State<Shared>) -> Response {
    shared.with(|inner| {
        inner.first_poll.get_or_insert_with(Instant::now);
    });
    shared.polled.notify_waiters();
    loop {
        let queued = shared.queued.notified();
        if let Some((id, payload)) = shared.with(|inner| inner.queue.pop_front()) {
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|now| now.as_millis() + 900_000)
                .unwrap_or_default();
            let mut response = payload.to_string().into_response();
            let headers = response.headers_mut();
            for (name, value) in [
                ("lambda-runtime-aws-request-id", id),
                ("lambda-runtime-deadline-ms", deadline.to_string()),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:000000000000:function:emulated".to_string(),
                ),
                (
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000".to_string(),
                ),
            ] {
                if let Ok(value) = value.parse() {
                    headers.insert(name, value);
                }
            }
            return response;
        }
        queued.await;
    }
}

fn answer(shared: &Shared, id: &str, outcome: Outcome) -> StatusCode {
    match shared.with(|inner| inner.waiting.remove(id)) {
        Some(sender) => {
            let _ = sender.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn response(State(shared): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    answer(&shared, &id, Ok(value))
}

/// The error a runtime posts: errorType from the body, else from the header.
fn lambda_error(headers: &HeaderMap, body: &[u8]) -> LambdaError {
    serde_json::from_slice::<LambdaError>(body).unwrap_or_else(|_| LambdaError {
        error_type: headers
            .get("lambda-runtime-function-error-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("Unknown")
            .to_string(),
        error_message: String::from_utf8_lossy(body).into_owned(),
    })
}

async fn invocation_error(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    answer(&shared, &id, Err(lambda_error(&headers, &body)))
}

async fn init_error(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let error = lambda_error(&headers, &body);
    shared.with(|inner| inner.init_error = Some(error));
    StatusCode::ACCEPTED
}
