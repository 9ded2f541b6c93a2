//! Where EMR writes a step's logs and how to read them: `<LogUri>/<cluster-id>/steps/<step-id>/`
//! holds `controller.gz`, `stderr.gz` and `stdout.gz` (EMR gzips the node's plain logs as it
//! uploads them, about every five minutes). Every reader in the project reads through
//! [`read_log`], or [`tail_log`] when only the end is wanted: it streams, so a huge log is
//! never held whole. Every explanation
//! of a failure comes from [`probable_cause`].

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;

/// The folder of one step's logs under the cluster's LogUri (ends with `/`).
pub fn step_log_prefix(log_uri: &str, cluster_id: &str, step_id: &str) -> String {
    format!(
        "{}/{cluster_id}/steps/{step_id}/",
        log_uri.trim_end_matches('/')
    )
}

/// One of a step's three logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogStream {
    /// What EMR's step runner did: the command, how it ended.
    Controller,
    Stderr,
    Stdout,
}

impl LogStream {
    pub const ALL: [LogStream; 3] = [LogStream::Controller, LogStream::Stderr, LogStream::Stdout];

    /// The plain file on the node while the step runs: `controller`, `stderr`, `stdout`.
    pub fn name(self) -> &'static str {
        match self {
            LogStream::Controller => "controller",
            LogStream::Stderr => "stderr",
            LogStream::Stdout => "stdout",
        }
    }

    /// The file under the LogUri: `controller.gz`, `stderr.gz`, `stdout.gz`.
    pub fn file_name(self) -> &'static str {
        match self {
            LogStream::Controller => "controller.gz",
            LogStream::Stderr => "stderr.gz",
            LogStream::Stdout => "stdout.gz",
        }
    }
}

/// One log of a step under the cluster's LogUri, e.g. `s3://logs/j-1/steps/s-2/stderr.gz`
/// (FailureDetails.LogFile names this one for stderr).
pub fn step_log_file(log_uri: &str, cluster_id: &str, step_id: &str, stream: LogStream) -> String {
    format!(
        "{}{}",
        step_log_prefix(log_uri, cluster_id, step_id),
        stream.file_name()
    )
}

/// A log's text: gunzipped when it is gzip (EMR's uploaded logs, possibly several gzip
/// members end to end), as it is otherwise (a node's plain log). Bytes that are not UTF-8
/// are replaced; a gzip stream that breaks off keeps what was read and says so.
pub fn read_log(bytes: &[u8]) -> String {
    const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
    if !bytes.starts_with(&GZIP_MAGIC) {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut text = Vec::new();
    let read = MultiGzDecoder::new(bytes).read_to_end(&mut text);
    let mut text = String::from_utf8_lossy(&text).into_owned();
    if let Err(error) = read {
        text.push_str(&format!(
            "\n[the rest of this log could not be decompressed: {error}]\n"
        ));
    }
    text
}

/// The end of a log: its last lines, and how many it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTail {
    /// The last lines (all of them when asked for 0), without their line ends.
    pub lines: Vec<String>,
    /// How many lines the whole log has.
    pub total_lines: usize,
}

impl LogTail {
    /// The number of the first line kept (1 for the whole log).
    pub fn first_line(&self) -> usize {
        self.total_lines - self.lines.len() + 1
    }
}

/// Longer lines are cut in a tail (a minified JSON line can be megabytes).
pub const TAIL_LINE_BYTES: usize = 4096;

/// The last `keep` lines of a log (0: every line), read as [`read_log`] reads it — gunzipped
/// when gzip, lines as `str::lines` splits them — but streamed: only the kept lines are held,
/// each cut to [`TAIL_LINE_BYTES`]. A gzip stream that breaks off keeps what was read and
/// says so in a last line.
pub fn tail_log(reader: impl Read, keep: usize) -> LogTail {
    const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
    let mut buffered = BufReader::new(reader);
    let gzip = buffered
        .fill_buf()
        .is_ok_and(|start| start.starts_with(&GZIP_MAGIC));
    let mut source: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::new(MultiGzDecoder::new(buffered)))
    } else {
        Box::new(buffered)
    };
    let mut tail = VecDeque::new();
    let mut total_lines = 0;
    let mut line = Vec::new();
    let mut push = |text: String, tail: &mut VecDeque<String>| {
        total_lines += 1;
        if keep > 0 && tail.len() == keep {
            tail.pop_front();
        }
        tail.push_back(text);
    };
    loop {
        line.clear();
        match read_line_capped(&mut source, &mut line) {
            Ok(0) => break,
            Ok(_) => push(line_text(&line), &mut tail),
            Err(error) => {
                if !line.is_empty() {
                    push(line_text(&line), &mut tail);
                }
                push(
                    format!("[the rest of this log could not be decompressed: {error}]"),
                    &mut tail,
                );
                break;
            }
        }
    }
    LogTail {
        lines: tail.into(),
        total_lines,
    }
}

/// Reads one line into `line` (at most [`TAIL_LINE_BYTES`] of it; the rest is skipped);
/// returns the bytes consumed, 0 at the end.
fn read_line_capped(source: &mut dyn BufRead, line: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut consumed = 0;
    loop {
        let available = source.fill_buf()?;
        if available.is_empty() {
            return Ok(consumed);
        }
        let (chunk, done) = match available.iter().position(|&byte| byte == b'\n') {
            Some(end) => (&available[..=end], true),
            None => (available, false),
        };
        let room = (TAIL_LINE_BYTES + 1).saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = chunk.len();
        source.consume(used);
        consumed += used;
        if done {
            return Ok(consumed);
        }
    }
}

/// A line's text without its line end, cut to [`TAIL_LINE_BYTES`] (saying so).
fn line_text(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > TAIL_LINE_BYTES {
        let kept = String::from_utf8_lossy(&line[..TAIL_LINE_BYTES]);
        return format!("{kept} … [line cut at {TAIL_LINE_BYTES} bytes]");
    }
    String::from_utf8_lossy(line).into_owned()
}

/// The line that explains a failure, and where it is: what mrjob calls the "probable cause
/// of failure". As JSON: `{"line": …, "stream": "stderr", "lineNumber": 5}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbableCause {
    /// The line, without its surrounding blanks.
    pub line: String,
    /// The log it is in: [`LogStream::Stderr`] or [`LogStream::Stdout`].
    #[serde(serialize_with = "stream_name")]
    pub stream: LogStream,
    /// Its line number in that log, from 1.
    pub line_number: usize,
}

fn stream_name<S: serde::Serializer>(stream: &LogStream, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(stream.name())
}

/// The line of a failed step's stderr or stdout that explains the failure, if one does:
/// a Python traceback's last line (`pyspark…AnalysisException: [UNRESOLVED_COLUMN…] …`,
/// `FileNotFoundError: …`); a Java or Scala exception (`Exception in thread "main" …`,
/// `…Exception: …`, `…Error: …`), the root `Caused by:` of a chain when it says more than the
/// wrapper; `Error: …`, `FAILED: …` and Spark's `[ERROR_CLASS] …` lines; an ERROR log line;
/// "No such file or directory", "command not found", "Permission denied". Never an INFO, WARN
/// or DEBUG log line, nor a stack frame. The better kind wins (in that order), then the later
/// line, then stderr.
pub fn probable_cause(stderr: &str, stdout: &str) -> Option<ProbableCause> {
    let in_stderr = cause_in(stderr).map(|(kind, index)| (kind, LogStream::Stderr, index, stderr));
    let in_stdout = cause_in(stdout).map(|(kind, index)| (kind, LogStream::Stdout, index, stdout));
    let best = match (in_stderr, in_stdout) {
        (Some(err), Some(out)) if out.0 < err.0 => Some(out),
        (Some(err), _) => Some(err),
        (None, out) => out,
    };
    best.and_then(|(_, stream, index, text)| {
        let line = text.lines().nth(index)?.trim().to_string();
        Some(ProbableCause {
            line,
            stream,
            line_number: index + 1,
        })
    })
}

/// What kind of explanation a line is; the first kinds explain best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cause {
    PythonException,
    Exception,
    ErrorLine,
    BareException,
    ErrorLog,
    MissingThing,
}

/// The best explanation in one log: its kind and line index (the last of the best kind).
fn cause_in(text: &str) -> Option<(Cause, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found: Vec<(Cause, usize)> = python_exception(&lines).into_iter().collect();
    found.extend(exception_chains(&lines));
    found.extend(
        lines
            .iter()
            .enumerate()
            .filter_map(|(index, line)| line_cause(line).map(|cause| (cause, index))),
    );
    found
        .into_iter()
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
}

/// The last Python traceback's exception line: the first line after `Traceback (most recent
/// call last):` that is not one of its (indented) frames.
fn python_exception(lines: &[&str]) -> Option<(Cause, usize)> {
    let start = lines
        .iter()
        .rposition(|line| line.trim_end() == "Traceback (most recent call last):")?;
    (start + 1..lines.len())
        .find(|&index| !lines[index].trim().is_empty() && !indented(lines[index]))
        .map(|index| (Cause::PythonException, index))
}

/// Each Java exception chain (a thrown exception and its `Caused by:` lines) at its best line:
/// the root cause when it has a message, else the first line that has one.
fn exception_chains(lines: &[&str]) -> Vec<(Cause, usize)> {
    let mut chains: Vec<Vec<(usize, bool)>> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if indented(line) || is_log_line(line) {
            continue;
        }
        let (caused_by, rest) = match line.strip_prefix("Caused by: ") {
            Some(rest) => (true, rest),
            None => (false, line.trim()),
        };
        let Some(has_message) = exception(rest) else {
            continue;
        };
        match chains.last_mut() {
            Some(chain) if caused_by => chain.push((index, has_message)),
            _ => chains.push(vec![(index, has_message)]),
        }
    }
    chains
        .iter()
        .filter_map(|chain| {
            let root = chain.last()?;
            let said = if root.1 {
                Some(root)
            } else {
                chain.iter().find(|link| link.1)
            };
            Some(match said {
                Some(&(index, _)) => (Cause::Exception, index),
                None => (Cause::BareException, root.0),
            })
        })
        .collect()
}

/// Whether `text` starts with a thrown exception (`Exception in thread "main" X: …`,
/// `a.b.SomeException: …`, `ValueError: …`), and if so whether it has a message.
fn exception(text: &str) -> Option<bool> {
    let text = match text.strip_prefix("Exception in thread \"") {
        Some(rest) => rest.split_once("\" ").map_or(rest, |(_, after)| after),
        None => text,
    };
    let (name, message) = match text.split_once(':') {
        Some((name, message)) => (name, message.trim()),
        None => (text.trim_end(), ""),
    };
    let is_class = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "._$".contains(c))
        && name.chars().next().is_some_and(|c| c.is_alphabetic())
        && ["Exception", "Error", "Failure", "Throwable"]
            .iter()
            .any(|suffix| name.ends_with(suffix));
    is_class.then_some(!message.is_empty())
}

/// What a single line explains, when it is not a frame, an exception or a quiet log line.
fn line_cause(line: &str) -> Option<Cause> {
    if indented(line) || line.trim().is_empty() {
        return None;
    }
    let line = line.trim();
    let level = log_level(line);
    if matches!(level, Some(Level::Quiet)) {
        return None;
    }
    const ERROR_PREFIXES: [&str; 6] = [
        "Error:",
        "ERROR:",
        "error:",
        "Error in query:",
        "FAILED:",
        "Fatal error:",
    ];
    if ERROR_PREFIXES.iter().any(|prefix| line.starts_with(prefix)) || is_error_class(line) {
        return Some(Cause::ErrorLine);
    }
    if level.is_some() {
        return Some(Cause::ErrorLog);
    }
    const MISSING: [&str; 4] = [
        "No such file or directory",
        "command not found",
        "Permission denied",
        "can't open file",
    ];
    MISSING
        .iter()
        .any(|words| line.contains(words))
        .then_some(Cause::MissingThing)
}

/// Spark's error class line: `[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column …`.
fn is_error_class(line: &str) -> bool {
    let Some((class, rest)) = line
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("] "))
    else {
        return false;
    };
    !rest.is_empty()
        && class.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && class
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

fn indented(line: &str) -> bool {
    line.starts_with([' ', '\t']) || line.trim_start().starts_with("... ")
}

enum Level {
    Quiet,
    Error,
}

/// A log line's level: log4j (`24/11/21 10:00:00 INFO Class: …`), Python logging
/// (`WARNING:root:…`), bracketed (`[INFO] …`) or JSON (`{"ts": …, "level": "INFO", …}`: every
/// JSON log line counts as quiet, its text being a record, not a sentence).
fn log_level(line: &str) -> Option<Level> {
    if line.starts_with('{') && line.contains("\"level\"") {
        return Some(Level::Quiet);
    }
    // The level comes first, or after a timestamp: `java.lang.X: INFO table…` is no log line.
    let timestamp = |token: &str| {
        token
            .chars()
            .all(|c| c.is_ascii_digit() || "/:-.,TZ+[]".contains(c))
    };
    let mut tokens = line.split_whitespace().take(4);
    let level = tokens.by_ref().find(|token| !timestamp(token))?;
    let level = level.trim_start_matches('[').split([':', ']']).next()?;
    match level {
        "INFO" | "WARN" | "WARNING" | "DEBUG" | "TRACE" | "NOTICE" => Some(Level::Quiet),
        "ERROR" | "FATAL" | "SEVERE" | "CRITICAL" => Some(Level::Error),
        _ => None,
    }
}

fn is_log_line(line: &str) -> bool {
    log_level(line.trim()).is_some()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::Compression;

    use super::*;

    fn gzip(text: &str) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn the_step_log_folder_is_under_the_cluster_and_step() {
        // GIVEN a LogUri with and without a trailing slash WHEN the folder is asked THEN one form
        for log_uri in ["s3://logs/emr", "s3://logs/emr/"] {
            assert_eq!(
                step_log_prefix(log_uri, "j-1", "s-2"),
                "s3://logs/emr/j-1/steps/s-2/"
            );
        }
    }

    #[test]
    fn each_stream_has_its_gzipped_file_under_the_step_folder() {
        // GIVEN each stream WHEN its file is asked THEN it is <prefix><name>.gz
        let files: Vec<String> = LogStream::ALL
            .iter()
            .map(|stream| step_log_file("s3://logs/emr/", "j-1", "s-2", *stream))
            .collect();
        assert_eq!(
            files,
            [
                "s3://logs/emr/j-1/steps/s-2/controller.gz",
                "s3://logs/emr/j-1/steps/s-2/stderr.gz",
                "s3://logs/emr/j-1/steps/s-2/stdout.gz"
            ]
        );
        assert_eq!(LogStream::Stderr.name(), "stderr");
    }

    #[test]
    fn a_log_is_read_gzipped_in_members_plain_or_broken_off() {
        // GIVEN a gzipped log, two gzip members end to end, a plain log and a truncated one
        let mut members = gzip("first\n");
        members.extend(gzip("second\n"));
        let whole = gzip(&"line\n".repeat(100));
        // WHEN read THEN the text, whatever the form
        assert_eq!(read_log(&gzip("hello\n")), "hello\n");
        assert_eq!(read_log(&members), "first\nsecond\n");
        assert_eq!(read_log(b"plain\n"), "plain\n");
        let broken = read_log(&whole[..whole.len() / 2]);
        assert!(broken.contains("could not be decompressed"), "{broken}");
    }

    #[test]
    fn a_tail_keeps_the_last_lines_of_a_gzipped_or_plain_log_and_counts_them_all() {
        // GIVEN a gzipped log of 100,000 lines in two members, and a plain one with CRLF
        let mut members = gzip(
            &(1..=50_000)
                .map(|n| format!("line {n}\n"))
                .collect::<String>(),
        );
        members.extend(gzip(
            &(50_001..=100_000)
                .map(|n| format!("line {n}\n"))
                .collect::<String>(),
        ));
        // WHEN their last 3 lines are asked
        let tail = tail_log(&members[..], 3);
        let plain = tail_log(&b"a\r\nb\r\nlast without end"[..], 2);
        // THEN only those, and the count of all of them, as str::lines counts
        assert_eq!(tail.lines, ["line 99998", "line 99999", "line 100000"]);
        assert_eq!((tail.total_lines, tail.first_line()), (100_000, 99_998));
        assert_eq!(plain.lines, ["b", "last without end"]);
        assert_eq!(plain.total_lines, 3);
        // AND 0 keeps everything
        assert_eq!(tail_log(&b"x\ny\n"[..], 0).lines, ["x", "y"]);
    }

    #[test]
    fn a_tail_cuts_a_huge_line_and_says_where_a_gzip_stream_broke_off() {
        // GIVEN one line of a megabyte, and a gzipped log cut in half
        let huge = format!("{}\nafter\n", "x".repeat(1 << 20));
        let whole = gzip(&"line\n".repeat(10_000));
        // WHEN tailed
        let tail = tail_log(huge.as_bytes(), 5);
        let broken = tail_log(&whole[..whole.len() / 2], 2);
        // THEN the huge line is cut to the limit, and the broken stream says so last
        assert!(
            tail.lines[0].len() < TAIL_LINE_BYTES + 100,
            "{}",
            tail.lines[0].len()
        );
        assert!(tail.lines[0].ends_with("[line cut at 4096 bytes]"));
        assert_eq!(tail.lines[1], "after");
        let last = broken.lines.last().expect("a line");
        assert!(last.contains("could not be decompressed"), "{last}");
    }
}
