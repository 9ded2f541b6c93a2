//! Shows an execution the way the Step Functions console does, from the events in
//! GetExecutionHistory's JSON shape: live progress while it runs, then the history table.

use chrono::{DateTime, Utc};
use serde_json::Value;

fn text<'a>(event: &'a Value, pointer: &str) -> Option<&'a str> {
    event.pointer(pointer).and_then(Value::as_str)
}

fn event_type(event: &Value) -> &str {
    text(event, "/type").unwrap_or("?")
}

fn timestamp(event: &Value) -> Option<DateTime<Utc>> {
    text(event, "/timestamp")
        .and_then(|stamp| DateTime::parse_from_rfc3339(stamp).ok())
        .map(|stamp| stamp.with_timezone(&Utc))
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

/// The state an event belongs to, when its details name one.
fn state_name(event: &Value) -> Option<&str> {
    text(event, "/stateEnteredEventDetails/name").or(text(event, "/stateExitedEventDetails/name"))
}

/// The error and cause an event carries, whatever its kind.
fn error_of(event: &Value) -> Option<(String, String)> {
    let details = event
        .as_object()?
        .iter()
        .find(|(key, _)| key.ends_with("EventDetails"))
        .map(|(_, details)| details)?;
    let error = details.get("error")?.as_str()?.to_string();
    let cause = details
        .get("cause")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Some((error, cause))
}

/// A Lambda error's cause is the JSON `{"errorType", "errorMessage"}`: show the message.
pub fn readable_cause(cause: &str) -> String {
    serde_json::from_str::<Value>(cause)
        .ok()
        .and_then(|json| {
            json.get("errorMessage")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| cause.to_string())
}

/// From a check-steps output: while the run goes on, the steps running side by side and the
/// counts (`running curate ∥ stats — 1 completed, 1 waiting`); at the end, every step's state
/// (`validate COMPLETED, curate COMPLETED (2 attempts), report SKIPPED`).
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
    let counts: Vec<String> = ["Completed", "Waiting", "Failed", "Skipped"]
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
    } else if kind == "TaskSucceeded" {
        let output: Value =
            serde_json::from_str(text(event, "/taskSucceededEventDetails/output")?).ok()?;
        format!("  steps: {}", step_states(&output)?)
    } else if kind == "ExecutionSucceeded" {
        "● execution SUCCEEDED".to_string()
    } else if let Some((error, cause)) = error_of(event) {
        let what = if kind == "ExecutionFailed" {
            "execution FAILED"
        } else {
            kind
        };
        format!("✗ {what}: {error}: {}", readable_cause(&cause))
    } else {
        return None;
    };
    Some(format!("{at:>8}  {line}"))
}

/// The console's event table: id, type, state, elapsed time, and the error where there is one.
pub fn history_table(events: &[Value]) -> String {
    let started = events.first().and_then(timestamp);
    let mut table = format!(
        "{:>4}  {:<28} {:<36} {:>9}\n",
        "ID", "TYPE", "STEP", "ELAPSED"
    );
    for event in events {
        let id = event.get("id").and_then(Value::as_u64).unwrap_or_default();
        table.push_str(&format!(
            "{id:>4}  {:<28} {:<36} {:>9}\n",
            event_type(event),
            state_name(event).unwrap_or(""),
            elapsed(event, started)
        ));
        if let Some((error, cause)) = error_of(event) {
            table.push_str(&format!("      └ {error}: {}\n", readable_cause(&cause)));
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
    fn a_failed_task_shows_the_error_name_and_the_readable_message() {
        // GIVEN a TaskFailed event whose cause is a Lambda error payload
        let event = json!({
            "timestamp": "2026-11-22T06:00:02.5Z", "type": "TaskFailed", "id": 7,
            "taskFailedEventDetails": {"error": "StepFailed",
                "cause": "{\"errorType\":\"StepFailed\",\"errorMessage\":\"step 'Curate' failed\"}"}
        });
        // WHEN it is shown as progress
        let line = progress_line(&event, started()).expect("shown");
        // THEN the name, the message (not the JSON) and the elapsed time are there
        assert!(line.contains("StepFailed: step 'Curate' failed"), "{line}");
        assert!(line.contains("+2.5s"), "{line}");
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
