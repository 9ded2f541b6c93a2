//! `emrflow console` over plain HTTP, as a browser would ask it: the pages of recorded
//! runs, and every kind of bad input — an unknown execution, a corrupt record, a missing or
//! huge log, names with HTML in them, cross-site actions, a non-loopback address.

mod console_support;

use std::process::Command;

use chrono::Duration;
use console_support::*;
use emrflow_executions::fixtures::recorded::history_until_running;
use emrflow_executions::fixtures::{description, six_am};
use emrflow_executions::{ExecutionStatus, LocalRecorder, LocalRun};
use serde_json::json;

/// Two recorded runs: `retried` (succeeded at 06:00) and a corrupt one (three days before).
fn world() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("a scratch root");
    retried_run(root.path(), "retried", six_am());
    corrupt_run(root.path(), "corrupt");
    root
}

#[test]
fn the_runs_page_lists_runs_newest_first_and_filters_by_status_and_pipeline() {
    // GIVEN a retried run and, an hour later, another
    let root = world();
    retried_run(root.path(), "later", six_am() + Duration::hours(1));
    let console = Console::start(root.path(), &[]);
    // WHEN the runs page is asked, then filtered
    let all = console.get("/");
    let failed = console.get("/?status=FAILED");
    let by_pipeline = console.get("/?pipeline=daily-etl&status=");
    let bogus = console.get("/?status=DONE");
    // THEN newest first with pipeline, date and cluster; the filters keep what they say
    assert_eq!(all.status, 200, "{}", all.body);
    let later = all
        .body
        .find("data-execution=\"later\"")
        .expect("later listed");
    let retried = all
        .body
        .find("data-execution=\"retried\"")
        .expect("retried listed");
    assert!(later < retried);
    assert!(all.body.contains("daily-etl") && all.body.contains("2026-11-21"));
    assert!(all.body.contains("j-RECORDED0001"));
    assert!(
        !failed.body.contains("data-execution=\"retried\""),
        "{}",
        failed.body
    );
    assert!(by_pipeline.body.contains("data-execution=\"retried\""));
    assert_eq!(bogus.status, 400);
    assert!(bogus.body.contains("'DONE' is not an execution status"));
    // AND the corrupt record is a row that says so, not a broken page
    assert!(all.body.contains("record cannot be read"), "{}", all.body);
}

#[test]
fn a_run_page_has_the_graph_every_attempt_and_the_compact_path() {
    // GIVEN a run of the sample whose curate_orders was retried
    let root = world();
    let console = Console::start(root.path(), &[]);
    // WHEN its page is asked
    let page = console.get("/runs/retried");
    // THEN five coloured boxes with their arrows, six bars (one per attempt), the loop
    // shown once with its count, and no action buttons (read-only)
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.body.matches("<g class=\"node st-completed\"").count(),
        5,
        "{}",
        page.body
    );
    assert_eq!(page.body.matches("<rect class=\"bar ").count(), 6);
    assert!(page
        .body
        .contains("class=\"bar st-failed\" data-step=\"curate_orders\" data-attempt=\"1\""));
    assert_eq!(page.body.matches("<g class=\"edge").count(), 5);
    assert!(page.body.contains("× 6"), "the loop is counted");
    assert!(!page.body.contains("name=\"token\""));
    // AND the page is the console's own: its security headers, no other origin
    assert!(page
        .headers
        .contains("content-security-policy: default-src 'none'"));
    assert!(!page.body.contains("src=\"http"));
}

#[test]
fn an_unknown_execution_and_a_corrupt_record_are_pages_that_say_so() {
    // GIVEN the world WHEN an unknown and a corrupt execution are asked
    let root = world();
    let console = Console::start(root.path(), &[]);
    let unknown = console.get("/runs/nope");
    let corrupt = console.get("/runs/corrupt");
    let nowhere = console.get("/elsewhere");
    // THEN 404 pages in words, naming what to do or what is wrong
    assert_eq!(unknown.status, 404);
    assert!(
        unknown
            .body
            .contains("no local execution named &#39;nope&#39;")
            || unknown.body.contains("no local execution named 'nope'"),
        "{}",
        unknown.body
    );
    assert_eq!(corrupt.status, 404);
    assert!(corrupt.body.contains("is not readable"), "{}", corrupt.body);
    assert_eq!(nowhere.status, 404);
}

#[test]
fn names_and_logs_with_html_are_shown_as_text() {
    // GIVEN a failed run whose step and stderr are markup, and a rejected one whose name,
    // input and cause are
    let root = world();
    tricky_run(root.path(), six_am() + Duration::hours(2));
    rejected_run(root.path(), six_am() + Duration::hours(3));
    let console = Console::start(root.path(), &[]);
    // WHEN the runs page and the runs' pages are asked
    let runs = console.get("/");
    let page = console.get(&format!("/runs/{}", encode(TRICKY_NAME)));
    let rejected = console.get(&format!("/runs/{}", encode(MARKUP_NAME)));
    // THEN every one is escaped: no tag of theirs reaches the page
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    for body in [&runs.body, &page.body, &rejected.body] {
        assert!(!body.contains("<img src=x"), "{body}");
        assert!(!body.contains("<script>window"), "{body}");
        assert!(!body.contains("<b onmouseover"), "{body}");
        assert!(!body.contains("<svg onload"), "{body}");
    }
    assert!(rejected
        .body
        .contains("run-&lt;img src=x onerror=window.pwned=1&gt;"));
    assert!(
        rejected
            .body
            .contains("the input or the pipeline spec was refused"),
        "the probable cause of InvalidInput"
    );
    assert!(page
        .body
        .contains("&lt;script&gt;window.pwned=2&lt;/script&gt;"));
    assert!(
        page.body
            .contains("&lt;b onmouseover=window.pwned=3&gt;bold&lt;/b&gt;"),
        "the failed step's stderr comes with the page"
    );
}

#[test]
fn a_huge_log_is_tailed_and_a_missing_one_is_said_not_there_yet() {
    // GIVEN curate_orders' first attempt with a stderr of a million lines, and no stdout
    let root = world();
    let location = log_folder("s-R1000045120");
    let text: String = (1..=1_000_000)
        .map(|n| format!("line {n} of the log\n"))
        .collect();
    write_log(root.path(), &location, "stderr.gz", &text);
    let console = Console::start(root.path(), &[]);
    // WHEN the step's logs are asked
    let stderr = console.get("/runs/retried/log?step=curate_orders&attempt=1&stream=stderr");
    let stdout = console.get("/runs/retried/log?step=curate_orders&attempt=1&stream=stdout");
    let download =
        console.get("/runs/retried/log?step=curate_orders&attempt=1&stream=stderr&download=1");
    let bad = console.get("/runs/retried/log?step=curate_orders&attempt=9&stream=stderr");
    // THEN the last 200 lines only, the count of all; a missing log says why; the whole
    // file downloads as stored
    assert_eq!(stderr.status, 200, "{}", stderr.body);
    assert!(
        stderr.body.contains("last 200 of 1000000 lines"),
        "{}",
        &stderr.body[..200.min(stderr.body.len())]
    );
    assert!(stderr.body.contains("line 1000000 of the log"));
    assert!(!stderr.body.contains("line 999800 of the log"));
    assert!(stderr.body.len() < 20_000, "{} bytes", stderr.body.len());
    assert!(stdout.body.contains("is not there yet"), "{}", stdout.body);
    assert!(
        download.headers.contains("content-type: application/gzip"),
        "{}",
        download.headers
    );
    assert!(download
        .headers
        .contains("attachment; filename=\"retried-curate_orders-1-stderr.gz\""));
    assert_eq!(bad.status, 404);
}

#[test]
fn actions_exist_only_when_allowed_and_only_from_the_consoles_own_pages() {
    // GIVEN a running local execution (no local run process behind it)
    let root = world();
    let input = json!({"ProcessingDate": "2026-11-21", "Pipeline": sample_pipeline()});
    let recorder = LocalRecorder::create(
        root.path(),
        description("live", ExecutionStatus::Running, six_am(), &input),
        LocalRun::default(),
    )
    .expect("recorder");
    for event in history_until_running(&input, "live", six_am(), 1).running() {
        recorder.event(event);
    }
    let read_only = Console::start(root.path(), &[]);
    let console = Console::start(root.path(), &["--allow-actions"]);
    let page = console.get("/runs/live");
    let token = page
        .body
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a token in the page")
        .to_string();
    let origin = console.base.clone();
    let form = format!("token={token}");
    // WHEN stop is posted: read-only; without Origin; from another site; with a wrong
    // token; from another Host; then from the page itself
    let off = read_only.request(
        "POST",
        "/runs/live/stop",
        &[("Origin", read_only.base.as_str())],
        &form,
    );
    let no_origin = console.request("POST", "/runs/live/stop", &[], &form);
    let other_site = console.request(
        "POST",
        "/runs/live/stop",
        &[("Origin", "https://evil.example")],
        &form,
    );
    let wrong_token = console.request(
        "POST",
        "/runs/live/stop",
        &[("Origin", origin.as_str())],
        "token=0000",
    );
    let rebound = http(
        console.host(),
        "POST",
        "/runs/live/stop",
        &[("Host", "evil.example"), ("Origin", "http://evil.example")],
        &form,
    );
    let stopped = console.request(
        "POST",
        "/runs/live/stop",
        &[("Origin", origin.as_str())],
        &form,
    );
    let get_stop = console.get("/runs/live/stop");
    // THEN only the last is acted on (and, with no local run behind it, says how to stop one)
    assert!(
        !read_only.get("/runs/live").body.contains("Stop"),
        "no buttons when read-only"
    );
    assert_eq!(off.status, 403);
    assert!(off.body.contains("--allow-actions"));
    assert_eq!(no_origin.status, 403);
    assert_eq!(other_site.status, 403);
    assert_eq!(wrong_token.status, 403);
    assert!(wrong_token.body.contains("token"));
    assert_eq!(rebound.status, 421);
    assert_eq!(stopped.status, 200, "{}", stopped.body);
    assert!(stopped.body.contains("Ctrl-C"), "{}", stopped.body);
    assert_eq!(get_stop.status, 405);
}

#[test]
fn a_pipeline_page_has_its_graph_recent_runs_and_places_for_schedule_and_cost() {
    // GIVEN the world WHEN the sample's page and an unknown pipeline's are asked
    let root = world();
    let console = Console::start(root.path(), &[]);
    let page = console.get("/pipelines/daily-etl");
    let unknown = console.get("/pipelines/nothing");
    // THEN the graph without states, its runs, and the two sections to fill later
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body.matches("<g class=\"node st-waiting\"").count(), 5);
    assert!(page.body.contains("data-execution=\"retried\""));
    assert!(page.body.contains("id=\"schedule\"") && page.body.contains("id=\"cost\""));
    assert_eq!(unknown.status, 404);
}

#[test]
fn a_run_of_256_steps_has_a_box_and_a_bar_for_each() {
    // GIVEN a pipeline of 256 steps in 16 chains, each step with two attempts
    let root = tempfile::tempdir().expect("a scratch root");
    emrflow_executions::fixtures::recorded::record_wide_run(root.path(), "wide", six_am(), 256);
    let console = Console::start(root.path(), &[]);
    // WHEN its page is asked
    let page = console.get("/runs/wide");
    // THEN every step is a box and every attempt a bar
    assert_eq!(
        page.status,
        200,
        "{}",
        &page.body[..page.body.len().min(2000)]
    );
    assert_eq!(page.body.matches("<g class=\"node ").count(), 256);
    assert_eq!(page.body.matches("<rect class=\"bar ").count(), 512);
}

#[test]
fn the_console_refuses_an_address_beyond_loopback() {
    // GIVEN every interface as the address WHEN the console is started THEN it refuses, why
    let output = Command::new(env!("CARGO_BIN_EXE_emrflow"))
        .args(["console", "--local", "--host", "0.0.0.0", "--port", "0"])
        .output()
        .expect("emrflow console");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("only on loopback"), "{stderr}");
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
