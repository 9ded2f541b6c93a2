//! `emrflow local emr` listens on loopback only: the endpoint has no authentication and runs
//! Command and Script steps, so any other address is refused before anything listens.

use std::io::{BufRead, BufReader};
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
