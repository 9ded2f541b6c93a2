//! Where a cluster's logs go and what is written there. While a step runs, its processes
//! write plain `controller`, `stderr` and `stdout` on the node, as EMR's do:
//! `<root>/logs/<cluster-id>/steps/<step-id>/` ([`Layout::live_step_log_dir`], public as
//! [`crate::live_step_log`]). When it ends they are gzipped where EMR puts them under a
//! LogUri, `<LogUri>/<cluster-id>/steps/<step-id>/{controller,stderr,stdout}.gz` ([`seal`]),
//! and the node's copies removed. Without a LogUri, EMR keeps only the node's plain logs; so
//! does the local EMR: they stay where they were written.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;
use emrflow_vocabulary::logs::{probable_cause, read_log, step_log_prefix, LogStream};
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

/// One step's logs: written on the node while it runs, sealed under the LogUri when it ends.
#[derive(Debug, Clone)]
pub(crate) struct StepLogs {
    /// Where its processes write, on this machine.
    pub dir: PathBuf,
    /// Under a LogUri: the folder on this machine where the logs are gzipped when it ends.
    sealed_dir: Option<PathBuf>,
    /// The folder as clients name it (ends with `/`).
    shown: String,
}

impl StepLogs {
    pub fn new(layout: &Layout, log_uri: Option<&str>, cluster_id: &str, step_id: &str) -> Self {
        let (base, gzipped) = log_base(layout, log_uri);
        let shown = step_log_prefix(&base, cluster_id, step_id);
        StepLogs {
            dir: layout.live_step_log_dir(cluster_id, step_id),
            sealed_dir: gzipped.then(|| layout.uri_to_path(&shown)),
            shown,
        }
    }

    /// The plain file a stream is written to while the step runs.
    pub fn path(&self, stream: LogStream) -> PathBuf {
        self.dir.join(stream.name())
    }

    /// A stream's log as clients find it once the step ended (FailureDetails.LogFile).
    pub fn uri(&self, stream: LogStream) -> String {
        let name = match self.sealed_dir {
            Some(_) => stream.file_name(),
            None => stream.name(),
        };
        format!("{}{name}", self.shown)
    }

    /// The step ended: under a LogUri its logs are gzipped into place, and the node's folder
    /// goes (the cluster's end removes the folders left empty above it).
    pub async fn seal(&self) {
        if let Some(sealed_dir) = &self.sealed_dir {
            if let Err(error) = fs::create_dir_all(sealed_dir) {
                tracing::warn!(%error, dir = %sealed_dir.display(), "could not make a step's log folder; its logs stay on the node");
                return;
            }
            seal(&self.dir, sealed_dir, &LogStream::ALL.map(LogStream::name)).await;
            let _ = fs::remove_dir(&self.dir);
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
            seal(&self.dir, &self.dir, &["stdout", "stderr"]).await;
        }
    }
}

/// Gzips each plain log of `dir` named in `names` into `<into>/<name>.gz`, then removes the
/// plain one (best effort: a log that cannot be sealed stays plain, and is said so).
async fn seal(dir: &Path, into: &Path, names: &[&str]) {
    for name in names {
        let plain = dir.join(name);
        if !plain.is_file() {
            continue;
        }
        let gz = into.join(format!("{name}.gz"));
        let sealed = tokio::task::spawn_blocking(move || gzip_into_place(&plain, &gz)).await;
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

fn gzip_into_place(plain: &Path, gz: &Path) -> std::io::Result<()> {
    let mut partial = gz.as_os_str().to_owned();
    partial.push(".partial");
    let mut encoder = GzEncoder::new(File::create(&partial)?, Compression::default());
    std::io::copy(&mut File::open(plain)?, &mut encoder)?;
    encoder.finish()?.flush()?;
    fs::rename(&partial, gz)?;
    fs::remove_file(plain)
}

/// Removes the folders under `dir` that hold no file, `dir` too if it ends up empty (what a
/// terminated cluster's node leaves once its logs went to the LogUri).
pub(crate) fn remove_empty_dirs(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                remove_empty_dirs(&entry.path());
            }
        }
    }
    let _ = fs::remove_dir(dir);
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

/// What a failed process's FailureDetails say: Message and the log LogFile names.
pub(crate) struct Explanation {
    /// The probable cause, else the last lines of stderr (else stdout); None when both are
    /// empty.
    pub message: Option<String>,
    /// Where the probable cause was found; stderr when none was.
    pub log: LogStream,
}

/// A failed process's explanation from its logs ([`probable_cause`]: the line that explains
/// the failure), else today's words: the logs' last lines.
pub(crate) fn explain_failure(stderr: &Path, stdout: &Path) -> Explanation {
    let read = |path: &Path| {
        fs::read(path)
            .map(|bytes| read_log(&bytes))
            .unwrap_or_default()
    };
    let (stderr, stdout) = (read(stderr), read(stdout));
    if let Some(cause) = probable_cause(&stderr, &stdout) {
        return Explanation {
            message: Some(cause.line),
            log: cause.stream,
        };
    }
    Explanation {
        message: [stderr, stdout]
            .iter()
            .map(|text| last_lines(text, 5))
            .find(|tail| !tail.is_empty()),
        log: LogStream::Stderr,
    }
}

/// The last `lines` non-blank lines of a log.
fn last_lines(text: &str, lines: usize) -> String {
    let kept: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    kept[kept.len().saturating_sub(lines)..].join("\n")
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
