//! `emrflow local emr` listens on loopback only: the endpoint has no authentication and runs
//! Command and Script steps, so any other address is refused before anything listens. And
//! its clusters take as long to provision as `--provisioning-seconds` says.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn emrflow_local_emr(addr: &str, root: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_emrflow"));
    command
        .args(["local", "emr", "--addr", addr, "--root"])
        .arg(root)
        .env("NO_COLOR", "1");
    command
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

#[test]
fn every_interface_is_refused_with_why_and_what_to_use() {
    // GIVEN an address on every interface
    let root = tempfile::tempdir().expect("root");
    let port = free_port();
    // WHEN emrflow local emr is asked to listen there
    let output = emrflow_local_emr(&format!("0.0.0.0:{port}"), root.path())
        .output()
        .expect("emrflow runs");
    // THEN it exits non-zero, saying it listens only on loopback, why, and what to use
    assert_ne!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("only on loopback"), "{stderr}");
    assert!(stderr.contains("remote command execution"), "{stderr}");
    assert!(stderr.contains(&format!("localhost:{port}")), "{stderr}");
    // AND nothing listened there
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn localhost_is_accepted_and_served() {
    // GIVEN localhost and a free port
    let root = tempfile::tempdir().expect("root");
    let port = free_port();
    // WHEN emrflow local emr listens on localhost:PORT
    let mut child = emrflow_local_emr(&format!("localhost:{port}"), root.path())
        .stderr(Stdio::piped())
        .spawn()
        .expect("emrflow starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let serving = stderr
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains("local EMR on"))
        .unwrap_or_default();
    // THEN it says where it serves, and 127.0.0.1:PORT answers
    assert!(
        serving.contains(&format!("local EMR on http://127.0.0.1:{port}")),
        "{serving}"
    );
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    // AND it stops cleanly on SIGTERM
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "emrflow local emr did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    let said: Vec<String> = stderr.map_while(Result::ok).collect();
    assert_eq!(status.code(), Some(0), "{said:?}");
}

/// EMR's JSON 1.1 call over raw HTTP; returns the response body.
fn emr_call(port: u16, operation: &str, body: &str) -> serde_json::Value {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: local\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: ElasticMapReduce.{operation}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_default()
}

#[test]
fn provisioning_seconds_is_how_long_a_cluster_starts_and_bootstraps() {
    // GIVEN emrflow local emr with 1.2 seconds of provisioning
    let root = tempfile::tempdir().expect("root");
    let port = free_port();
    let mut command = emrflow_local_emr(&format!("127.0.0.1:{port}"), root.path());
    let mut child = command
        .args(["--provisioning-seconds", "1.2"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("emrflow starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    assert!(stderr
        .by_ref()
        .map_while(Result::ok)
        .any(|line| line.contains("local EMR on")));
    // WHEN a cluster is created
    let started = Instant::now();
    let created = emr_call(
        port,
        "RunJobFlow",
        r#"{"Name":"slow","Instances":{"KeepJobFlowAliveWhenNoSteps":true}}"#,
    );
    let cluster_id = created["JobFlowId"]
        .as_str()
        .expect("cluster id")
        .to_string();
    let state = || {
        emr_call(
            port,
            "DescribeCluster",
            &format!(r#"{{"ClusterId":"{cluster_id}"}}"#),
        )["Cluster"]["Status"]["State"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    // THEN it is STARTING, and WAITING only once the 1.2 seconds have passed
    assert_eq!(state(), "STARTING");
    while state() != "WAITING" {
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        started.elapsed() >= Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let _: Vec<String> = stderr.map_while(Result::ok).collect();
}

#[test]
fn negative_provisioning_seconds_are_refused() {
    // GIVEN a negative provisioning time WHEN served THEN refused in words
    let root = tempfile::tempdir().expect("root");
    let output = emrflow_local_emr("127.0.0.1:0", root.path())
        .args(["--provisioning-seconds=-1"])
        .output()
        .expect("emrflow runs");
    assert_ne!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--provisioning-seconds must be a number of seconds, 0 or more"),
        "{stderr}"
    );
}
