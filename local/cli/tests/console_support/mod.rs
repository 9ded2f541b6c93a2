//! What the console's tests share: executions recorded as `emrflow local run` records them
//! (a real failed run of the sample, and runs recorded through the executions crate's
//! fixtures), the `emrflow console` process, and plain HTTP to it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use chrono::{DateTime, Duration, Utc};
use emrflow_core::emr::{PipelineStepState, StepState};
use emrflow_executions::fixtures::recorded::{attempt, record_finished_run, step, CLUSTER_ID};
use emrflow_executions::fixtures::six_am;
use emrflow_executions::ExecutionStatus;
use serde_json::{json, Value};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The sample pipeline (pipelines/daily-etl.json) as JSON.
pub fn sample_pipeline() -> Value {
    let text = std::fs::read_to_string(repo_root().join("pipelines/daily-etl.json"))
        .expect("the sample pipeline");
    serde_json::from_str(&text).expect("JSON")
}

/// A real run of the sample that fails by design (no raw data for 2026-11-20): the
/// branch-merge failure the README shows. Returns its name.
pub fn real_failed_run(root: &Path) -> String {
    let name = "local-failed-2026-11-20";
    let output = Command::new(env!("CARGO_BIN_EXE_emrflow"))
        .current_dir(repo_root())
        .args([
            "local",
            "run",
            "--input",
            r#"{"ProcessingDate":"2026-11-20"}"#,
            "--name",
            name,
            "--pipeline-name",
            "daily-etl",
        ])
        .args(["--s3-from", "examples/s3", "--time-scale", "0.1", "--root"])
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("emrflow local run");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("Status: FAILED") && text.contains("StepFailed"),
        "the sample run did not fail as designed:\n{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    name.to_string()
}

/// A recorded run of the sample that succeeded after curate_orders was retried once:
/// curate_orders ∥ daily_stats, then publish, then run_report.
pub fn retried_run(root: &Path, name: &str, start: DateTime<Utc>) {
    let input = json!({"ProcessingDate": "2026-11-21", "Pipeline": sample_pipeline()});
    let steps = vec![
        step(
            "validate_raw",
            PipelineStepState::Completed,
            vec![attempt(1, StepState::Completed, 5, Some(40), start)],
        ),
        step(
            "curate_orders",
            PipelineStepState::Completed,
            vec![
                attempt(1, StepState::Failed, 45, Some(120), start),
                attempt(2, StepState::Completed, 150, Some(330), start),
            ],
        ),
        step(
            "daily_stats",
            PipelineStepState::Completed,
            vec![attempt(1, StepState::Completed, 60, Some(200), start)],
        ),
        step(
            "publish",
            PipelineStepState::Completed,
            vec![attempt(1, StepState::Completed, 340, Some(420), start)],
        ),
        step(
            "run_report",
            PipelineStepState::Completed,
            vec![attempt(1, StepState::Completed, 425, Some(470), start)],
        ),
    ];
    record_finished_run(
        root,
        name,
        &input,
        start,
        &steps,
        ExecutionStatus::Succeeded,
        6,
    );
}

/// A recorded failed run whose step name and stderr are markup (Step Functions refuses
/// markup in an execution name; [`rejected_run`] has one anyway, as a record could).
pub const TRICKY_NAME: &str = "run-tricky";
pub const TRICKY_STEP: &str = "<script>window.pwned=2</script>";
/// An execution name that is markup.
pub const MARKUP_NAME: &str = "run-<img src=x onerror=window.pwned=1>";

/// A record named [`MARKUP_NAME`] whose input was rejected with a cause that is markup.
pub fn rejected_run(root: &Path, start: DateTime<Utc>) {
    use emrflow_executions::fixtures::{description, History, TaskFamily};
    use emrflow_executions::{LocalRecorder, LocalRun};
    let input = json!({"ProcessingDate": "<svg onload=window.pwned=4>"});
    let recorder = LocalRecorder::create(
        root,
        description(MARKUP_NAME, ExecutionStatus::Running, start, &input),
        LocalRun::default(),
    )
    .expect("recorder");
    let cause = "key ProcessingDate: '<svg onload=window.pwned=4>' is not a date";
    for event in History::new(start, &input, TaskFamily::Task)
        .failed_task("Validate_Input", "validate-input", "InvalidInput", cause)
        .failed("InvalidInput", cause)
    {
        recorder.event(event);
    }
    let mut ended = description(MARKUP_NAME, ExecutionStatus::Failed, start, &input);
    ended.error = Some("InvalidInput".into());
    ended.cause = Some(cause.into());
    recorder.finish(ended);
}

pub fn tricky_run(root: &Path, start: DateTime<Utc>) {
    let mut pipeline = sample_pipeline();
    pipeline["Steps"][0]["Name"] = json!(TRICKY_STEP);
    for dependent in [1, 2] {
        pipeline["Steps"][dependent]["DependsOn"] = json!([TRICKY_STEP]);
    }
    let input = json!({"ProcessingDate": "2026-11-21", "Pipeline": pipeline});
    let failed = attempt(1, StepState::Failed, 5, Some(30), start);
    write_log(
        root,
        &failed.log_location.clone().expect("a location"),
        "stderr.gz",
        "<b onmouseover=window.pwned=3>bold</b>\n",
    );
    let steps = vec![step(TRICKY_STEP, PipelineStepState::Failed, vec![failed])];
    record_finished_run(
        root,
        TRICKY_NAME,
        &input,
        start,
        &steps,
        ExecutionStatus::Failed,
        1,
    );
}

/// Writes `text` gzipped as `<location><file>` in the local S3 under `root`.
pub fn write_log(root: &Path, location: &str, file: &str, text: &str) {
    use flate2::write::GzEncoder;
    let path = local_path(root, &format!("{location}{file}"));
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("log folder");
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).expect("gzip");
    std::fs::write(&path, encoder.finish().expect("gzip")).expect("log written");
}

/// `s3://bucket/key` → `<root>/s3/bucket/key`.
pub fn local_path(root: &Path, uri: &str) -> PathBuf {
    root.join("s3").join(uri.trim_start_matches("s3://"))
}

/// The log folder of a recorded attempt.
pub fn log_folder(step_id: &str) -> String {
    format!("s3://logs/emr/{CLUSTER_ID}/steps/{step_id}/")
}

/// A record whose history is not JSON.
pub fn corrupt_run(root: &Path, name: &str) {
    retried_run(root, name, six_am() - Duration::days(3));
    std::fs::write(
        root.join("executions").join(name).join("history.jsonl"),
        "{\"type\": tru\n",
    )
    .expect("written");
}

/// `emrflow console` on a free loopback port over `root`, stopped when dropped.
pub struct Console {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl Console {
    pub fn start(root: &Path, extra: &[&str]) -> Console {
        let mut child = Command::new(env!("CARGO_BIN_EXE_emrflow"))
            .current_dir(repo_root())
            .args(["console", "--local", "--port", "0", "--root"])
            .arg(root)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("emrflow console starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the console prints its address");
        let base = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in: {line}"))
            .trim_end_matches('/')
            .to_string();
        Console { child, base }
    }

    /// `127.0.0.1:PORT`
    pub fn host(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], "")
    }

    /// A request with the Host this console answers to, plus `headers`.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let host = self.host().to_string();
        let mut all = vec![("Host", host.as_str())];
        all.extend_from_slice(headers);
        http(self.host(), method, path, &all, body)
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

/// One HTTP/1.1 request to `addr`, `headers` as given (Host included), read to the end.
pub fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connects");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("sent");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let rest = raw.get(split + 4..).unwrap_or_default();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        unchunk(rest)
    } else {
        rest.to_vec()
    };
    Reply {
        status,
        headers: head,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn unchunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..end]);
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        let after = &rest[end + 2..];
        if size == 0 || after.len() < size {
            break;
        }
        body.extend_from_slice(&after[..size]);
        rest = after[size..]
            .strip_prefix(b"\r\n")
            .unwrap_or(&after[size..]);
    }
    body
}
