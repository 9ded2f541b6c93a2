//! Where EMR writes a step's logs and how to read them: `<LogUri>/<cluster-id>/steps/<step-id>/`
//! holds `controller.gz`, `stderr.gz` and `stdout.gz` (EMR gzips the node's plain logs as it
//! uploads them, about every five minutes). Every reader in the project reads through
//! [`read_log`].

use std::io::Read;

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
}
