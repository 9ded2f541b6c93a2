//! Where a cluster's logs go and what is written there: EMR's layout under the LogUri
//! (`emrflow_vocabulary::logs`), each step's controller log, and the end of a log that
//! becomes FailureDetails.Message.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;
use emrflow_vocabulary::logs::step_log_prefix;

use crate::exec::{shell_quote, Layout};

/// Where a cluster's logs go, as shown to clients: its LogUri, or `<root>/logs` (a local
/// path) without one.
pub(crate) fn log_base(layout: &Layout, log_uri: Option<&str>) -> String {
    match log_uri {
        Some(uri) => uri.to_string(),
        None => layout.root.join("logs").display().to_string(),
    }
}

/// One step's log folder: `<base>/<cluster-id>/steps/<step-id>/`.
#[derive(Debug, Clone)]
pub(crate) struct StepLogs {
    /// The folder on this machine.
    pub dir: PathBuf,
    /// The folder as clients name it (ends with `/`).
    shown: String,
}

impl StepLogs {
    pub fn new(layout: &Layout, base: &str, cluster_id: &str, step_id: &str) -> Self {
        let shown = step_log_prefix(base, cluster_id, step_id);
        StepLogs {
            dir: layout.uri_to_path(&shown),
            shown,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A file of the folder as clients name it (FailureDetails.LogFile).
    pub fn uri(&self, name: &str) -> String {
        format!("{}{name}", self.shown)
    }
}

/// `<base>/<cluster-id>/node/local/bootstrap-actions/<number>/` on this machine.
pub(crate) fn bootstrap_log_dir(
    layout: &Layout,
    base: &str,
    cluster_id: &str,
    number: usize,
) -> PathBuf {
    layout
        .uri_to_path(base.trim_end_matches('/'))
        .join(cluster_id)
        .join("node")
        .join("local")
        .join("bootstrap-actions")
        .join(number.to_string())
}

/// Appends timestamped lines to the step's controller log (best effort: a log that
/// cannot be written must not fail the step).
pub(crate) struct ControllerLog(Option<fs::File>);

impl ControllerLog {
    pub fn open(path: &Path) -> Self {
        ControllerLog(OpenOptions::new().create(true).append(true).open(path).ok())
    }

    pub fn line(&mut self, text: &str) {
        if let Some(file) = &mut self.0 {
            let _ = writeln!(
                file,
                "{} INFO {text}",
                Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ")
            );
        }
    }
}

/// The last `lines` non-blank lines of a log file.
fn tail_lines(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let kept: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    kept[kept.len().saturating_sub(lines)..].join("\n")
}

/// The end of stderr, else of stdout; None when both are empty.
pub(crate) fn log_tail(stderr: &Path, stdout: &Path) -> Option<String> {
    [stderr, stdout]
        .into_iter()
        .map(|log| tail_lines(log, 5))
        .find(|tail| !tail.is_empty())
}

/// FailureDetails.Message: the end of stderr, else of stdout, else the reason itself.
pub(crate) fn failure_message(stderr: &Path, stdout: &Path, reason: &str) -> String {
    log_tail(stderr, stdout).unwrap_or_else(|| reason.to_string())
}

/// Words as a person would type them in a shell: quoted only where needed.
pub(crate) fn display_words(words: &[String]) -> String {
    let plain = |word: &str| {
        !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+[]".contains(c))
    };
    words
        .iter()
        .map(|word| {
            if plain(word) {
                word.clone()
            } else {
                shell_quote(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
