//! A local Amazon EMR endpoint for emrflow.
//!
//! It speaks EMR's JSON 1.1 protocol (`POST /`, `X-Amz-Target: ElasticMapReduce.<Op>`,
//! `Content-Type: application/x-amz-json-1.1`, timestamps as epoch seconds) so the
//! unchanged aws-sdk-emr client, boto3 and `aws emr --endpoint-url` work against it with
//! any credentials (signatures are not checked). Clusters follow EMR's life cycle and steps
//! run as real local processes; `s3://bucket/key` is the folder `<root>/s3/bucket/key`.
//! What runs how, and where it differs from EMR: the crate's README.
//!
//! Map of the modules:
//! - [`server`]: HTTP — EMR's protocol on `POST /`, the admin routes under `/_emrflow/`.
//! - [`api`]: EMR's operations, one file per resource (clusters, steps, tags, instances).
//! - [`model`]: cluster and step records, their state changes, EMR's JSON shapes.
//! - [`state`]: the shared state (one lock) and the transitions every path uses
//!   (termination, ActionOnFailure).
//! - [`lifecycle`]: a task per cluster drives STARTING → … → TERMINATED.
//! - [`step_run`]: a task per running step; [`step_logs`]: where its logs go.
//! - [`exec`]: what a step's HadoopJarStep runs locally (s3 mapping, Spark, streaming,
//!   s3-dist-cp, processes).
//! - [`events`]: EMR's EventBridge events of cluster and step state changes, made from the
//!   facts the model hands over.
//! - [`faults`]: the handle to inject faults; [`fault_state`]: what is injected, as the
//!   shared state holds it; [`quotas`]: EMR's API quotas as token buckets; [`inspect`]:
//!   read-only inspection, for tests.
//! - [`timings`]: how long a cluster's phases take.
//!
//! EMR's vocabulary (states, ActionOnFailure, StepConfig, FailureDetails, limits, log
//! locations) is `emrflow-vocabulary`'s, re-exported here where this crate shows it.
//! State lives in memory: it is lost when the server stops.

mod api;
mod error;
mod events;
mod exec;
mod fault_state;
mod faults;
mod inspect;
mod lifecycle;
pub mod loopback;
mod model;
pub mod quotas;
mod server;
mod state;
mod step_logs;
mod step_run;
mod timings;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use emrflow_vocabulary::logs::LogStream;
pub use emrflow_vocabulary::{ClusterState, FailureDetails, StepState};
pub use error::EmrError;
pub use exec::{locate_spark_submit, nearest_in_ancestors, SPARK_SUBMIT_ENV};
pub use faults::Faults;
pub use inspect::{ClusterSnapshot, Inspector, StepSnapshot};
pub use quotas::EmrThrottling;
pub use timings::Timings;

use exec::Layout;
use state::Shared;

/// The AWS account id of everything local (cluster ARNs, the local runner's executions).
pub const LOCAL_ACCOUNT_ID: &str = "000000000000";

/// Configuration of a [`LocalEmr`].
#[derive(Debug, Clone)]
pub struct LocalEmrConfig {
    /// Holds `s3/` (the mapped buckets), `logs/`, `work/` and `.emrflow/bin/`.
    pub root: PathBuf,
    pub timings: Timings,
    /// Used in cluster ARNs.
    pub region: String,
    pub account_id: String,
    /// spark-submit to use; None: [`locate_spark_submit`]'s rule finds one.
    pub spark_submit: Option<PathBuf>,
}

impl LocalEmrConfig {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalEmrConfig {
            root: root.into(),
            timings: Timings::default(),
            region: "us-east-1".to_string(),
            account_id: LOCAL_ACCOUNT_ID.to_string(),
            spark_submit: None,
        }
    }

    pub fn with_timings(mut self, timings: Timings) -> Self {
        self.timings = timings;
        self
    }

    /// Clusters take `total` to provision: STARTING and BOOTSTRAPPING together
    /// ([`Timings::with_provisioning`]); the other timings stay.
    pub fn with_provisioning(mut self, total: Duration) -> Self {
        self.timings = self.timings.with_provisioning(total);
        self
    }
}

/// The local EMR service. Cheap to clone; clones share the same clusters.
#[derive(Clone)]
pub struct LocalEmr {
    shared: Arc<Shared>,
}

/// How [`LocalEmr::serve_until_signalled`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    /// The signal that stopped it; None when the listener failed first.
    pub signal: Option<&'static str>,
    /// The clusters it terminated on the way out.
    pub clusters: Vec<String>,
}

/// A server started by [`LocalEmr::spawn`].
pub struct RunningLocalEmr {
    pub addr: SocketAddr,
    pub emr: LocalEmr,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningLocalEmr {
    /// `http://127.0.0.1:PORT`, for the SDK's `endpoint_url` / `AWS_ENDPOINT_URL_EMR`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and terminates every cluster: their step processes get SIGTERM at once
    /// and SIGKILL after the stop grace (from their tasks, or from the watcher if this process
    /// ends first). [`RunningLocalEmr::stop`] also waits for them.
    pub fn shutdown(self) {
        self.server.abort();
        let _ = self.emr.terminate_all_clusters();
    }

    /// Stops serving, terminates every cluster and waits until their processes have ended;
    /// returns the ids of the clusters it terminated.
    pub async fn stop(self) -> Vec<String> {
        self.server.abort();
        self.emr.stop().await
    }
}

impl LocalEmr {
    /// Creates the service; nothing runs until [`LocalEmr::serve`] or [`LocalEmr::spawn`].
    /// A relative root is made absolute (step processes run in other directories).
    pub fn new(config: LocalEmrConfig) -> Self {
        let root = absolute(&config.root);
        let spark_submit = locate_spark_submit(config.spark_submit.as_deref());
        match &spark_submit {
            Some(path) => {
                tracing::info!(spark_submit = %path.display(), "Spark steps run this spark-submit")
            }
            // Said where it matters: a Spark or Hive step fails with the same advice.
            None => tracing::info!(
                "no spark-submit found: Spark and Hive steps will fail (set {SPARK_SUBMIT_ENV}, install the project's PySpark with make spark-env, or put spark-submit on PATH)"
            ),
        }
        let spark_sql = exec::locate_spark_sql(spark_submit.as_deref());
        let layout = Layout {
            root,
            spark_submit,
            spark_sql,
        };
        // The local S3 exists with the endpoint, empty or not: steps may write into it at once.
        if let Err(err) = std::fs::create_dir_all(layout.s3_root()) {
            tracing::warn!(%err, "could not make the local S3 folder");
        }
        if let Err(err) = exec::install_shim(&layout) {
            tracing::warn!(%err, "could not write the spark-submit shim; scripts calling spark-submit may not run locally");
        }
        LocalEmr {
            shared: Arc::new(Shared::new(
                layout,
                config.timings,
                config.region,
                config.account_id,
            )),
        }
    }

    pub fn root(&self) -> &Path {
        &self.shared.layout.root
    }

    /// `<root>/s3`: where `s3://bucket/key` lives as `<root>/s3/bucket/key`.
    pub fn s3_root(&self) -> PathBuf {
        self.shared.layout.s3_root()
    }

    /// The local path of an `s3://` (or `s3a://`, `s3n://`, `file://`) URI.
    pub fn local_path(&self, uri: &str) -> PathBuf {
        self.shared.layout.uri_to_path(uri)
    }

    /// Every EMR event from now on ("EMR Cluster State Change", "EMR Step Status Change",
    /// in EventBridge's envelope), in the order the changes happened; every subscriber gets
    /// every event, unless a fault drops or repeats one ([`Faults::drop_next_events`],
    /// [`Faults::duplicate_next_event`]).
    pub fn subscribe_events(&self) -> tokio::sync::mpsc::UnboundedReceiver<serde_json::Value> {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        self.shared
            .with_inner(|inner| inner.subscribers.push(sender));
        receiver
    }

    pub fn faults(&self) -> Faults {
        Faults {
            shared: self.shared.clone(),
        }
    }

    pub fn inspect(&self) -> Inspector {
        Inspector {
            shared: self.shared.clone(),
        }
    }

    /// The axum router (EMR on `POST /`, admin routes under `/_emrflow/`), to embed. Whoever
    /// embeds it binds the listener: on loopback only ([`loopback::check_loopback`]).
    pub fn router(&self) -> axum::Router {
        server::router(self.shared.clone())
    }

    /// Serves on `listener` until the task is dropped or the listener fails. A listener that
    /// is not on loopback is refused ([`loopback`]): the endpoint runs commands for anyone
    /// who reaches it.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        not_beyond_loopback(listener.local_addr()?)?;
        axum::serve(listener, self.router()).await
    }

    /// Binds `addr` (port 0: any free port; loopback only, see [`loopback`]) and serves in a
    /// background task.
    pub async fn spawn(self, addr: SocketAddr) -> std::io::Result<RunningLocalEmr> {
        not_beyond_loopback(addr)?;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(self.clone().serve(listener));
        Ok(RunningLocalEmr {
            addr,
            emr: self,
            server,
        })
    }

    /// Terminates every live cluster (USER_REQUEST), stopping running step processes;
    /// returns the ids of the clusters it terminated.
    pub fn terminate_all_clusters(&self) -> Vec<String> {
        self.shared.terminate_all("The local EMR is shutting down")
    }

    /// [`LocalEmr::terminate_all_clusters`], then waits until every cluster has ended — no
    /// step process left, logs sealed, its work folder removed — at most the stop grace and a
    /// few seconds more.
    pub async fn stop(&self) -> Vec<String> {
        let terminated = self.terminate_all_clusters();
        let deadline = tokio::time::Instant::now()
            + self.shared.timings.terminate
            + self.shared.timings.stop_grace * 2
            + Duration::from_secs(5);
        let all_ended = || {
            self.shared.with_inner(|inner| {
                inner
                    .clusters
                    .iter()
                    .all(|cluster| cluster.state.is_terminated())
            })
        };
        while (self.shared.groups.count() > 0 || !all_ended())
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        terminated
    }

    /// Serves on `listener` until SIGINT or SIGTERM, then [`LocalEmr::stop`]s: what
    /// `emrflow local emr` does. `ready` runs once the signals are listened for (to say where
    /// it serves: a signal sent on that word is handled, never the default death).
    pub async fn serve_until_signalled(
        self,
        listener: tokio::net::TcpListener,
        ready: impl FnOnce(),
    ) -> std::io::Result<Stopped> {
        use tokio::signal::unix::{signal, SignalKind};
        not_beyond_loopback(listener.local_addr()?)?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        ready();
        let (signal, failure) = tokio::select! {
            served = self.clone().serve(listener) => (None, served.err()),
            _ = interrupt.recv() => (Some("SIGINT"), None),
            _ = terminate.recv() => (Some("SIGTERM"), None),
        };
        let clusters = self.stop().await;
        match failure {
            Some(error) => Err(error),
            None => Ok(Stopped { signal, clusters }),
        }
    }
}

/// Where `uri` (`s3://bucket/key`, s3a://, s3n://, file://) lives for a local EMR over
/// `root`, without starting one: how `emrflow logs --local` reads the step logs it wrote.
pub fn local_s3_path(root: &Path, uri: &str) -> PathBuf {
    layout_of(root).uri_to_path(uri)
}

/// [`loopback::check_loopback`] as the I/O error a bind would give.
fn not_beyond_loopback(addr: SocketAddr) -> std::io::Result<()> {
    loopback::check_loopback(addr)
        .map_err(|refusal| std::io::Error::new(std::io::ErrorKind::PermissionDenied, refusal))
}

/// Where a running step's `stream` is written, live, by a local EMR over `root`:
/// `<root>/logs/<cluster-id>/steps/<step-id>/<controller|stderr|stdout>` (plain text, growing
/// while the step runs). Once the step ended it is there no more under a LogUri (it is
/// gzipped to `<LogUri>/<cluster-id>/steps/<step-id>/<stream>.gz`); without one it stays.
pub fn live_step_log(root: &Path, cluster_id: &str, step_id: &str, stream: LogStream) -> PathBuf {
    layout_of(root)
        .live_step_log_dir(cluster_id, step_id)
        .join(stream.name())
}

/// The folders of a local EMR over `root`, without starting one.
fn layout_of(root: &Path) -> Layout {
    Layout {
        root: absolute(root),
        spark_submit: None,
        spark_sql: None,
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
