//! `emrflow console` in a real browser: headless Chromium (Debian's chromium and
//! chromium-driver, `make browser-tools`) driven over WebDriver, one session for every
//! check, on a real failed run of the sample and on recorded runs. It checks what a person
//! sees: the graph's boxes in their state colours, one Gantt bar per attempt, the failed
//! step's log text, a live run changing without a reload, markup in names staying text, and
//! no error in the browser's console.
//!
//! With EMRFLOW_SCREENSHOTS=DIR it also writes the pages as PNG (`make screenshots`).

mod console_support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use console_support::*;
use emrflow_core::emr::{PipelineStepState, StepState};
use emrflow_executions::fixtures::recorded::{attempt, final_check, history_until_running, step};
use emrflow_executions::fixtures::{description, six_am};
use emrflow_executions::record::CHECK_STEPS;
use emrflow_executions::{ExecutionStatus, LocalRecorder, LocalRun, StepView};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const CHROMEDRIVER: &str = "chromedriver";
/// The colours of the graph's boxes (console.css), as the browser computes them.
const FAILED_FILL: &str = "rgb(249, 112, 102)";
const COMPLETED_FILL: &str = "rgb(108, 233, 166)";
const RUNNING_FILL: &str = "rgb(132, 202, 255)";
const NOT_RUN_FILL: &str = "rgb(242, 244, 247)";

/// chromedriver on a free loopback port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("{CHROMEDRIVER} does not start ({error}): install Chromium and its driver with `make browser-tools` (Debian: apt-get install chromium chromium-driver)")
            });
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{CHROMEDRIVER} did not listen within 20 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({"args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1400,1000", format!("--user-data-dir={}", profile.display())
        ]}),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session over WebDriver")
}

/// chromedriver's browser log since the last call (its Selenium-compatible endpoint).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(r#"{"type": "browser"}"#.to_string()),
        )
    }
}

/// The errors the page met: the browser's SEVERE log entries and what the console's script
/// caught.
async fn page_errors(client: &Client) -> Vec<String> {
    let mut errors: Vec<String> = client
        .issue_cmd(BrowserLog)
        .await
        .ok()
        .and_then(|log| log.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter(|entry| entry["level"] == "SEVERE")
        .map(|entry| entry["message"].to_string())
        .collect();
    let caught = client
        .execute(
            "return window.emrflowErrors || ['the console script did not run'];",
            vec![],
        )
        .await
        .expect("script");
    errors.extend(
        caught
            .as_array()
            .into_iter()
            .flatten()
            .map(Value::to_string),
    );
    errors
}

async fn script(client: &Client, code: &str) -> Value {
    client
        .execute(code, vec![])
        .await
        .unwrap_or_else(|error| panic!("{code}: {error}"))
}

async fn fill_of(client: &Client, step: &str) -> String {
    let code = format!(
        "return getComputedStyle(document.querySelector('g.node[data-step=\"{step}\"] rect')).fill;"
    );
    script(client, &code)
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn screenshot(client: &Client, name: &str, height: u32) {
    let Some(dir) = std::env::var_os("EMRFLOW_SCREENSHOTS") else {
        return;
    };
    client
        .set_window_size(1400, height)
        .await
        .expect("window size");
    let png = client.screenshot().await.expect("a screenshot");
    let path = PathBuf::from(dir).join(format!("console-{name}.png"));
    std::fs::write(&path, png).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    client
        .set_window_size(1400, 1000)
        .await
        .expect("window size");
}

/// A running recorded run: validate_raw done, curate_orders and daily_stats running.
fn live_steps(done: bool) -> Vec<StepView> {
    let start = six_am() + chrono::Duration::hours(3);
    let state = |done| {
        if done {
            StepState::Completed
        } else {
            StepState::Running
        }
    };
    let end = |at| done.then_some(at);
    [
        step(
            "validate_raw",
            PipelineStepState::Completed,
            vec![attempt(1, StepState::Completed, 2, Some(10), start)],
        ),
        step(
            "curate_orders",
            state(done).into(),
            vec![attempt(1, state(done), 12, end(60), start)],
        ),
        step(
            "daily_stats",
            state(done).into(),
            vec![attempt(1, state(done), 12, end(50), start)],
        ),
    ]
    .iter()
    .map(StepView::from)
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_sees_the_pipeline_its_attempts_its_failure_and_a_live_run_in_chromium() {
    // GIVEN a real failed run of the sample, a recorded retried run, a run whose names are
    // markup, and a run still going on
    let root = tempfile::tempdir().expect("a scratch root");
    let failed = real_failed_run(root.path());
    retried_run(root.path(), "retried", six_am());
    tricky_run(root.path(), six_am() + chrono::Duration::hours(1));
    rejected_run(root.path(), six_am() + chrono::Duration::hours(2));
    let live_start = six_am() + chrono::Duration::hours(3);
    let input = json!({"ProcessingDate": "2026-11-21", "Pipeline": sample_pipeline()});
    let recorder = LocalRecorder::create(
        root.path(),
        description("live", ExecutionStatus::Running, live_start, &input),
        LocalRun::default(),
    )
    .expect("recorder");
    let so_far = history_until_running(&input, "live", live_start, 2)
        .running()
        .len();
    let whole = history_until_running(&input, "live", live_start, 2)
        .task(CHECK_STEPS, "check-steps", &final_check(&[]))
        .succeeded(&json!({}));
    for event in &whole[..so_far] {
        recorder.event(event.clone());
    }
    recorder.steps(&live_steps(false));
    let console = Console::start(root.path(), &[]);
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("a browser profile");
    let client = browser(&driver, profile.path()).await;

    // WHEN the runs page is opened THEN every run is listed, the newest first
    client
        .goto(&format!("{}/", console.base))
        .await
        .expect("the runs page");
    let rows = client
        .find_all(Locator::Css("table.runs tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 5);
    let first = rows[0].attr("data-execution").await.expect("attr");
    assert_eq!(
        first.as_deref(),
        Some(failed.as_str()),
        "the real run is the newest"
    );
    assert_eq!(
        page_errors(&client).await,
        Vec::<String>::new(),
        "the runs page"
    );
    screenshot(&client, "runs", 700).await;

    // WHEN the failed run's page is opened
    client
        .goto(&format!("{}/runs/{failed}", console.base))
        .await
        .expect("the run page");
    // THEN five boxes: validate_raw red, run_report green, the three it stopped not run
    let nodes = client
        .find_all(Locator::Css("svg.graph g.node"))
        .await
        .expect("nodes");
    assert_eq!(nodes.len(), 5);
    assert_eq!(fill_of(&client, "validate_raw").await, FAILED_FILL);
    assert_eq!(fill_of(&client, "run_report").await, COMPLETED_FILL);
    for skipped in ["curate_orders", "daily_stats", "publish"] {
        assert_eq!(fill_of(&client, skipped).await, NOT_RUN_FILL, "{skipped}");
    }
    // AND one Gantt bar per attempt (two steps ran once each)
    let bars = client
        .find_all(Locator::Css("svg.gantt rect.bar"))
        .await
        .expect("bars");
    assert_eq!(bars.len(), 2);
    // AND the failed step's stderr is on the page, the error and its probable cause above
    let log = client
        .find(Locator::Css("details[data-step=\"validate_raw\"] .log pre"))
        .await
        .expect("the failed step's log");
    let text = log.text().await.expect("log text");
    assert!(
        text.contains("the day's raw data has not arrived"),
        "{text}"
    );
    let panel = client
        .find(Locator::Css(".failure-panel"))
        .await
        .expect("the failure")
        .text()
        .await
        .expect("text");
    assert!(
        panel.contains("StepFailed") && panel.contains("probable cause"),
        "{panel}"
    );
    // AND the path is compact: the loop's rounds folded, so fewer lines than states entered
    let history = std::fs::read_to_string(
        root.path()
            .join("executions")
            .join(&failed)
            .join("history.jsonl"),
    )
    .expect("the history");
    let entered = history
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a JSON event"))
        .filter(|event| event.get("stateEnteredEventDetails").is_some())
        .count();
    let path = client
        .find_all(Locator::Css("ol.path li"))
        .await
        .expect("path")
        .len();
    assert!(path < entered, "{path} lines for {entered} states entered");
    assert!(
        client.find(Locator::Css("ol.path .times")).await.is_ok(),
        "a loop is counted"
    );
    assert_eq!(
        page_errors(&client).await,
        Vec::<String>::new(),
        "the failed run's page"
    );
    screenshot(&client, "run-failed", 1500).await;

    // WHEN the retried run's page is opened THEN a bar per attempt, two for curate_orders
    client
        .goto(&format!("{}/runs/retried", console.base))
        .await
        .expect("the run page");
    assert_eq!(
        client
            .find_all(Locator::Css("svg.gantt rect.bar"))
            .await
            .expect("bars")
            .len(),
        6
    );
    assert_eq!(
        client
            .find_all(Locator::Css(
                "svg.gantt rect.bar[data-step=\"curate_orders\"]"
            ))
            .await
            .expect("bars")
            .len(),
        2
    );
    assert_eq!(
        client
            .find_all(Locator::Css(
                "g.node[data-step=\"curate_orders\"] circle.attempt"
            ))
            .await
            .expect("dots")
            .len(),
        2
    );
    // AND opening a step loads its log without an error
    client
        .find(Locator::Css("details[data-step=\"publish\"] summary"))
        .await
        .expect("a step")
        .click()
        .await
        .expect("opened");
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(
            "details[data-step=\"publish\"] .log-body.loaded",
        ))
        .await
        .expect("the log part loads");
    assert_eq!(
        page_errors(&client).await,
        Vec::<String>::new(),
        "the retried run's page"
    );
    screenshot(&client, "run-retried", 1500).await;

    // WHEN the live run's page is open and the run goes on to its end
    client
        .goto(&format!("{}/runs/live", console.base))
        .await
        .expect("the live page");
    let loaded_at = script(&client, "return window.emrflowLoadedAt;").await;
    assert_eq!(fill_of(&client, "curate_orders").await, RUNNING_FILL);
    recorder.steps(&live_steps(true));
    for event in &whole[so_far..] {
        recorder.event(event.clone());
    }
    let mut ended = description("live", ExecutionStatus::Succeeded, live_start, &input);
    ended.stop_date = Some(live_start + chrono::Duration::minutes(2));
    recorder.finish(ended);
    // THEN the page shows it SUCCEEDED and the box completed, without a reload
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = script(
            &client,
            "return document.querySelector('.run-head [data-status]').dataset.status;",
        )
        .await;
        if status == "SUCCEEDED" {
            break;
        }
        assert!(Instant::now() < deadline, "still {status} after 20 s");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(fill_of(&client, "curate_orders").await, COMPLETED_FILL);
    assert_eq!(
        script(&client, "return window.emrflowLoadedAt;").await,
        loaded_at,
        "the page was reloaded"
    );
    assert_eq!(
        page_errors(&client).await,
        Vec::<String>::new(),
        "the live page"
    );

    // WHEN the runs whose names, causes and logs are markup are opened THEN they are text,
    // nothing of theirs ran
    for name in [TRICKY_NAME, MARKUP_NAME] {
        let path = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
        client
            .goto(&format!("{}/runs/{path}", console.base))
            .await
            .expect("the page");
        let injected = script(&client, "return [typeof window.pwned, document.querySelectorAll('main img, main script, main b, main svg:not(.graph):not(.gantt)').length];").await;
        assert_eq!(injected, json!(["undefined", 0]), "{name}");
        let heading = client
            .find(Locator::Css("h1"))
            .await
            .expect("h1")
            .text()
            .await
            .expect("text");
        assert!(heading.contains(name), "{heading}");
        assert_eq!(page_errors(&client).await, Vec::<String>::new(), "{name}");
    }

    // WHEN an unknown run is opened THEN a page says so
    client
        .goto(&format!("{}/runs/nope", console.base))
        .await
        .expect("a page");
    let message = client
        .find(Locator::Css(".problem .message"))
        .await
        .expect("a message")
        .text()
        .await
        .expect("text");
    assert!(
        message.contains("no local execution named 'nope'"),
        "{message}"
    );

    client.close().await.expect("the session ends");
}
