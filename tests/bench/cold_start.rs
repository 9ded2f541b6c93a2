//! Cold start of every function through the Lambda Runtime API emulator — process start to
//! its first `/invocation/next` — beside the smallest lambda_runtime binary built the same
//! way, and each function's zipped arm64 package (from `make build`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use emrflow_lambda::emulator::RuntimeApi;

use crate::report::Report;

/// The functions `make build` packages (what SAM deploys).
pub const FUNCTIONS: [&str; 10] = [
    "validate-input",
    "ensure-cluster",
    "termination-protection",
    "add-steps",
    "check-steps",
    "terminate-cluster",
    "await-steps",
    "emr-events",
    "reap-execution",
    "start-daily",
];
const STARTS: usize = 15;
const MAX_RATIO: f64 = 1.5;
const MAX_PACKAGE_MB: f64 = 4.0;

fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// Where `cargo build --profile bench` put the binaries (`make bench` builds them).
fn binary(name: &str) -> Option<PathBuf> {
    [
        repo("target/release").join(name),
        repo("target/release/examples").join(name),
    ]
    .into_iter()
    .find(|path| path.is_file())
}

/// Median time from spawning `binary` to its first request for an invocation.
async fn cold_start(binary: &Path, function: &str) -> Option<Duration> {
    let mut samples = Vec::with_capacity(STARTS);
    for _ in 0..STARTS {
        let api = RuntimeApi::start().await.ok()?;
        let started = Instant::now();
        let mut child = Command::new(binary)
            .env_clear()
            .envs(api.function_environment(function))
            .env("EMRFLOW_PIPELINES_DIR", repo("pipelines"))
            .env("EMRFLOW_TOKEN_TABLE", "emrflow-bench-tokens")
            .env(
                "STATE_MACHINE_ARN",
                "arn:aws:states:us-east-1:000000000000:stateMachine:emrflow",
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let polled = api.first_poll(Duration::from_secs(10)).await;
        let _ = child.kill();
        let _ = child.wait();
        samples.push(polled? - started);
    }
    samples.sort();
    Some(samples[samples.len() / 2])
}

/// The deflated size of a file: what it weighs in a Lambda zip.
fn zipped_megabytes(path: &Path) -> Option<f64> {
    let bytes = std::fs::read(path).ok()?;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&bytes).ok()?;
    Some(encoder.finish().ok()?.len() as f64 / 1_000_000.0)
}

pub async fn measure(report: &mut Report) {
    let Some(hello) = binary("hello") else {
        report.missing(
            "cold start",
            "run `make bench` (it builds the functions with the bench profile)",
        );
        return;
    };
    let Some(baseline) = cold_start(&hello, "hello").await else {
        report.missing(
            "cold start of hello-world",
            "the binary did not reach /invocation/next",
        );
        return;
    };
    report.measure(
        "cold start: hello-world lambda_runtime",
        baseline.as_secs_f64() * 1000.0,
        "ms",
        "baseline",
        true,
    );
    for function in FUNCTIONS {
        let Some(path) = binary(function) else {
            report.missing(&format!("cold start: {function}"), "not built");
            continue;
        };
        match cold_start(&path, function).await {
            Some(time) => {
                let ratio = time.as_secs_f64() / baseline.as_secs_f64();
                report.measure(
                    &format!(
                        "cold start: {function} ({:.1} ms)",
                        time.as_secs_f64() * 1000.0
                    ),
                    ratio,
                    "× hello-world",
                    &format!("<= {MAX_RATIO}"),
                    ratio <= MAX_RATIO,
                );
            }
            None => report.missing(
                &format!("cold start: {function}"),
                "it never asked for an invocation",
            ),
        }
    }
    for function in FUNCTIONS {
        let package = repo("target/lambda").join(function).join("bootstrap");
        match zipped_megabytes(&package) {
            Some(size) => report.measure(
                &format!("package: {function} (zipped arm64)"),
                size,
                "MB",
                &format!("<= {MAX_PACKAGE_MB}"),
                size <= MAX_PACKAGE_MB,
            ),
            None => report.missing(
                &format!("package: {function}"),
                "run `make build` for the arm64 packages",
            ),
        }
    }
}
