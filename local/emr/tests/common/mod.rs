//! Shared test setup: a local EMR on a free port with millisecond timings, a temp root,
//! and the real aws-sdk-emr client pointed at it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_sdk_emr::config::retry::RetryConfig;
use aws_sdk_emr::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_emr::types::{
    ActionOnFailure, HadoopJarStepConfig, JobFlowInstancesConfig, StepConfig, StepState,
};
use aws_sdk_emr::Client;
use emrflow_local_emr::{LocalEmr, LocalEmrConfig, RunningLocalEmr, Timings};
use emrflow_vocabulary::logs::{read_log, LogStream};
use tempfile::TempDir;

pub struct Harness {
    pub root: TempDir,
    pub server: RunningLocalEmr,
    pub client: Client,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(|config| config).await
    }

    pub async fn start_with(adjust: impl FnOnce(LocalEmrConfig) -> LocalEmrConfig) -> Self {
        let root = tempfile::tempdir().expect("temp root");
        let config = adjust(LocalEmrConfig::new(root.path()).with_timings(Timings::fast()));
        let server = LocalEmr::new(config)
            .spawn("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("server starts");
        let client = client(&server.endpoint_url(), RetryConfig::standard());
        Harness {
            root,
            server,
            client,
        }
    }

    pub fn emr(&self) -> &LocalEmr {
        &self.server.emr
    }

    /// A client that does not retry: to see throttling and lost responses directly.
    pub fn client_without_retries(&self) -> Client {
        client(&self.server.endpoint_url(), RetryConfig::disabled())
    }

    /// Writes a file at an s3:// URI's local place.
    pub fn put(&self, uri: &str, contents: &str) -> PathBuf {
        let path = self.emr().local_path(uri);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, contents).expect("write");
        path
    }

    pub fn read(&self, uri: &str) -> String {
        std::fs::read_to_string(self.emr().local_path(uri)).expect("read")
    }

    /// RunJobFlow with a waiting (keep-alive) cluster and the given steps.
    pub async fn run_cluster(&self, name: &str, steps: Vec<StepConfig>) -> String {
        self.run_cluster_with(name, steps, |request| request).await
    }

    pub async fn run_cluster_with(
        &self,
        name: &str,
        steps: Vec<StepConfig>,
        adjust: impl FnOnce(
            aws_sdk_emr::operation::run_job_flow::builders::RunJobFlowFluentBuilder,
        )
            -> aws_sdk_emr::operation::run_job_flow::builders::RunJobFlowFluentBuilder,
    ) -> String {
        let request = self
            .client
            .run_job_flow()
            .name(name)
            .release_label("emr-7.5.0")
            .log_uri("s3://logs-bucket/emr/")
            .instances(
                JobFlowInstancesConfig::builder()
                    .keep_job_flow_alive_when_no_steps(true)
                    .build(),
            )
            .set_steps(Some(steps));
        adjust(request)
            .send()
            .await
            .expect("RunJobFlow")
            .job_flow_id
            .expect("cluster id")
    }

    pub async fn add_steps(&self, cluster_id: &str, steps: Vec<StepConfig>) -> Vec<String> {
        self.client
            .add_job_flow_steps()
            .job_flow_id(cluster_id)
            .set_steps(Some(steps))
            .send()
            .await
            .expect("AddJobFlowSteps")
            .step_ids
            .unwrap_or_default()
    }

    /// TerminateJobFlows, then waits until the cluster is TERMINATED.
    pub async fn terminate(&self, cluster_id: &str, timeout: Duration) {
        self.client
            .terminate_job_flows()
            .job_flow_ids(cluster_id)
            .send()
            .await
            .expect("TerminateJobFlows");
        self.wait_cluster(
            cluster_id,
            &[aws_sdk_emr::types::ClusterState::Terminated],
            timeout,
        )
        .await;
    }

    pub async fn step_state(&self, cluster_id: &str, step_id: &str) -> StepState {
        self.describe_step(cluster_id, step_id)
            .await
            .status
            .and_then(|s| s.state)
            .expect("step state")
    }

    pub async fn describe_step(&self, cluster_id: &str, step_id: &str) -> aws_sdk_emr::types::Step {
        self.client
            .describe_step()
            .cluster_id(cluster_id)
            .step_id(step_id)
            .send()
            .await
            .expect("DescribeStep")
            .step
            .expect("step")
    }

    pub async fn cluster(&self, cluster_id: &str) -> aws_sdk_emr::types::Cluster {
        self.client
            .describe_cluster()
            .cluster_id(cluster_id)
            .send()
            .await
            .expect("DescribeCluster")
            .cluster
            .expect("cluster")
    }

    pub async fn cluster_state(&self, cluster_id: &str) -> aws_sdk_emr::types::ClusterState {
        self.cluster(cluster_id)
            .await
            .status
            .and_then(|s| s.state)
            .expect("cluster state")
    }

    /// Polls DescribeStep until the step is in a final state.
    pub async fn wait_step_done(
        &self,
        cluster_id: &str,
        step_id: &str,
        timeout: Duration,
    ) -> aws_sdk_emr::types::Step {
        let deadline = Instant::now() + timeout;
        loop {
            let step = self.describe_step(cluster_id, step_id).await;
            let state = step.status.as_ref().and_then(|s| s.state.clone());
            let done = matches!(
                state,
                Some(
                    StepState::Completed
                        | StepState::Failed
                        | StepState::Cancelled
                        | StepState::Interrupted
                )
            );
            if done {
                return step;
            }
            assert!(
                Instant::now() < deadline,
                "step {step_id} still {state:?} after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Polls DescribeCluster until the cluster is in one of `states`.
    pub async fn wait_cluster(
        &self,
        cluster_id: &str,
        states: &[aws_sdk_emr::types::ClusterState],
        timeout: Duration,
    ) -> aws_sdk_emr::types::Cluster {
        let deadline = Instant::now() + timeout;
        loop {
            let cluster = self.cluster(cluster_id).await;
            let state = cluster.status.as_ref().and_then(|s| s.state.clone());
            if state.as_ref().is_some_and(|s| states.contains(s)) {
                return cluster;
            }
            assert!(
                Instant::now() < deadline,
                "cluster {cluster_id} still {state:?} after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// A step's log under the LogUri, as EMR lays it (`<stream>.gz`), read as the CLI reads
    /// it; empty when there is none.
    pub fn step_log(&self, cluster_id: &str, step_id: &str, stream: LogStream) -> String {
        let path = self.log_dir(cluster_id, step_id).join(stream.file_name());
        std::fs::read(path)
            .map(|bytes| read_log(&bytes))
            .unwrap_or_default()
    }

    pub fn log_dir(&self, cluster_id: &str, step_id: &str) -> PathBuf {
        self.emr().local_path(&format!(
            "s3://logs-bucket/emr/{cluster_id}/steps/{step_id}"
        ))
    }
}

pub fn client(endpoint_url: &str, retry: RetryConfig) -> Client {
    let config = aws_sdk_emr::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(endpoint_url)
        .retry_config(retry)
        .build();
    Client::from_conf(config)
}

pub fn step(name: &str, action: ActionOnFailure, jar: &str, args: &[&str]) -> StepConfig {
    StepConfig::builder()
        .name(name)
        .action_on_failure(action)
        .hadoop_jar_step(
            HadoopJarStepConfig::builder()
                .jar(jar)
                .set_args(Some(args.iter().map(|a| a.to_string()).collect()))
                .build(),
        )
        .build()
}

/// A command-runner.jar step running `bash -c SCRIPT`.
pub fn shell_step(name: &str, action: ActionOnFailure, script: &str) -> StepConfig {
    step(name, action, "command-runner.jar", &["bash", "-c", script])
}

pub const MINUTE: Duration = Duration::from_secs(60);
pub const WAIT: Duration = Duration::from_secs(10);

/// The FailureDetails of a step that must have FAILED.
pub fn failure_details(step: &aws_sdk_emr::types::Step) -> aws_sdk_emr::types::FailureDetails {
    let status = step.status.clone().expect("step status");
    assert_eq!(
        status.state,
        Some(StepState::Failed),
        "step {:?}",
        step.name
    );
    status
        .failure_details
        .expect("a failed step has FailureDetails")
}

pub fn exists(path: &Path) -> bool {
    path.exists()
}

/// A raw HTTP/1.1 request (for the protocol and admin-route tests); returns the whole response.
pub async fn http(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> String {
    http_with_headers(
        addr,
        method,
        path,
        "Content-Type: application/json\r\n",
        body,
    )
    .await
}

/// An EMR JSON 1.1 call as the SDKs send it.
pub async fn emr_call(addr: std::net::SocketAddr, operation: &str, body: &str) -> String {
    let headers = format!(
        "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: ElasticMapReduce.{operation}\r\n"
    );
    http_with_headers(addr, "POST", "/", &headers, body).await
}

pub async fn http_with_headers(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: local\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
        .await
        .expect("write");
    let mut response = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut response)
        .await
        .expect("read");
    response
}

/// The live (non-zombie) processes of process group `pgid`, from /proc.
pub fn group_members(pgid: i32) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter(|stat| {
            let Some((_, rest)) = stat.rsplit_once(')') else {
                return false;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string()
        })
        .collect()
}

/// A bash script for a step: starts `sleep 600 &` (a child that would outlive a careless
/// stop), writes its process group (bash's own pid) to `marker`, then `ending`.
pub fn sleeper_script(marker: &Path, ending: &str) -> String {
    let marker = marker.display();
    format!("sleep 600 &\necho $$ > {marker}.tmp && mv {marker}.tmp {marker}\n{ending}")
}

/// Waits for a step's [`sleeper_script`] to report its process group; asserts it is alive.
pub async fn started_group(marker: &Path) -> i32 {
    let deadline = Instant::now() + WAIT;
    while !marker.exists() {
        assert!(Instant::now() < deadline, "the step never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let pgid = read_group(marker);
    assert!(group_members(pgid).len() >= 2, "bash and its sleep run");
    pgid
}

/// The process group a [`sleeper_script`] wrote.
pub fn read_group(marker: &Path) -> i32 {
    std::fs::read_to_string(marker)
        .expect("marker")
        .trim()
        .parse()
        .expect("a pgid")
}

/// Asserts that process group `pgid` is empty, or becomes so within `timeout`.
pub async fn assert_group_ends(pgid: i32, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let members = group_members(pgid);
        if members.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "process group {pgid} outlived its step: {members:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
