//! Loading and validating an ASL definition into the interpreter's model.
//!
//! This file holds the state machine, its StateLists (StartAt + States blocks) and the
//! dispatch from a state's `Type` to the file that parses it: `task.rs` (the integration
//! its Resource names in `integration.rs`), `choice.rs`, `wait.rs`, `pass.rs`, `fail.rs`,
//! `parallel.rs`, `map.rs` (Succeed has nothing of its own). Retry, Catch and the result
//! fields are parsed in `retry.rs`; typed field access and refused fields live in
//! `fields.rs`.

mod choice;
mod fail;
mod fields;
mod integration;
mod map;
mod parallel;
mod pass;
mod retry;
mod task;
mod wait;

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use crate::error::DefinitionError;
use crate::path::FilterPath;

pub(crate) use choice::{
    ChoiceRule, ChoiceState, Comparison, Family, GlobToken, Operand, Operator, TypeTest,
};
pub(crate) use fail::{FailState, FailText};
pub(crate) use fields::Fields;
pub(crate) use integration::{check_invocation_type, Integration};
pub(crate) use map::MapState;
pub(crate) use parallel::ParallelState;
pub(crate) use pass::PassState;
pub(crate) use retry::{Catcher, Handling, Retrier};
pub(crate) use task::TaskState;
pub(crate) use wait::WaitState;

/// A loaded, validated state machine definition.
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub(crate) root: StateList,
    pub(crate) timeout_seconds: Option<u64>,
    pub(crate) definition: Value,
}

impl StateMachine {
    /// Parses and validates an ASL definition. Anything the interpreter cannot run
    /// faithfully is refused here, with a message naming the state and the field.
    pub fn from_json(definition: &str) -> Result<Self, DefinitionError> {
        let value: Value = serde_json::from_str(definition)
            .map_err(|e| DefinitionError::new(format!("definition is not valid JSON: {e}")))?;
        Self::from_value(value)
    }

    /// Loads a definition after replacing `${Name}` placeholders, as SAM's
    /// DefinitionSubstitutions does. A placeholder without a value is refused so a local
    /// run never calls a resource named `${...}`.
    pub fn from_json_with_substitutions(
        definition: &str,
        substitutions: &BTreeMap<String, String>,
    ) -> Result<Self, DefinitionError> {
        Self::from_json(&substitute(definition, substitutions)?)
    }

    /// Same as [`StateMachine::from_json`] for an already parsed document.
    pub fn from_value(definition: Value) -> Result<Self, DefinitionError> {
        let object = definition
            .as_object()
            .ok_or_else(|| DefinitionError::new("definition must be a JSON object"))?;
        let location = "state machine";
        let fields = Fields::new(location.to_string(), object);
        fields.check_allowed(&[
            "Comment",
            "StartAt",
            "States",
            "Version",
            "TimeoutSeconds",
            "QueryLanguage",
        ])?;
        fields.check_query_language()?;
        let timeout_seconds = fields.opt_u64("TimeoutSeconds")?;
        if timeout_seconds == Some(0) {
            return Err(DefinitionError::at(
                location,
                "field 'TimeoutSeconds' must be positive",
            ));
        }
        let mut names_seen = HashSet::new();
        let root = StateList::parse(object, location, &mut names_seen)?;
        Ok(Self {
            root,
            timeout_seconds,
            definition,
        })
    }

    /// The top-level StartAt state.
    pub fn start_at(&self) -> &str {
        &self.root.start_at
    }

    /// The definition as loaded.
    pub fn definition(&self) -> &Value {
        &self.definition
    }

    /// The top-level TimeoutSeconds, if any.
    pub fn timeout_seconds(&self) -> Option<u64> {
        self.timeout_seconds
    }
}

/// Replaces every `${Name}` in `definition` with its value; an unknown name is an error.
pub fn substitute(
    definition: &str,
    substitutions: &BTreeMap<String, String>,
) -> Result<String, DefinitionError> {
    let mut output = String::with_capacity(definition.len());
    let mut rest = definition;
    while let Some(start) = rest.find("${") {
        output.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| {
            DefinitionError::new("definition has an unterminated '${' placeholder")
        })?;
        let name = &after[..end];
        let value = substitutions.get(name).ok_or_else(|| {
            DefinitionError::new(format!(
                "definition placeholder '${{{name}}}' has no substitution value"
            ))
        })?;
        // Values are inserted inside JSON strings; escape them as JSON string content.
        let encoded = serde_json::to_string(value).unwrap_or_default();
        output.push_str(&encoded[1..encoded.len().saturating_sub(1)]);
        rest = &after[end + 1..];
    }
    output.push_str(rest);
    Ok(output)
}

/// A StartAt + States block: the top level, a Parallel branch or a Map item processor.
#[derive(Debug, Clone)]
pub(crate) struct StateList {
    pub(crate) start_at: String,
    pub(crate) states: BTreeMap<String, State>,
}

#[derive(Debug, Clone)]
pub(crate) struct State {
    pub(crate) name: String,
    pub(crate) kind: StateKind,
    pub(crate) input_path: FilterPath,
    pub(crate) output_path: FilterPath,
    pub(crate) transition: Transition,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Transition {
    Next(String),
    End,
    /// Choice (uses its rules) and Fail (terminal).
    Neither,
}

#[derive(Debug, Clone)]
pub(crate) enum StateKind {
    Task(TaskState),
    Choice(ChoiceState),
    Wait(WaitState),
    Pass(PassState),
    Succeed,
    Fail(FailState),
    Parallel(ParallelState),
    Map(MapState),
}

impl StateKind {
    /// The prefix of the state's history event types ("Task" → TaskStateEntered).
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Pass(_) => "Pass",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }

    /// The result and error handling of the states that have it (Task, Parallel, Map).
    pub(crate) fn handling(&self) -> Option<&Handling> {
        match self {
            StateKind::Task(task) => Some(&task.handling),
            StateKind::Parallel(parallel) => Some(&parallel.handling),
            StateKind::Map(map) => Some(&map.handling),
            _ => None,
        }
    }
}

impl StateList {
    pub(crate) fn parse(
        object: &Map<String, Value>,
        location: &str,
        names_seen: &mut HashSet<String>,
    ) -> Result<Self, DefinitionError> {
        let fields = Fields::new(location.to_string(), object);
        let start_at = fields.req_str("StartAt")?.to_string();
        let states_object = fields
            .get("States")
            .and_then(Value::as_object)
            .ok_or_else(|| fields.error("field 'States' is required and must be an object"))?;
        if states_object.is_empty() {
            return Err(fields.error("field 'States' must contain at least one state"));
        }
        let mut states = BTreeMap::new();
        for (name, definition) in states_object {
            if name.is_empty() || name.chars().count() > 80 {
                return Err(fields.error(format!("state name '{name}' must be 1 to 80 characters")));
            }
            if !names_seen.insert(name.clone()) {
                return Err(DefinitionError::new(format!(
                    "state name '{name}' is used more than once in the state machine"
                )));
            }
            let state = State::parse(name, definition, names_seen)?;
            states.insert(name.clone(), state);
        }
        let list = Self { start_at, states };
        list.validate_targets(location)?;
        Ok(list)
    }

    fn targets(state: &State) -> Vec<(&str, &str)> {
        let mut targets = Vec::new();
        if let Transition::Next(next) = &state.transition {
            targets.push(("Next", next.as_str()));
        }
        let catchers = state
            .kind
            .handling()
            .map(|handling| handling.catch.as_slice());
        for catcher in catchers.unwrap_or_default() {
            targets.push(("Catch.Next", catcher.next.as_str()));
        }
        if let StateKind::Choice(choice) = &state.kind {
            for (_, next) in &choice.choices {
                targets.push(("Choices.Next", next.as_str()));
            }
            if let Some(default) = &choice.default {
                targets.push(("Default", default.as_str()));
            }
        }
        targets
    }

    fn validate_targets(&self, location: &str) -> Result<(), DefinitionError> {
        if !self.states.contains_key(&self.start_at) {
            return Err(DefinitionError::at(
                location,
                format!(
                    "StartAt '{}' is not a state in this States block",
                    self.start_at
                ),
            ));
        }
        for state in self.states.values() {
            for (field, target) in Self::targets(state) {
                if !self.states.contains_key(target) {
                    return Err(DefinitionError::at(
                        &format!("state '{}'", state.name),
                        format!("field '{field}' points to '{target}', which is not a state in the same States block"),
                    ));
                }
            }
        }
        // Step Functions rejects states nothing can reach; so do we.
        let mut reached = HashSet::from([self.start_at.as_str()]);
        let mut pending = vec![self.start_at.as_str()];
        while let Some(name) = pending.pop() {
            if let Some(state) = self.states.get(name) {
                for (_, target) in Self::targets(state) {
                    if reached.insert(target) {
                        pending.push(target);
                    }
                }
            }
        }
        if let Some(unreached) = self
            .states
            .keys()
            .find(|name| !reached.contains(name.as_str()))
        {
            return Err(DefinitionError::at(
                &format!("state '{unreached}'"),
                "state is not reachable from StartAt",
            ));
        }
        Ok(())
    }
}

// Field groups that several state types share; each type's file lists its own fields.
const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];
const PATHS: &[&str] = &["InputPath", "OutputPath"];
const TRANSITION: &[&str] = &["Next", "End"];

/// Every field a state of `state_type` may have; `None` for an unknown type.
fn allowed_fields(state_type: &str) -> Option<Vec<&'static str>> {
    let groups: &[&[&str]] = match state_type {
        "Task" => &[PATHS, TRANSITION, retry::HANDLING_FIELDS, task::FIELDS],
        "Choice" => &[PATHS, choice::FIELDS],
        "Wait" => &[PATHS, TRANSITION, wait::FIELDS],
        "Pass" => &[PATHS, TRANSITION, pass::FIELDS],
        "Succeed" => &[PATHS],
        "Fail" => &[fail::FIELDS],
        "Parallel" => &[PATHS, TRANSITION, retry::HANDLING_FIELDS, parallel::FIELDS],
        "Map" => &[PATHS, TRANSITION, retry::HANDLING_FIELDS, map::FIELDS],
        _ => return None,
    };
    Some(
        COMMON
            .iter()
            .chain(groups.iter().copied().flatten())
            .copied()
            .collect(),
    )
}

impl State {
    fn parse(
        name: &str,
        definition: &Value,
        names_seen: &mut HashSet<String>,
    ) -> Result<Self, DefinitionError> {
        let location = format!("state '{name}'");
        let object = definition
            .as_object()
            .ok_or_else(|| DefinitionError::at(&location, "must be a JSON object"))?;
        let fields = Fields::new(location, object);
        fields.check_query_language()?;
        let state_type = fields.req_str("Type")?;
        let allowed =
            allowed_fields(state_type).ok_or_else(|| unknown_type(&fields, state_type))?;
        fields.check_allowed(&allowed)?;
        let transition = parse_transition(&fields, state_type)?;
        let (input_path, output_path) = if state_type == "Fail" {
            (FilterPath::Everything, FilterPath::Everything)
        } else {
            (
                fields.filter_path("InputPath")?,
                fields.filter_path("OutputPath")?,
            )
        };
        let kind = match state_type {
            "Task" => StateKind::Task(TaskState::parse(&fields)?),
            "Choice" => StateKind::Choice(ChoiceState::parse(&fields)?),
            "Wait" => StateKind::Wait(WaitState::parse(&fields)?),
            "Pass" => StateKind::Pass(PassState::parse(&fields)?),
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail(FailState::parse(&fields)?),
            "Parallel" => StateKind::Parallel(ParallelState::parse(&fields, names_seen)?),
            "Map" => StateKind::Map(MapState::parse(&fields, names_seen)?),
            other => return Err(unknown_type(&fields, other)),
        };
        Ok(Self {
            name: name.to_string(),
            kind,
            input_path,
            output_path,
            transition,
        })
    }
}

fn unknown_type(fields: &Fields<'_>, state_type: &str) -> DefinitionError {
    fields.error(format!("field 'Type': unknown state type '{state_type}'"))
}

/// Next or End (exactly one) for the states that continue; Choice and Fail have neither,
/// Succeed always ends.
fn parse_transition(fields: &Fields<'_>, state_type: &str) -> Result<Transition, DefinitionError> {
    match state_type {
        "Choice" | "Fail" => return Ok(Transition::Neither),
        "Succeed" => return Ok(Transition::End),
        _ => {}
    }
    let next = fields.opt_str("Next")?;
    let end = match fields.get("End") {
        None => false,
        Some(Value::Bool(end)) => *end,
        Some(_) => return Err(fields.error("field 'End' must be a boolean")),
    };
    match (next, end) {
        (Some(next), false) => Ok(Transition::Next(next.to_string())),
        (None, true) => Ok(Transition::End),
        (Some(_), true) => Err(fields.error("fields 'Next' and 'End' cannot both be set")),
        (None, false) => Err(fields.error("one of the fields 'Next' or 'End: true' is required")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutions_replace_placeholders_and_refuse_unknown_ones() {
        // GIVEN a definition with a SAM-style placeholder
        let definition =
            r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"${FnArn}","End":true}}}"#;
        let values = BTreeMap::from([(
            "FnArn".to_string(),
            "arn:aws:lambda:us-east-1:1:function:f".to_string(),
        )]);
        // WHEN substituted THEN the value lands in the Resource
        let text = substitute(definition, &values).unwrap();
        assert!(text.contains(r#""Resource":"arn:aws:lambda:us-east-1:1:function:f""#));
        assert!(StateMachine::from_json_with_substitutions(definition, &values).is_ok());
        // AND a placeholder without a value is refused by name
        let error = substitute(definition, &BTreeMap::new()).unwrap_err();
        assert!(error.message.contains("${FnArn}"), "{}", error.message);
    }
}
