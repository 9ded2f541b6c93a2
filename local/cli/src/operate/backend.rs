//! Where the operate commands read from: the executions ([`Executions`]), an execution's
//! steps when its history has no final report (EMR's ListSteps, or the local run's
//! snapshot), and step logs ([`LogStore`]: S3 GetObject, or the local S3 folder).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_s3::error::SdkError;
use emrflow_core::emr::EmrApi;
use emrflow_core::sdk::classify_aws_sdk_error;
use emrflow_core::sdk::endpoint_url_override;
use emrflow_core::SdkEmr;
use emrflow_executions::{
    list_execution_steps, ExecutionRecord, Executions, Launcher, LocalExecutions, SfnExecutions,
    StepView,
};
use emrflow_vocabulary::logs::{tail_log, LogStream, LogTail};
use emrflow_vocabulary::s3::parse_s3_uri;

use super::locate::state_machine_of_stack;
use super::Target;
use crate::local_emr_client;

/// Reads step logs by their `s3://` location.
#[async_trait]
pub trait LogStore: Send + Sync {
    /// The object's bytes; None when there is no such object (yet).
    async fn read(&self, uri: &str) -> Result<Option<Vec<u8>>, String>;

    /// The log's last `lines` lines (0: all), through [`tail_log`]; None when there is no
    /// such object (yet). A store that can stream the object overrides this, so a huge log
    /// is never held whole.
    async fn tail(&self, uri: &str, lines: usize) -> Result<Option<LogTail>, String> {
        Ok(self
            .read(uri)
            .await?
            .map(|bytes| tail_log(&bytes[..], lines)))
    }

    /// A running step's log as it is being written, and where it was read; None where it
    /// cannot be read live (on AWS: EMR uploads a running step's logs every few minutes).
    async fn read_live(
        &self,
        _step: &LiveStep<'_>,
        _stream: LogStream,
    ) -> Result<Option<(String, Vec<u8>)>, String> {
        Ok(None)
    }
}

/// A running step, as the log stores find its live logs.
pub struct LiveStep<'a> {
    pub cluster_id: &'a str,
    pub step_id: &'a str,
    /// Its log folder under the LogUri (`…/steps/<step-id>/`).
    pub folder: &'a str,
}

/// Step logs in S3 (GetObject).
pub struct S3Logs {
    client: aws_sdk_s3::Client,
}

impl S3Logs {
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        S3Logs { client }
    }
}

#[async_trait]
impl LogStore for S3Logs {
    async fn read(&self, uri: &str) -> Result<Option<Vec<u8>>, String> {
        let location = parse_s3_uri(uri).map_err(|error| error.to_string())?;
        let answer = self
            .client
            .get_object()
            .bucket(location.bucket)
            .key(location.key)
            .send()
            .await;
        match answer {
            Ok(object) => object
                .body
                .collect()
                .await
                .map(|bytes| Some(bytes.into_bytes().to_vec()))
                .map_err(|error| format!("GetObject {uri}: the download broke off: {error}")),
            Err(SdkError::ServiceError(context)) if context.err().is_no_such_key() => Ok(None),
            Err(error) => {
                let denied = error
                    .raw_response()
                    .is_some_and(|raw| raw.status().as_u16() == 403);
                let text = classify_aws_sdk_error("S3", "GetObject", "S3", error).to_string();
                Err(if denied {
                    format!("{text} (S3 answers AccessDenied for a missing object to a caller without s3:ListBucket on the bucket: the log may not be uploaded yet, or you lack s3:GetObject on {uri})")
                } else {
                    text
                })
            }
        }
    }
}

/// EMR from `config` as the standard chain loaded it (endpoints included: `--endpoint`
/// settings, AWS_ENDPOINT_URL_EMR), with the functions' timeouts. (The functions' own
/// wiring, `emrflow_lambda::wiring`, sets the endpoint from the environment alone: Lambda has
/// no config files.)
fn sdk_emr(config: &SdkConfig) -> SdkEmr {
    let client = aws_sdk_emr::Client::from_conf(
        aws_sdk_emr::config::Builder::from(config)
            .timeout_config(emrflow_core::sdk::emr_timeouts())
            .build(),
    );
    match config
        .endpoint_url()
        .map(str::to_string)
        .or_else(|| endpoint_url_override("EMR"))
    {
        Some(url) => SdkEmr::with_endpoint_url(client, &url),
        None => SdkEmr::new(client),
    }
}

/// S3 from `config`; an endpoint of one's own (moto, LocalStack, MinIO: `--endpoint`
/// settings, AWS_ENDPOINT_URL_S3) is addressed path-style, as those serve it.
fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let own_endpoint = config.endpoint_url().is_some() || endpoint_url_override("S3").is_some();
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(own_endpoint)
            .build(),
    )
}

/// Step logs the local EMR wrote under `<root>/s3/`.
pub struct LocalLogs {
    root: PathBuf,
}

#[async_trait]
impl LogStore for LocalLogs {
    async fn read(&self, uri: &str) -> Result<Option<Vec<u8>>, String> {
        read_file(&emrflow_local_emr::local_s3_path(&self.root, uri))
    }

    async fn read_live(
        &self,
        step: &LiveStep<'_>,
        stream: LogStream,
    ) -> Result<Option<(String, Vec<u8>)>, String> {
        // The local EMR's own rule for where a running step writes on the node.
        let path =
            emrflow_local_emr::live_step_log(&self.root, step.cluster_id, step.step_id, stream);
        Ok(read_file(&path)?.map(|bytes| (path.display().to_string(), bytes)))
    }

    /// Streams the file: only the kept lines are held.
    async fn tail(&self, uri: &str, lines: usize) -> Result<Option<LogTail>, String> {
        let path = emrflow_local_emr::local_s3_path(&self.root, uri);
        let read = tokio::task::spawn_blocking(move || match std::fs::File::open(&path) {
            Ok(file) => Ok(Some(tail_log(file, lines))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(format!("cannot read {}: {error}", path.display())),
        });
        read.await
            .map_err(|error| format!("reading the log stopped: {error}"))?
    }
}

fn read_file(path: &Path) -> Result<Option<Vec<u8>>, String> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(format!("cannot read {}: {error}", path.display())),
    }
}

/// Where an execution's steps come from when its history has no final report.
pub enum StepSource {
    /// EMR's ListSteps of the execution's cluster.
    Emr(Arc<dyn EmrApi>),
    /// The local run's snapshot, or its local EMR while it still runs.
    Local(LocalExecutions),
}

/// AWS (and which state machine), or the local runner's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendKind {
    Aws { state_machine_arn: String },
    Local { root: PathBuf },
}

pub struct Backend {
    pub executions: Box<dyn Executions>,
    pub steps: StepSource,
    pub logs: Box<dyn LogStore>,
    pub kind: BackendKind,
    /// What a command this one suggests repeats to reach the same executions
    /// ([`super::Target::repeated_options`]).
    pub options: String,
}

impl Backend {
    /// The backend `--local` / `--state-machine` / `--stack` / `--region` / `--profile` name.
    pub async fn for_target(target: &Target) -> Result<Backend, String> {
        if target.local {
            if !target.root.is_dir() {
                return Err(format!(
                    "--root {}: no such directory (the folder `emrflow local run --root` keeps its runs in; the default is {} in the current directory)",
                    target.root.display(),
                    crate::defaults::DEFAULT_ROOT
                ));
            }
            return Ok(Backend::local(&target.root));
        }
        let config = super::aws::load_config(target).await?;
        let cloudformation = aws_sdk_cloudformation::Client::new(&config);
        Backend::on_aws(target, &config, &cloudformation).await
    }

    /// The AWS backend of `target`: the state machine `--state-machine` names, else the one of
    /// its stack — CloudFormation is called only then.
    pub async fn on_aws(
        target: &Target,
        config: &SdkConfig,
        cloudformation: &aws_sdk_cloudformation::Client,
    ) -> Result<Backend, String> {
        let state_machine_arn = match &target.state_machine {
            Some(arn) => arn.clone(),
            None => state_machine_of_stack(cloudformation, &target.stack).await?,
        };
        let mut backend = Backend::aws(config, state_machine_arn);
        backend.options = target.repeated_options();
        Ok(backend)
    }

    /// The AWS backend: Step Functions, EMR and S3 clients from `config`.
    pub fn aws(config: &SdkConfig, state_machine_arn: String) -> Backend {
        Backend {
            executions: Box::new(SfnExecutions::new(
                aws_sdk_sfn::Client::new(config),
                &state_machine_arn,
            )),
            steps: StepSource::Emr(Arc::new(sdk_emr(config))),
            logs: Box::new(S3Logs::new(s3_client(config))),
            kind: BackendKind::Aws { state_machine_arn },
            options: String::new(),
        }
    }

    /// The local runner's records under `root`; `start` runs `emrflow local run` in the
    /// background.
    pub fn local(root: &Path) -> Backend {
        Backend::local_with(root, &[])
    }

    /// The local backend whose `start` passes `run_args` on to `emrflow local run`.
    pub fn local_with(root: &Path, run_args: &[String]) -> Backend {
        let launcher = std::env::current_exe().ok().map(|program| Launcher {
            program,
            args: ["local", "run", "--root"]
                .into_iter()
                .map(str::to_string)
                .chain([root.display().to_string()])
                .chain(run_args.iter().cloned())
                .collect(),
        });
        let mut executions = LocalExecutions::new(root);
        if let Some(launcher) = launcher {
            executions = executions.with_launcher(launcher);
        }
        Backend {
            executions: Box::new(executions),
            steps: StepSource::Local(LocalExecutions::new(root)),
            logs: Box::new(LocalLogs {
                root: root.to_path_buf(),
            }),
            kind: BackendKind::Local {
                root: root.to_path_buf(),
            },
            options: super::local_options(root),
        }
    }

    pub fn is_local(&self) -> bool {
        matches!(self.kind, BackendKind::Local { .. })
    }

    /// The execution's steps with their attempts: check-steps' final report, else EMR's
    /// (or the local snapshot's) view; None when no cluster is known yet.
    pub async fn steps_of(
        &self,
        record: &ExecutionRecord,
    ) -> Result<Option<Vec<StepView>>, String> {
        // A final report that lists no step says nothing about them: look where they are.
        if let Some(steps) = record.final_steps().filter(|steps| !steps.is_empty()) {
            return Ok(Some(steps));
        }
        match &self.steps {
            StepSource::Emr(emr) => list_execution_steps(emr.as_ref(), record)
                .await
                .map_err(|error| error.to_string()),
            StepSource::Local(local) => {
                if let Some(steps) = local.steps(record.name()) {
                    return Ok(Some(steps));
                }
                let endpoint = local
                    .local_run(record.name())
                    .ok()
                    .and_then(|run| run.emr_endpoint)
                    .filter(|_| !record.execution.status.has_ended());
                let Some(endpoint) = endpoint else {
                    return Ok(None);
                };
                let emr = SdkEmr::with_endpoint_url(local_emr_client(&endpoint), &endpoint);
                // The local EMR of a run that just ended may be gone: no steps, no error.
                Ok(list_execution_steps(&emr, record).await.ok().flatten())
            }
        }
    }
}
