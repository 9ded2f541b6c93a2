//! Why a step failed, in its own logs: the line that explains it (mrjob's "probable cause of
//! failure", the project's one rule: [`probable_cause`]) — a Python traceback's last line,
//! `…Exception: …`, `Error: …`, a file that does not exist — looked for in stderr and stdout,
//! with where it was found. `show` puts it
//! under the execution's cause, `logs` above the log it shows. On AWS the logs reach S3 a
//! few minutes after the step ends: until then, that is what is said.

use emrflow_vocabulary::logs::{probable_cause, read_log, LogStream, ProbableCause};
use serde::Serialize;

use super::LogStore;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "found")]
pub enum Explanation {
    /// The probable cause, in the log at `uri`.
    #[serde(rename = "yes")]
    Found { cause: ProbableCause, uri: String },
    /// The logs are there, and no line of them explains it.
    #[serde(rename = "no")]
    NotFound,
    /// Neither stderr nor stdout is in the step's log folder yet.
    #[serde(rename = "notYet")]
    NotYet { folder: String },
}

impl Explanation {
    /// In words, for `show` and `logs`.
    pub fn text(&self) -> String {
        match self {
            Explanation::Found { cause, uri } => format!(
                "probable cause, {} line {} ({uri}): {}",
                cause.stream.name(),
                cause.line_number,
                cause.line
            ),
            Explanation::NotFound => {
                "no line of the step's stderr or stdout names the cause".to_string()
            }
            Explanation::NotYet { folder } => format!(
                "the step's logs are not in {folder} yet: EMR uploads them a few minutes after the step ends"
            ),
        }
    }
}

/// Reads the stderr and stdout under a step's log folder (`…/steps/<step-id>/`) — but for a
/// stream already read (`known`) — and finds the probable cause there.
pub async fn explain(
    logs: &dyn LogStore,
    folder: &str,
    known: Option<(LogStream, &[u8])>,
) -> Result<Explanation, String> {
    let uri = |stream: LogStream| format!("{folder}{}", stream.file_name());
    let read = |stream: LogStream| {
        let uri = uri(stream);
        async move {
            match known {
                Some((read, bytes)) if read == stream => Ok(Some(bytes.to_vec())),
                _ => logs.read(&uri).await,
            }
        }
    };
    let stderr = read(LogStream::Stderr).await?;
    let stdout = read(LogStream::Stdout).await?;
    if stderr.is_none() && stdout.is_none() {
        return Ok(Explanation::NotYet {
            folder: folder.to_string(),
        });
    }
    let text = |bytes: Option<Vec<u8>>| bytes.map(|bytes| read_log(&bytes)).unwrap_or_default();
    Ok(match probable_cause(&text(stderr), &text(stdout)) {
        Some(cause) => Explanation::Found {
            uri: uri(cause.stream),
            cause,
        },
        None => Explanation::NotFound,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pyspark_failure_is_the_tracebacks_last_line_in_stdout_not_sparks_info_lines() {
        // GIVEN Spark's INFO lines in stderr and the Python traceback in stdout
        let stderr = "25/11/23 13:01:16 INFO SparkContext: Successfully stopped SparkContext\n25/11/23 13:01:16 INFO ShutdownHookManager: Shutdown hook called\n";
        let stdout = "reading raw\nTraceback (most recent call last):\n  File \"/jobs/curate.py\", line 12, in <module>\n    df.select(\"nope\")\npyspark.errors.exceptions.captured.AnalysisException: [UNRESOLVED_COLUMN] A column `nope` cannot be resolved.\n";
        // WHEN the probable cause is looked for
        let cause = probable_cause(stderr, stdout).expect("found");
        // THEN the exception line, in stdout, at its line number
        assert!(
            cause.line.starts_with(
                "pyspark.errors.exceptions.captured.AnalysisException: [UNRESOLVED_COLUMN]"
            ),
            "{cause:?}"
        );
        assert_eq!((cause.stream, cause.line_number), (LogStream::Stdout, 5));
    }

    #[test]
    fn java_exceptions_errors_and_missing_files_are_found_in_that_order() {
        // GIVEN a Java exception, an `Error:` line and a missing file
        let java = "WARN something\nException in thread \"main\" java.io.FileNotFoundException: s3:/bucket/x (No such file or directory)\n\tat Foo.bar(Foo.java:1)\n";
        let error = "starting\nError: no CSV file for 2026-11-20\n";
        let missing =
            "python3: can't open file '/jobs/curate.py': [Errno 2] No such file or directory\n";
        // WHEN looked at THEN each gives its line
        assert_eq!(probable_cause(java, "").map(|c| c.line_number), Some(2));
        assert_eq!(
            probable_cause(error, "").map(|c| c.line),
            Some("Error: no CSV file for 2026-11-20".to_string())
        );
        assert_eq!(
            probable_cause("", missing).map(|c| (c.stream, c.line_number)),
            Some((LogStream::Stdout, 1))
        );
        // AND nothing is made up from plain output
        assert_eq!(probable_cause("all good\n", "done\n"), None);
    }
}
