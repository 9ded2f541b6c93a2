//! `make bench`: speed, cost and size targets, kept out of the timed tests. One line per
//! measure against its target; the command fails when one is missed.
//!
//! - [`canned`]: the interpreter on the real definition (throughput; a one-hour step waiting
//!   on events vs polling: transitions and EMR calls);
//! - [`local`]: real local executions (duration, event detection lag, 50 and 200 executions
//!   at once against EMR's default API token buckets);
//! - [`cold_start`]: every function's cold start beside a hello-world lambda_runtime binary,
//!   and its zipped arm64 package;
//! - [`console`]: `emrflow console`'s pages, 256 steps with retries and 1,000 records.

mod canned;
mod cold_start;
mod console;
mod local;
mod report;

const MAX_PEAK_RSS_MIB: f64 = 300.0;

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[tokio::main]
async fn main() {
    // `cargo bench -p emrflow-tests -- local` runs only the parts whose name holds "local".
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let wanted =
        |part: &str| only.is_empty() || only.iter().any(|filter| part.contains(filter.as_str()));
    let mut report = report::Report::new();
    if wanted("canned") {
        canned::measure(&mut report).await;
    }
    if wanted("local") {
        local::measure(&mut report).await;
    }
    if wanted("console") {
        console::measure(&mut report).await;
    }
    if wanted("cold_start") {
        cold_start::measure(&mut report).await;
    }
    let rss = peak_rss_mib().unwrap_or(f64::NAN);
    report.measure(
        "peak resident memory (this process)",
        rss,
        "MiB",
        &format!("<= {MAX_PEAK_RSS_MIB}"),
        rss <= MAX_PEAK_RSS_MIB,
    );
    if !report.all_ok() {
        std::process::exit(1);
    }
}
