//! Where EMR writes a step's logs and how to read them: `<LogUri>/<cluster-id>/steps/<step-id>/`
//! holds `controller.gz`, `stderr.gz` and `stdout.gz` (EMR gzips the node's plain logs as it
//! uploads them, about every five minutes). Every reader in the project reads through
//! [`read_log`], or [`tail_log`] when only the end is wanted: it streams, so a huge log is
//! never held whole.

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
        let mut members = gzip(&(1..=50_000).map(|n| format!("line {n}\n")).collect::<String>());
        members.extend(gzip(&(50_001..=100_000).map(|n| format!("line {n}\n")).collect::<String>()));
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
        assert!(tail.lines[0].len() < TAIL_LINE_BYTES + 100, "{}", tail.lines[0].len());
        assert!(tail.lines[0].ends_with("[line cut at 4096 bytes]"));
        assert_eq!(tail.lines[1], "after");
        let last = broken.lines.last().expect("a line");
        assert!(last.contains("could not be decompressed"), "{last}");
    }
}
