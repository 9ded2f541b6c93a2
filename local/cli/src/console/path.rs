//! The path the state machine took, compact: the states in the order entered, and every
//! stretch where it went round a loop (Submit_Pipeline_Steps → Check_Steps → Steps_Finished
//! → Wait_For_Step_Events → Check_Steps …) folded into one line that names each state of the
//! loop once, with how often it was entered — forty visits read as one line.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use emrflow_executions::events::{entered_state, timestamp};
use serde_json::Value;

/// One line of the path: a state entered once, or a loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStep {
    /// The states of the line in the order first entered, with how often each was entered.
    pub states: Vec<(String, usize)>,
    /// When the line's first state was entered.
    pub at: Option<DateTime<Utc>>,
}

impl PathStep {
    /// A loop: some state of it was entered more than once.
    pub fn is_loop(&self) -> bool {
        self.states.iter().any(|(_, times)| *times > 1)
    }
}

/// The states entered, from the history, compacted: a stretch from a state's first entry to
/// its last (widened until no state inside it is entered again after it) is one line.
pub fn state_path(events: &[Value]) -> Vec<PathStep> {
    let entered: Vec<(&str, Option<DateTime<Utc>>)> = events
        .iter()
        .filter_map(|event| Some((entered_state(event)?, timestamp(event))))
        .collect();
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (index, (name, _)) in entered.iter().enumerate() {
        last.insert(name, index);
    }
    let mut path = Vec::new();
    let mut start = 0;
    while start < entered.len() {
        let mut end = last[entered[start].0];
        let mut at = start;
        while at <= end {
            end = end.max(last[entered[at].0]);
            at += 1;
        }
        let mut states: Vec<(String, usize)> = Vec::new();
        for (name, _) in &entered[start..=end] {
            match states.iter_mut().find(|(seen, _)| seen == name) {
                Some((_, times)) => *times += 1,
                None => states.push((name.to_string(), 1)),
            }
        }
        path.push(PathStep {
            states,
            at: entered[start].1,
        });
        start = end + 1;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entered(name: &str) -> Value {
        json!({"type": "TaskStateEntered", "timestamp": "2026-11-22T06:00:00Z",
               "stateEnteredEventDetails": {"name": name}})
    }

    fn lines(names: &[&str]) -> Vec<Vec<(String, usize)>> {
        let events: Vec<Value> = names.iter().map(|name| entered(name)).collect();
        state_path(&events)
            .into_iter()
            .map(|step| step.states)
            .collect()
    }

    #[test]
    fn the_steps_loop_is_one_line_however_often_it_went_round() {
        // GIVEN validate, create, then 20 rounds of submit/check/wait with submissions in
        // between, a last check, and the end
        let mut names = vec!["Validate_Input", "Create_A_Cluster"];
        for round in 0..20 {
            if round % 5 == 0 {
                names.push("Submit_Pipeline_Steps");
            }
            names.extend(["Check_Steps", "Steps_Finished", "Wait_For_Step_Events"]);
        }
        names.extend(["Check_Steps", "Steps_Finished", "Terminate_Cluster"]);
        // WHEN compacted
        let path = lines(&names);
        // THEN four lines: the loop once, each of its states with its count
        assert_eq!(path.len(), 4, "{path:?}");
        let counted = |name: &str| path[2].iter().find(|(n, _)| n == name).map(|(_, t)| *t);
        assert_eq!(counted("Submit_Pipeline_Steps"), Some(4));
        assert_eq!(counted("Check_Steps"), Some(21));
        assert_eq!(counted("Wait_For_Step_Events"), Some(20));
        assert_eq!(path[3], vec![("Terminate_Cluster".to_string(), 1)]);
    }

    #[test]
    fn a_path_without_repeats_is_kept_as_it_is() {
        // GIVEN states entered once each WHEN compacted THEN one line per state, in order
        let path = lines(&["A", "B", "C"]);
        assert_eq!(path.len(), 3);
        assert!(path
            .iter()
            .all(|states| states.len() == 1 && states[0].1 == 1));
    }
}
