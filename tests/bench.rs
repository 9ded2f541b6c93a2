//! `make bench`: speed and memory targets, kept out of the timed tests.
//! - the ASL interpreter runs the real definition fast enough that polling never matters;
//! - a whole local execution (two script steps on the local EMR) finishes quickly;
//! - the process stays small.
//!
//! Prints one line per measure and exits non-zero when a target is missed.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use emrflow::definition::{function_of_resource, load_local_definition, DEFINITION_FILE};
use emrflow::local_handlers;
use emrflow_asl::{
    execute, ExecutionOptions, ExecutionStatus, TaskError, TaskInvoker, VirtualClock,
};
use emrflow_core::{Function, Handlers, PipelineSpec};
use emrflow_tests::{two_good_steps, Harness};
use serde_json::{json, Value};

const EXECUTIONS: u32 = 300;
const POLLS_PER_EXECUTION: u32 = 20;
const MIN_TRANSITIONS_PER_SECOND: f64 = 5_000.0;
const MAX_LOCAL_RUN_SECONDS: f64 = 15.0;
const MAX_PEAK_RSS_MIB: f64 = 300.0;

/// The real validate-input (it makes no EMR call), and canned answers from the handlers that
/// would call EMR: the interpreter alone is measured.
struct CannedHandlers {
    validate: Handlers,
    checks: AtomicU32,
}

#[async_trait]
impl TaskInvoker for CannedHandlers {
    async fn invoke(&self, resource: &str, payload: Value) -> Result<Value, TaskError> {
        let function = function_of_resource(resource)
            .ok_or_else(|| TaskError::new("Lambda.ResourceNotFoundException", resource))?;
        Ok(match function {
            Function::ValidateInput => self
                .validate
                .invoke(function, payload)
                .await
                .map_err(|error| TaskError::new(error.name().as_str(), error.to_string()))?,
            Function::EnsureCluster => json!({"ClusterId": "j-BENCH", "Created": true,
                "ClusterName": "emrflow-bench", "State": "STARTING", "LogUri": null, "TerminationProtected": false}),
            Function::TerminationProtection => json!({"ClusterId": "j-BENCH",
                "Protected": payload["Protected"], "Previous": false}),
            Function::AddSteps => json!({"ClusterId": "j-BENCH", "StepIds": ["s-1"],
                "Steps": [{"Name": "a", "StepId": "s-1"}], "AlreadySubmitted": false}),
            Function::CheckSteps => {
                let done = self.checks.fetch_add(1, Ordering::Relaxed) % POLLS_PER_EXECUTION
                    == POLLS_PER_EXECUTION - 1;
                json!({"Verdict": if done { "COMPLETED" } else { "RUNNING" }, "ClusterState": "RUNNING",
                       "NextCheckSeconds": 30, "Steps": [{"StepId": "s-1", "Name": "a", "State": "RUNNING"}]})
            }
            Function::TerminateCluster => json!({"ClusterId": "j-BENCH", "Terminated": true,
                "State": "TERMINATING", "Note": "terminating"}),
        })
    }
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn report(name: &str, value: f64, unit: &str, target: &str, ok: bool) -> bool {
    println!(
        "{:<44} {value:>10.1} {unit:<14} target {target:<12} {}",
        name,
        if ok { "ok" } else { "MISSED" }
    );
    ok
}

#[tokio::main]
async fn main() {
    let definition = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(DEFINITION_FILE);
    let machine = load_local_definition(&definition).expect("definition loads");
    let sample = PipelineSpec::load(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/pipeline.json"),
    )
    .expect("sample pipeline");
    let invoker = Arc::new(CannedHandlers {
        // Never called: validate-input makes no EMR call.
        validate: local_handlers("http://127.0.0.1:9", sample),
        checks: AtomicU32::new(0),
    });

    let started = Instant::now();
    let mut transitions = 0;
    for run in 0..EXECUTIONS {
        let options = ExecutionOptions::new(format!("bench-{run}"), json!({}), invoker.clone())
            .with_clock(Arc::new(VirtualClock::default()));
        let result = execute(&machine, options).await;
        assert!(
            matches!(result.status, ExecutionStatus::Succeeded),
            "{:?}",
            result.status
        );
        transitions += result.state_transitions;
    }
    let per_second = transitions as f64 / started.elapsed().as_secs_f64();
    let mut all_ok = report(
        "interpreter: state transitions per second",
        per_second,
        "transitions/s",
        &format!(">= {MIN_TRANSITIONS_PER_SECOND}"),
        per_second >= MIN_TRANSITIONS_PER_SECOND,
    );

    let harness = Harness::start().await;
    let spec = two_good_steps(&harness);
    let started = Instant::now();
    let run = harness.run(json!({}), spec).await;
    run.assert_succeeded();
    let seconds = started.elapsed().as_secs_f64();
    all_ok &= report(
        "local execution, 2 script steps, end to end",
        seconds,
        "s",
        &format!("<= {MAX_LOCAL_RUN_SECONDS}"),
        seconds <= MAX_LOCAL_RUN_SECONDS,
    );

    let rss = peak_rss_mib().unwrap_or(f64::NAN);
    all_ok &= report(
        "peak resident memory",
        rss,
        "MiB",
        &format!("<= {MAX_PEAK_RSS_MIB}"),
        rss <= MAX_PEAK_RSS_MIB,
    );
    harness.emr.shutdown();
    if !all_ok {
        std::process::exit(1);
    }
}
