//! The harness of the state machine path tests and benchmarks: a local EMR on loopback,
//! the real definition and the real handlers, and what a test asks of the run afterwards.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use emrflow::definition::{load_local_definition, DEFINITION_FILE};
use emrflow::{local_emr_client, local_handlers, LocalEvents, LocalExecution};
use emrflow_asl::{
    Clock, ExecutionResult, ExecutionStatus, NoopObserver, Observer, ScaledClock, StopHandle,
};
use emrflow_core::PipelineSpec;
use emrflow_local_emr::{
    ClusterSnapshot, ClusterState, EmrThrottling, LocalEmr, LocalEmrConfig, RunningLocalEmr,
    Timings,
};
use serde_json::{json, Value};

pub mod examples;

/// Waits, retry intervals and Task timeouts run 100× faster than on AWS.
pub const TIME_SCALE: f64 = 0.01;

pub struct Harness {
    pub emr: RunningLocalEmr,
    /// Multiplies every Wait, Retry interval and Task timeout (TIME_SCALE unless changed).
    pub time_scale: f64,
    /// Whether executions wait on the local EMR's events (as deployed) or poll.
    pub events: bool,
    /// A clock of the test's own (a VirtualClock for hours of waiting); else a ScaledClock
    /// at `time_scale`.
    pub clock: Option<Arc<dyn Clock>>,
    _root: tempfile::TempDir,
}

/// A ScaledClock whose recorded times run as fast as its timers, for path tests of deadlines
/// that are measured on recorded times (QueueTimeoutMinutes, WaitFor's TimeoutMinutes): the
/// minute passes at the test's pace. Tests only — emrflow itself records wall-clock times.
pub struct FastForwardClock(ScaledClock);

impl FastForwardClock {
    pub fn new(factor: f64) -> FastForwardClock {
        FastForwardClock(ScaledClock::new(factor))
    }
}

#[async_trait::async_trait]
impl Clock for FastForwardClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.timer_now()
    }

    async fn sleep(&self, duration: Duration) {
        self.0.sleep(duration).await
    }
}

pub struct Run {
    pub result: ExecutionResult,
    pub events: Vec<Value>,
}

impl Harness {
    pub async fn start() -> Harness {
        let root = tempfile::tempdir().expect("temp dir");
        let emr = LocalEmr::new(LocalEmrConfig::new(root.path()).with_timings(Timings::fast()))
            .spawn("127.0.0.1:0".parse().expect("address"))
            .await
            .expect("local EMR starts");
        Harness {
            emr,
            time_scale: TIME_SCALE,
            events: true,
            clock: None,
            _root: root,
        }
    }

    /// Writes an executable script at `s3://jobs/<name>` in the local S3.
    pub fn script(&self, name: &str, body: &str) {
        let path = self.emr.emr.s3_root().join("jobs").join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("jobs folder");
        std::fs::write(&path, format!("#!/usr/bin/env bash\nset -eu\n{body}\n")).expect("script");
    }

    pub async fn run(&self, input: Value, pipeline: Value) -> Run {
        self.run_observed(input, pipeline, Arc::new(NoopObserver))
            .await
    }

    /// Runs with `observer` seeing each history event as it happens (to inject faults on cue).
    pub async fn run_observed(
        &self,
        input: Value,
        pipeline: Value,
        observer: Arc<dyn Observer>,
    ) -> Run {
        self.run_named("test-execution", input, pipeline, observer)
            .await
    }

    /// One of several executions against the same local EMR (names must differ).
    pub async fn run_named(
        &self,
        name: &str,
        input: Value,
        pipeline: Value,
        observer: Arc<dyn Observer>,
    ) -> Run {
        self.run_stoppable(name, input, pipeline, observer, StopHandle::new())
            .await
    }

    /// [`Harness::run_named`], stopped (as StopExecution does) when `stop` is used.
    pub async fn run_stoppable(
        &self,
        name: &str,
        input: Value,
        pipeline: Value,
        observer: Arc<dyn Observer>,
        stop: StopHandle,
    ) -> Run {
        let machine = load_local_definition(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(DEFINITION_FILE),
        )
        .expect("definition loads");
        let pipeline =
            PipelineSpec::from_json_str(&pipeline.to_string()).expect("test pipeline is valid");
        let result = LocalExecution {
            machine,
            handlers: local_handlers(&self.emr.endpoint_url(), pipeline, self.emr.emr.root()),
            name: name.to_string(),
            input,
            clock: self
                .clock
                .clone()
                .unwrap_or_else(|| Arc::new(ScaledClock::new(self.time_scale))),
            observer,
            // As deployed: the execution waits on EMR's events (a pipeline may say POLLING).
            events: self.events.then(|| LocalEvents::of(&self.emr)),
            // Recorded under the root, as `emrflow local run` does: the start queue reads it.
            record: true,
        }
        .run_until_stopped(stop)
        .await;
        let events = result
            .history
            .iter()
            .map(|event| serde_json::to_value(event).expect("event serializes"))
            .collect();
        Run { result, events }
    }

    pub fn clusters(&self) -> Vec<ClusterSnapshot> {
        self.emr.emr.inspect().clusters()
    }

    pub fn operation_count(&self, operation: &str) -> u64 {
        self.emr.emr.inspect().operation_count(operation)
    }

    /// EMR's API quotas (each operation its default bucket, all together the account's),
    /// refilled as fast as the harness's clock runs.
    pub fn throttle_like_emr(&self) {
        self.emr
            .emr
            .faults()
            .rate_limit_like_emr_with(EmrThrottling::PerOperation, self.time_scale);
    }

    /// `executions` executions of `pipeline` started at once (named `load-<n>`).
    pub async fn run_many(&self, executions: usize, input: Value, pipeline: Value) -> Vec<Run> {
        futures::future::join_all((0..executions).map(|index| {
            let (input, pipeline) = (input.clone(), pipeline.clone());
            async move {
                self.run_named(
                    &format!("load-{index}"),
                    input,
                    pipeline,
                    Arc::new(NoopObserver),
                )
                .await
            }
        }))
        .await
    }

    /// Every cluster this test made is terminated (or terminating, which EMR finishes alone).
    pub async fn assert_no_cluster_left_alive(&self) {
        let settled = self
            .emr
            .emr
            .inspect()
            .wait_until(Duration::from_secs(10), |clusters| {
                clusters.iter().all(|cluster| cluster.state.is_terminated())
            })
            .await;
        assert!(settled.is_ok(), "clusters still alive: {settled:?}");
    }

    /// A cluster created outside the workflow, as a reused one would be.
    pub async fn existing_cluster(&self, protected: bool) -> String {
        let client = local_emr_client(&self.emr.endpoint_url());
        let created = client
            .run_job_flow()
            .name("shared-cluster")
            .release_label("emr-7.5.0")
            .instances(
                aws_sdk_emr::types::JobFlowInstancesConfig::builder()
                    .keep_job_flow_alive_when_no_steps(true)
                    .master_instance_type("m5.xlarge")
                    .instance_count(1)
                    .build(),
            )
            .send()
            .await
            .expect("cluster created");
        let id = created.job_flow_id().expect("cluster id").to_string();
        client
            .set_termination_protection()
            .job_flow_ids(&id)
            .termination_protected(protected)
            .send()
            .await
            .expect("protection set");
        self.emr
            .emr
            .inspect()
            .wait_for_cluster_state(&id, &[ClusterState::Waiting], Duration::from_secs(10))
            .await
            .expect("cluster ready");
        id
    }
}

impl Run {
    pub fn states_entered(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|event| event.pointer("/stateEnteredEventDetails/name"))
            .filter_map(|name| name.as_str().map(str::to_string))
            .collect()
    }

    pub fn entered(&self, state: &str) -> bool {
        self.states_entered().iter().any(|name| name == state)
    }

    /// How many times `state` was entered.
    pub fn times_entered(&self, state: &str) -> usize {
        self.states_entered()
            .iter()
            .filter(|name| *name == state)
            .count()
    }

    /// Task errors in the order they happened (retried ones and timeouts included).
    pub fn errors_seen(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|event| {
                event
                    .pointer("/taskFailedEventDetails/error")
                    .or_else(|| event.pointer("/taskTimedOutEventDetails/error"))
            })
            .filter_map(|error| error.as_str().map(str::to_string))
            .collect()
    }

    pub fn failure(&self) -> (String, String) {
        match &self.result.status {
            ExecutionStatus::Failed { error, cause } => (error.clone(), cause.clone()),
            other => panic!(
                "expected FAILED, got {other:?}\nstates: {:?}",
                self.states_entered()
            ),
        }
    }

    pub fn assert_succeeded(&self) -> Value {
        assert!(
            matches!(self.result.status, ExecutionStatus::Succeeded),
            "expected SUCCEEDED, got {:?}\nstates: {:?}\nerrors: {:?}",
            self.result.status,
            self.states_entered(),
            self.errors_seen()
        );
        self.result.output.clone().expect("output")
    }
}

/// The state a history event enters, if it is a `…StateEntered` event.
pub fn state_entered(event: &emrflow_asl::HistoryEvent) -> Option<String> {
    serde_json::to_value(event)
        .ok()?
        .pointer("/stateEnteredEventDetails/name")?
        .as_str()
        .map(str::to_string)
}

pub fn pipeline(steps: Value) -> Value {
    json!({
        "Name": "paths",
        "PollIntervalSeconds": 1,
        "Cluster": {
            "ReleaseLabel": "emr-7.5.0",
            "Applications": ["Hadoop"],
            "ServiceRole": "EMR_DefaultRole",
            "JobFlowRole": "EMR_EC2_DefaultRole",
            "LogUri": "s3://logs/emr/",
            "InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]
        },
        "Steps": steps
    })
}

pub fn script_step(name: &str, script: &str, action_on_failure: &str) -> Value {
    json!({"Name": name, "Type": "Script", "Script": format!("s3://jobs/{script}"),
           "ActionOnFailure": action_on_failure, "Args": ["{{ProcessingDate}}"]})
}

/// A Script step with graph keys (`extra`: DependsOn, RunIf, Retry, TimeoutSeconds, …).
pub fn graph_step(name: &str, script: &str, extra: Value) -> Value {
    let mut step = script_step(name, script, "CONTINUE");
    for (key, value) in extra.as_object().into_iter().flatten() {
        step[key] = value.clone();
    }
    step
}

pub fn two_good_steps(harness: &Harness) -> Value {
    harness.script("extract.sh", r#"echo "extract for $1""#);
    harness.script("load.sh", r#"echo "load for $1""#);
    pipeline(json!([
        script_step("extract", "extract.sh", "CANCEL_AND_WAIT"),
        script_step("load", "load.sh", "CANCEL_AND_WAIT"),
    ]))
}
