//! Where a cluster's logs go and what is written there. Under a LogUri, as EMR lays them:
//! `<LogUri>/<cluster-id>/steps/<step-id>/{controller,stderr,stdout}.gz` — the processes
//! write plain files while they run (as on EMR's node), gzipped into place when the step
//! ends ([`seal`]). Without a LogUri, EMR keeps only the node's plain logs; so does the
//! local EMR, under `<root>/logs/`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;
use emrflow_vocabulary::logs::{step_log_prefix, LogStream};
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::exec::{shell_quote, Layout};

/// Where a cluster's logs go, as shown to clients: its LogUri, or `<root>/logs` (a local
/// path) without one. True when under a LogUri (logs are then gzipped).
fn log_base(layout: &Layout, log_uri: Option<&str>) -> (String, bool) {
    match log_uri {
        Some(uri) => (uri.to_string(), true),
        None => (layout.root.join("logs").display().to_string(), false),
    }
}

/// One step's log folder: `<base>/<cluster-id>/steps/<step-id>/`.
#[derive(Debug, Clone)]
pub(crate) struct StepLogs {
    /// The folder on this machine.
    pub dir: PathBuf,
    /// The folder as clients name it (ends with `/`).
    shown: String,
    gzipped: bool,
}

impl StepLogs {
    pub fn new(layout: &Layout, log_uri: Option<&str>, cluster_id: &str, step_id: &str) -> Self {
        let (base, gzipped) = log_base(layout, log_uri);
        let shown = step_log_prefix(&base, cluster_id, step_id);
        StepLogs {
            dir: layout.uri_to_path(&shown),
            shown,
            gzipped,
        }
    }

    /// The plain file a stream is written to while the step runs.
    pub fn path(&self, stream: LogStream) -> PathBuf {
        self.dir.join(stream.name())
    }

    /// A stream's log as clients find it once the step ended (FailureDetails.LogFile).
    pub fn uri(&self, stream: LogStream) -> String {
        let name = if self.gzipped {
            stream.file_name()
        } else {
            stream.name()
        };
        format!("{}{name}", self.shown)
    }

    /// The step ended: its logs go into place.
    pub async fn seal(&self) {
        if self.gzipped {
            seal(&self.dir, &LogStream::ALL.map(LogStream::name)).await;
        }
    }
}

/// A bootstrap action's logs: `<base>/<cluster-id>/node/local/bootstrap-actions/<n>/`.
pub(crate) struct BootstrapLogs {
    pub dir: PathBuf,
    gzipped: bool,
}

impl BootstrapLogs {
    pub fn new(layout: &Layout, log_uri: Option<&str>, cluster_id: &str, number: usize) -> Self {
        let (base, gzipped) = log_base(layout, log_uri);
        let dir = layout
            .uri_to_path(base.trim_end_matches('/'))
            .join(cluster_id)
            .join("node")
            .join("local")
            .join("bootstrap-actions")
            .join(number.to_string());
        BootstrapLogs { dir, gzipped }
    }

    pub async fn seal(&self) {
        if self.gzipped {
            seal(&self.dir, &["stdout", "stderr"]).await;
        }
    }
}

/// Gzips each plain log of `dir` named in `names` into `<name>.gz`, then removes the plain
/// one (best effort: a log that cannot be sealed stays plain, and is said so).
async fn seal(dir: &Path, names: &[&str]) {
    for name in names {
        let plain = dir.join(name);
        if !plain.is_file() {
            continue;
        }
        let sealed = tokio::task::spawn_blocking(move || gzip_into_place(&plain)).await;
        match sealed {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::warn!(%error, log = %name, "could not gzip a step log; it stays plain")
            }
            Err(error) => {
                tracing::warn!(%error, log = %name, "could not gzip a step log; it stays plain")
            }
        }
    }
}

fn gzip_into_place(plain: &Path) -> std::io::Result<()> {
    let mut gz = plain.as_os_str().to_owned();
    gz.push(".gz");
    let mut partial = gz.clone();
    partial.push(".partial");
    let mut encoder = GzEncoder::new(File::create(&partial)?, Compression::default());
    std::io::copy(&mut File::open(plain)?, &mut encoder)?;
    encoder.finish()?.flush()?;
    fs::rename(&partial, &gz)?;
    fs::remove_file(plain)
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
