//! `probable_cause` against what failed steps really write: PySpark, Java, Hive on spark-sql
//! and bash (the files under `tests/logs/` are real runs' logs, trimmed of INFO lines).

use emrflow_vocabulary::logs::{probable_cause, LogStream, ProbableCause};

/// A failure's stderr and stdout from `tests/logs/<name>.{stderr,stdout}`.
fn logs(name: &str) -> (String, String) {
    let read = |stream: &str| {
        let path = format!("{}/tests/logs/{name}.{stream}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    };
    (read("stderr"), read("stdout"))
}

fn cause_of(name: &str) -> ProbableCause {
    let (stderr, stdout) = logs(name);
    probable_cause(&stderr, &stdout).unwrap_or_else(|| panic!("no cause found in {name}"))
}

#[test]
fn a_pyspark_missing_column_is_the_tracebacks_last_line_in_stdout_not_stderrs_info() {
    // GIVEN PySpark selecting a missing column: INFO noise in stderr, the traceback in stdout
    // WHEN the cause is looked for
    let cause = cause_of("pyspark-missing-column");
    // THEN it is the AnalysisException line, found in stdout at its line
    assert!(
        cause.line.starts_with("pyspark.errors.exceptions.captured.AnalysisException: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `nope` cannot be resolved."),
        "{cause:?}"
    );
    assert_eq!(cause.stream, LogStream::Stdout);
    let (_, stdout) = logs("pyspark-missing-column");
    assert_eq!(
        stdout.lines().nth(cause.line_number - 1).map(str::trim),
        Some(cause.line.as_str())
    );
}

#[test]
fn a_missing_pyspark_application_is_pythons_no_such_file_not_a_warn_line() {
    // GIVEN spark-submit of a .py that is not there: WARN lines in stderr, python's words in stdout
    let cause = cause_of("pyspark-missing-application");
    // THEN python's "can't open file … No such file or directory"
    assert!(cause.line.contains("can't open file"), "{cause:?}");
    assert!(
        cause.line.ends_with("[Errno 2] No such file or directory"),
        "{cause:?}"
    );
    assert_eq!((cause.stream, cause.line_number), (LogStream::Stdout, 1));
}

#[test]
fn an_s3_location_with_one_slash_is_the_exception_not_its_frames() {
    // GIVEN spark-submit of s3:/code/job.py: the exception, then its stack frames
    let cause = cause_of("spark-s3-one-slash");
    // THEN the exception line, whole
    assert_eq!(
        cause.line,
        "Exception in thread \"main\" org.apache.hadoop.fs.UnsupportedFileSystemException: No FileSystem for scheme \"s3\""
    );
    assert_eq!((cause.stream, cause.line_number), (LogStream::Stderr, 6));
}

#[test]
fn a_java_chain_is_explained_by_its_root_cause() {
    // GIVEN a custom JAR's RuntimeException caused by an IllegalStateException caused by a
    // FileNotFoundException
    let cause = cause_of("java-caused-by");
    // THEN the root cause, which says what is missing
    assert_eq!(
        cause.line,
        "Caused by: java.io.FileNotFoundException: /data/2026-11-21/events.csv (No such file or directory)"
    );
    assert_eq!(cause.stream, LogStream::Stderr);
}

#[test]
fn a_root_cause_without_a_message_gives_way_to_the_wrapper_that_has_one() {
    // GIVEN a Spark job aborted by a NullPointerException that carries no message
    let stderr = "24/11/21 10:00:01 ERROR Executor: Exception in task 0.0 in stage 1.0 (TID 1)\n\
        Exception in thread \"main\" org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 1.0 failed 1 times\n\
        \tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2898)\n\
        Caused by: java.lang.NullPointerException\n\
        \tat com.example.Enrich.apply(Enrich.scala:42)\n\
        \t... 12 more\n";
    // WHEN the cause is looked for THEN the wrapper's line, which says what happened
    let cause = probable_cause(stderr, "").expect("a cause");
    assert!(
        cause.line.contains("Job aborted due to stage failure"),
        "{cause:?}"
    );
    assert_eq!(cause.line_number, 2);
}

#[test]
fn hive_on_spark_sql_is_spark_s_error_class_line() {
    // GIVEN spark-sql failing on a syntax error, and on a missing table
    let syntax = cause_of("spark-sql-syntax-error");
    let missing = cause_of("spark-sql-table-not-found");
    // THEN the error class lines
    assert_eq!(
        syntax.line,
        "[PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'. SQLSTATE: 42601 (line 1, pos 0)"
    );
    assert!(
        missing
            .line
            .starts_with("[TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found."),
        "{missing:?}"
    );
    // AND Hive's own form, `FAILED: …`, is found as well
    let hive = "Logging initialized using configuration in file:/etc/hive/conf.dist/hive-log4j2.properties Async: true\n\
        FAILED: SemanticException [Error 10001]: Line 1:14 Table not found 'nope'\n";
    assert_eq!(
        probable_cause(hive, "").map(|cause| cause.line),
        Some(
            "FAILED: SemanticException [Error 10001]: Line 1:14 Table not found 'nope'".to_string()
        )
    );
}

#[test]
fn bash_failures_are_their_error_or_missing_thing_lines() {
    // GIVEN scripts failing on a missing command, a missing file, and with their own Error: line
    for (stderr, expected) in [
        (
            "+ aws s3 ls s3://raw/orders/\nvalidate.sh: line 7: aws: command not found\n",
            "validate.sh: line 7: aws: command not found",
        ),
        (
            "reading the day's orders\ncat: /mnt/s3/raw/orders/2026-11-20/part-0.csv: No such file or directory\n",
            "cat: /mnt/s3/raw/orders/2026-11-20/part-0.csv: No such file or directory",
        ),
        (
            "Error: no raw data for 2026-11-20\nusage: validate.sh DAY\n",
            "Error: no raw data for 2026-11-20",
        ),
    ] {
        // WHEN the cause is looked for THEN that line
        assert_eq!(probable_cause(stderr, "").map(|cause| cause.line).as_deref(), Some(expected));
    }
}

#[test]
fn a_chained_python_traceback_ends_in_the_last_exception() {
    // GIVEN a FileNotFoundError handled by raising a RuntimeError
    let stderr = "Traceback (most recent call last):\n  File \"job.py\", line 3, in <module>\n    open('/data/x.csv')\n\
        FileNotFoundError: [Errno 2] No such file or directory: '/data/x.csv'\n\n\
        During handling of the above exception, another exception occurred:\n\n\
        Traceback (most recent call last):\n  File \"job.py\", line 5, in <module>\n    raise RuntimeError('no input for 2026-11-21')\n\
        RuntimeError: no input for 2026-11-21\n";
    // WHEN the cause is looked for THEN the last traceback's exception
    let cause = probable_cause(stderr, "").expect("a cause");
    assert_eq!(cause.line, "RuntimeError: no input for 2026-11-21");
    assert_eq!(cause.line_number, 11);
}

#[test]
fn log_lines_and_frames_never_explain_and_nothing_is_no_cause() {
    // GIVEN logs whose only "errors" are in INFO/WARN/DEBUG lines and stack frames
    let stderr = "26/12/07 19:20:47 INFO SparkContext: Error handler registered\n\
        2026-11-21 10:00:00,123 WARN Retry: java.io.IOException: Connection reset; retrying\n\
        [DEBUG] Exception filter loaded\n\
        WARNING:root:Error budget low\n\
        \tat org.example.Job.run(Job.java:12)\n\
        {\"ts\": \"2026-12-07 19:20:46.953\", \"level\": \"INFO\", \"msg\": \"Error: none\"}\n";
    let stdout = "wrote 0 rows\n";
    // WHEN the cause is looked for THEN there is none: the caller keeps its own words
    assert_eq!(probable_cause(stderr, stdout), None);
    assert_eq!(probable_cause("", ""), None);
    // AND a message that merely mentions INFO is still an exception
    let cause = probable_cause("java.lang.IllegalStateException: INFO table missing\n", "");
    assert_eq!(cause.map(|cause| cause.line_number), Some(1));
}

#[test]
fn stderr_wins_a_tie_and_a_better_kind_wins_over_stderr() {
    // GIVEN the same kind of line in both streams
    let cause = probable_cause("Error: in stderr\n", "Error: in stdout\n").expect("a cause");
    // THEN stderr's
    assert_eq!(
        (cause.stream, cause.line.as_str()),
        (LogStream::Stderr, "Error: in stderr")
    );
    // AND an exception in stdout beats a missing-file line in stderr
    let cause = probable_cause(
        "ls: cannot access 'x': No such file or directory\n",
        "ValueError: amount 'abc' is not a number\n",
    )
    .expect("a cause");
    assert_eq!(cause.stream, LogStream::Stdout);
}

#[test]
fn the_hiveql_error_line_is_found_in_spark_sqls_stderr() {
    // (Moved from the local EMR's hive.rs, whose own finder this function replaces.)
    // GIVEN stderr of a failed spark-sql, Spark 4 and Spark 3 forms
    let spark4 = "WARN x\nSpark master: local[2]\n\n[PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'. SQLSTATE: 42601 (line 1, pos 0)\n\n== SQL ==\nSELEC 1\n";
    let spark3 = "INFO y\nError in query: Table or view not found: nope; line 1 pos 14\n";
    let line = |stderr: &str| probable_cause(stderr, "").map(|cause| cause.line);
    // WHEN searched THEN the error line, and none in a clean log
    assert_eq!(
        line(spark4).as_deref(),
        Some(
            "[PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'. SQLSTATE: 42601 (line 1, pos 0)"
        )
    );
    assert_eq!(
        line(spark3).as_deref(),
        Some("Error in query: Table or view not found: nope; line 1 pos 14")
    );
    assert_eq!(line("Time taken: 1.2 seconds\n"), None);
}
