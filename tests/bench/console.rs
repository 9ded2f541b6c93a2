//! `emrflow console`: how fast and how heavy its pages are, served in process over real
//! HTTP on loopback from local records — a run of 256 steps, each retried once, and the runs
//! page over 1,000 records.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::Duration;
use emrflow::console::{guard::allowed_hosts, serve, Console};
use emrflow::operate::Backend;
use emrflow_core::emr::{PipelineStepState, StepState};
use emrflow_executions::fixtures::recorded::{attempt, record_finished_run, record_wide_run, step};
use emrflow_executions::fixtures::six_am;
use emrflow_executions::ExecutionStatus;
use serde_json::{json, Value};

use crate::report::Report;

const MAX_PAGE_MS: f64 = 300.0;
const MAX_RUN_PAGE_KB: f64 = 500.0;
const LOOKS: usize = 5;

/// Serves the console over `root` on a free loopback port; returns `host:port`.
async fn console_over(root: &Path) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    let console = Arc::new(Console {
        backend: Backend::local(root),
        pipelines: Default::default(),
        token: None,
        hosts: allowed_hosts(addr),
    });
    tokio::spawn(serve(listener, console));
    addr.to_string()
}

/// The slowest of `LOOKS` GETs after a first one (milliseconds), and the body's size (KB).
async fn time_get(host: &str, path: &str) -> (f64, f64) {
    let (host, path) = (host.to_string(), path.to_string());
    tokio::task::spawn_blocking(move || {
        let get = || {
            let started = Instant::now();
            let mut stream = TcpStream::connect(&host).expect("connects");
            write!(
                stream,
                "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            )
            .expect("sent");
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).expect("read");
            assert!(
                answer.starts_with(b"HTTP/1.1 200"),
                "{}",
                String::from_utf8_lossy(&answer[..answer.len().min(300)])
            );
            (
                started.elapsed().as_secs_f64() * 1000.0,
                answer.len() as f64 / 1024.0,
            )
        };
        get();
        (0..LOOKS)
            .map(|_| get())
            .fold((0.0f64, 0.0f64), |(slowest, _), (ms, kb)| {
                (slowest.max(ms), kb)
            })
    })
    .await
    .expect("the requests ran")
}

fn sample_input() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../pipelines/daily-etl.json"
    ))
    .expect("the sample");
    let pipeline: Value = serde_json::from_str(&text).expect("JSON");
    json!({"ProcessingDate": "2026-11-21", "Pipeline": pipeline})
}

pub async fn measure(report: &mut Report) {
    let wide = tempfile::tempdir().expect("a scratch root");
    record_wide_run(wide.path(), "wide", six_am(), 256);
    let host = console_over(wide.path()).await;
    let (ms, kb) = time_get(&host, "/runs/wide").await;
    report.measure(
        "console: run page, 256 steps each retried (slowest of 5)",
        ms,
        "ms",
        &format!("< {MAX_PAGE_MS}"),
        ms < MAX_PAGE_MS,
    );
    report.measure(
        "console: run page, 256 steps each retried: weight",
        kb,
        "KB",
        &format!("< {MAX_RUN_PAGE_KB}"),
        kb < MAX_RUN_PAGE_KB,
    );

    let many = tempfile::tempdir().expect("a scratch root");
    let input = sample_input();
    for index in 0..1000 {
        let start = six_am() - Duration::minutes(index * 30);
        let steps = vec![
            step(
                "validate_raw",
                PipelineStepState::Completed,
                vec![attempt(1, StepState::Completed, 5, Some(40), start)],
            ),
            step(
                "curate_orders",
                PipelineStepState::Completed,
                vec![attempt(1, StepState::Completed, 45, Some(200), start)],
            ),
        ];
        record_finished_run(
            many.path(),
            &format!("run-{index:04}"),
            &input,
            start,
            &steps,
            ExecutionStatus::Succeeded,
            3,
        );
    }
    let host = console_over(many.path()).await;
    let (ms, kb) = time_get(&host, "/?limit=1000").await;
    report.measure(
        "console: runs page, 1,000 records all listed (slowest of 5)",
        ms,
        "ms",
        &format!("< {MAX_PAGE_MS}"),
        ms < MAX_PAGE_MS,
    );
    report.note("console: runs page, 1,000 records: weight", kb, "KB");
}
