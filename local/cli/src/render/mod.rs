//! Shows executions the way the Step Functions console does, from events in
//! GetExecutionHistory's JSON shape (read through `emrflow_executions::events`, so AWS's
//! history and the local runner's look the same): live progress while it runs — one
//! renderer for `emrflow local run` and `emrflow watch` — the history table, the list of
//! runs ([`runs`]), one execution ([`show`]) and the deployed pipelines ([`pipelines`]).
//!
//! Colour (anstyle) marks failures and outcomes; it is printed through anstream, which drops
//! it when the output is not a terminal or NO_COLOR is set. Tables (comfy-table) stay plain so
//! their columns line up.

pub mod backfill;
pub mod pipelines;
pub mod rerun;
pub mod runs;
pub mod show;

use anstyle::{AnsiColor, Style};
use chrono::{DateTime, Utc};
use emrflow_executions::events::{
    error_of, event_id, event_type, state_name, task_output, timestamp,
};
use emrflow_executions::ExecutionStatus;
use serde_json::Value;

pub use emrflow_executions::events::readable_cause;

/// A table without borders, its columns as wide as their content.
pub fn plain_table<const N: usize>(header: [&str; N]) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_header(header);
    table
}

/// `text` in `style` (ANSI codes; anstream drops them where colour does not belong).
pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// A status word coloured by what it means.
pub fn paint_status(status: ExecutionStatus) -> String {
    let color = match status {
        ExecutionStatus::Succeeded => AnsiColor::Green,
        ExecutionStatus::Running => AnsiColor::Cyan,
        _ => AnsiColor::Red,
    };
    paint(color.on_default().bold(), status.as_str())
}

/// `text` as one word of a POSIX shell command (`'/my runs'`), for commands printed to paste.
pub fn shell_word(text: &str) -> String {
    shlex::try_quote(text)
        .map(|word| word.into_owned())
        .unwrap_or_else(|_| text.to_string())
}

/// `45s`, `12m 03s`, `2h 05m`.
pub fn duration_text(duration: chrono::Duration) -> String {
    let seconds = duration.num_seconds().max(0);
    match seconds {
        0..=59 => format!("{seconds}s"),
        60..=3599 => format!("{}m {:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h {:02}m", seconds / 3600, seconds % 3600 / 60),
    }
}

/// `+12.3s` since the execution started.
fn elapsed(event: &Value, started: Option<DateTime<Utc>>) -> String {
    match (timestamp(event), started) {
        (Some(at), Some(start)) => {
            format!("+{:.1}s", (at - start).num_milliseconds() as f64 / 1000.0)
        }
        _ => String::new(),
    }
}

/// From a check-steps output: while the run goes on, the steps RUNNING side by side and the
/// counts, those EMR has queued first (`running curate ∥ stats — 1 queued, 1 completed`); at
/// the end, every step's state (`validate COMPLETED, curate COMPLETED (2 attempts), report
/// SKIPPED`).
fn step_states(output: &Value) -> Option<String> {
    if let Some(steps) = output.get("Steps").and_then(Value::as_array) {
        let states: Vec<String> = steps
            .iter()
            .filter_map(|step| {
                let attempts = step
                    .get("Attempts")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                let retried = if attempts > 1 {
                    format!(" ({attempts} attempts)")
                } else {
                    String::new()
                };
                Some(format!(
                    "{} {}{retried}",
                    step.get("Name")?.as_str()?,
                    step.get("State")?.as_str()?
                ))
            })
            .collect();
        return (!states.is_empty()).then(|| states.join(", "));
    }
    let running: Vec<&str> = output
        .get("Running")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let progress = output.get("Progress")?;
    let counts: Vec<String> = ["Queued", "Completed", "Waiting", "Failed", "Skipped"]
        .into_iter()
        .filter_map(|key| {
            let count = progress.get(key)?.as_u64().filter(|count| *count > 0)?;
            Some(format!("{count} {}", key.to_lowercase()))
        })
        .collect();
    let submit = output.get("Verdict").and_then(Value::as_str) == Some("SUBMIT");
    let running = match (running.is_empty(), submit) {
        (true, true) => "steps ready: submitting".to_string(),
        (true, false) => "nothing running".to_string(),
        (false, _) => format!("running {}", running.join(" ∥ ")),
    };
    Some(if counts.is_empty() {
        running
    } else {
        format!("{running} — {}", counts.join(", "))
    })
}

/// One line of live progress for the events a person follows; None for the others.
pub fn progress_line(event: &Value, started: Option<DateTime<Utc>>) -> Option<String> {
    let at = elapsed(event, started);
    let kind = event_type(event);
    let line = if kind.ends_with("StateEntered") {
        format!("▶ {}", state_name(event)?)
    } else if kind.ends_with("StateExited") {
        format!("✓ {}", state_name(event)?)
    } else if let Some(output) = task_output(event) {
        let output: Value = serde_json::from_str(output).ok()?;
        format!("  steps: {}", step_states(&output)?)
    } else if kind == "ExecutionSucceeded" {
        paint(
            AnsiColor::Green.on_default().bold(),
            "● execution SUCCEEDED",
        )
    } else if kind == "ExecutionAborted" {
        let (error, _) = error_of(event).unwrap_or_default();
        let error = if error.is_empty() {
            String::new()
        } else {
            format!(" ({error})")
        };
        paint(
            AnsiColor::Red.on_default().bold(),
            &format!("■ execution ABORTED{error}"),
        )
    } else if let Some((error, cause)) = error_of(event) {
        // The run's cause is said once, at the end (`Cause:` of local run and watch); a
        // failure the state machine retries is said here, the only place it shows.
        let line = match kind {
            "ExecutionFailed" => format!("✗ execution FAILED: {error}"),
            "ExecutionTimedOut" => format!("✗ execution TIMED_OUT: {error}"),
            other if is_retried(&error) => {
                format!("✗ {other}: {error}: {} (retried)", readable_cause(&cause))
            }
            other => format!("✗ {other}: {error}"),
        };
        paint(AnsiColor::Red.on_default(), &line)
    } else {
        return None;
    };
    Some(format!("{at:>8}  {line}"))
}

/// Whether the state machine tries a Task again after this error (the retryable names of
/// the contract, a Task timeout, Lambda's service errors): its cause shows only live.
fn is_retried(error: &str) -> bool {
    emrflow_core::ErrorName::from_name(error).is_some_and(emrflow_core::ErrorName::is_retryable)
        || error == "States.Timeout"
        || error.starts_with("Lambda.")
}

/// `Error: StepFailed` and `Cause: …` of an execution that did not succeed: the one place a
/// run's cause is printed (after `local run`, at the end of `watch`).
pub fn error_and_cause(error: Option<&str>, cause: Option<&str>) -> String {
    format!(
        "Error: {}\nCause: {}\n",
        error.unwrap_or("(none)"),
        cause.map(readable_cause).unwrap_or_default()
    )
}

/// The console's event table: id, type, state, elapsed time, and the error's name where there
/// is one (its cause is printed once, under the table).
pub fn history_table(events: &[Value]) -> String {
    let started = events.first().and_then(timestamp);
    let mut table = format!(
        "{:>4}  {:<28} {:<36} {:>9}\n",
        "ID", "TYPE", "STEP", "ELAPSED"
    );
    for event in events {
        let id = event_id(event);
        table.push_str(&format!(
            "{id:>4}  {:<28} {:<36} {:>9}\n",
            event_type(event),
            state_name(event).unwrap_or(""),
            elapsed(event, started)
        ));
        if let Some((error, _)) = error_of(event) {
            table.push_str(&format!("      └ {error}\n"));
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn started() -> Option<DateTime<Utc>> {
        timestamp(&json!({"timestamp": "2026-11-22T06:00:00Z"}))
    }

    #[test]
    fn a_failed_task_shows_its_error_and_only_a_retried_one_its_message() {
        // GIVEN a StepFailed TaskFailed (the run's cause) and a retried AwsTransient one
        let failed = |error: &str, message: &str| {
            json!({"timestamp": "2026-11-22T06:00:02.5Z", "type": "TaskFailed", "id": 7,
                "taskFailedEventDetails": {"error": error,
                    "cause": json!({"errorType": error, "errorMessage": message}).to_string()}})
        };
        // WHEN shown as progress
        let step =
            progress_line(&failed("StepFailed", "step 'Curate' failed"), started()).expect("shown");
        let transient = progress_line(
            &failed("AwsTransient", "ListSteps: connection refused"),
            started(),
        )
        .expect("shown");
        // THEN the run's cause is left to the end; a retried failure says why, in words
        assert!(step.contains("✗ TaskFailed: StepFailed\u{1b}"), "{step}");
        assert!(step.contains("+2.5s"), "{step}");
        assert!(
            transient.contains("AwsTransient: ListSteps: connection refused (retried)"),
            "{transient}"
        );
    }

    #[test]
    fn an_aborted_execution_says_who_stopped_it_and_aws_task_results_show_steps() {
        // GIVEN a stop by SIGINT, and AWS's LambdaFunctionSucceeded of a check
        let aborted = json!({"timestamp": "2026-11-22T06:00:09Z", "type": "ExecutionAborted", "id": 41,
            "executionAbortedEventDetails": {"error": "SIGINT", "cause": "emrflow local run was stopped by SIGINT"}});
        let check = json!({"timestamp": "2026-11-22T06:00:01Z", "type": "LambdaFunctionSucceeded", "id": 9,
            "lambdaFunctionSucceededEventDetails": {"output": "{\"Running\":[\"curate\"],\"Progress\":{}}"}});
        // WHEN shown as progress THEN who stopped it (its cause comes once, at the end), and
        // the same step line as the local runner's
        let line = progress_line(&aborted, started()).expect("shown");
        assert!(
            line.contains("■ execution ABORTED (SIGINT)\u{1b}"),
            "{line}"
        );
        let line = progress_line(&check, started()).expect("shown");
        assert!(line.ends_with("steps: running curate"), "{line}");
    }

    #[test]
    fn the_history_table_names_errors_and_leaves_the_cause_to_the_end() {
        // GIVEN a history with a failed task and the failed execution, the same cause twice
        let cause = r#"{"errorType":"StepFailed","errorMessage":"step 'curate' failed: no CSV"}"#;
        let events = vec![
            json!({"timestamp": "2026-11-22T06:00:00Z", "type": "ExecutionStarted", "id": 1}),
            json!({"timestamp": "2026-11-22T06:00:01Z", "type": "TaskFailed", "id": 2,
                   "taskFailedEventDetails": {"error": "StepFailed", "cause": cause}}),
            json!({"timestamp": "2026-11-22T06:00:02Z", "type": "ExecutionFailed", "id": 3,
                   "executionFailedEventDetails": {"error": "StepFailed", "cause": cause}}),
        ];
        // WHEN the table and the closing lines are written
        let text = history_table(&events) + &error_and_cause(Some("StepFailed"), Some(cause));
        // THEN the cause is there once, in words
        assert_eq!(text.matches("no CSV").count(), 1, "{text}");
        assert!(
            text.ends_with("Cause: step 'curate' failed: no CSV\n"),
            "{text}"
        );
    }

    #[test]
    fn a_check_result_shows_each_step_state() {
        let output = json!({"Verdict": "RUNNING", "Steps": [
            {"Name": "Validate", "State": "COMPLETED"}, {"Name": "Curate", "State": "RUNNING"}]});
        let event = json!({"timestamp": "2026-11-22T06:00:01Z", "type": "TaskSucceeded", "id": 9,
            "taskSucceededEventDetails": {"output": output.to_string()}});
        let line = progress_line(&event, started()).expect("shown");
        assert!(
            line.ends_with("steps: Validate COMPLETED, Curate RUNNING"),
            "{line}"
        );
    }

    #[test]
    fn a_running_graph_shows_its_branches_side_by_side() {
        // GIVEN a check while two branches run WHEN shown THEN both names and the counts
        let output = json!({"Verdict": "RUNNING", "Running": ["curate", "stats"],
            "Progress": {"Completed": 1, "Running": 2, "Waiting": 2, "Failed": 0, "Skipped": 0}});
        let event = json!({"timestamp": "2026-11-22T06:00:01Z", "type": "TaskSucceeded", "id": 9,
            "taskSucceededEventDetails": {"output": output.to_string()}});
        let line = progress_line(&event, started()).expect("shown");
        assert!(
            line.ends_with("steps: running curate ∥ stats — 1 completed, 2 waiting"),
            "{line}"
        );
    }

    #[test]
    fn steps_emr_has_queued_are_counted_as_queued_not_shown_running() {
        // GIVEN a check with one step RUNNING and two PENDING behind StepConcurrencyLevel
        let output = json!({"Verdict": "RUNNING", "Running": ["curate"],
            "Progress": {"Completed": 1, "Running": 1, "Queued": 2, "Waiting": 0, "Failed": 0, "Skipped": 0}});
        let event = json!({"timestamp": "2026-11-22T06:00:01Z", "type": "TaskSucceeded", "id": 9,
            "taskSucceededEventDetails": {"output": output.to_string()}});
        // WHEN shown THEN only the running one is named, the others counted as queued
        let line = progress_line(&event, started()).expect("shown");
        assert!(
            line.ends_with("steps: running curate — 2 queued, 1 completed"),
            "{line}"
        );
    }

    #[test]
    fn the_history_table_lists_every_event_with_its_state() {
        let events = vec![
            json!({"timestamp": "2026-11-22T06:00:00Z", "type": "ExecutionStarted", "id": 1}),
            json!({"timestamp": "2026-11-22T06:00:00Z", "type": "TaskStateEntered", "id": 2,
                   "stateEnteredEventDetails": {"name": "Validate_Input", "input": "{}"}}),
        ];
        let table = history_table(&events);
        assert_eq!(table.lines().count(), 3);
        assert!(table.contains("TaskStateEntered") && table.contains("Validate_Input"));
    }
}
