//! Loading and validating an ASL definition into the interpreter's model.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::choice::ChoiceRule;
use crate::error::{names, DefinitionError};
use crate::intrinsics::Intrinsic;
use crate::path::{DataPath, FilterPath, ResultPath, Template};

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

    /// Names of the top-level states, sorted.
    pub fn state_names(&self) -> Vec<&str> {
        self.root.states.keys().map(String::as_str).collect()
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
}

#[derive(Debug, Clone)]
pub(crate) struct TaskState {
    pub(crate) resource: String,
    pub(crate) parameters: Option<Template>,
    pub(crate) result_selector: Option<Template>,
    pub(crate) result_path: ResultPath,
    pub(crate) retry: Vec<Retrier>,
    pub(crate) catch: Vec<Catcher>,
    pub(crate) timeout_seconds: Option<u64>,
    pub(crate) heartbeat_seconds: Option<u64>,
}

#[derive(Debug, Clone)]
pub(crate) struct ChoiceState {
    pub(crate) choices: Vec<(ChoiceRule, String)>,
    pub(crate) default: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum WaitState {
    Seconds(u64),
    Timestamp(DateTime<Utc>),
    SecondsPath(DataPath),
    TimestampPath(DataPath),
}

#[derive(Debug, Clone)]
pub(crate) struct PassState {
    pub(crate) result: Option<Value>,
    pub(crate) parameters: Option<Template>,
    pub(crate) result_path: ResultPath,
}

#[derive(Debug, Clone)]
pub(crate) enum FailText {
    Literal(String),
    Path(DataPath),
    Intrinsic(Intrinsic),
}

#[derive(Debug, Clone)]
pub(crate) struct FailState {
    pub(crate) error: Option<FailText>,
    pub(crate) cause: Option<FailText>,
}

#[derive(Debug, Clone)]
pub(crate) struct ParallelState {
    pub(crate) branches: Vec<StateList>,
    pub(crate) parameters: Option<Template>,
    pub(crate) result_selector: Option<Template>,
    pub(crate) result_path: ResultPath,
    pub(crate) retry: Vec<Retrier>,
    pub(crate) catch: Vec<Catcher>,
}

#[derive(Debug, Clone)]
pub(crate) struct MapState {
    pub(crate) processor: StateList,
    pub(crate) items_path: Option<DataPath>,
    pub(crate) item_selector: Option<Template>,
    /// 0 = no limit.
    pub(crate) max_concurrency: usize,
    pub(crate) result_selector: Option<Template>,
    pub(crate) result_path: ResultPath,
    pub(crate) retry: Vec<Retrier>,
    pub(crate) catch: Vec<Catcher>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Retrier {
    pub(crate) error_equals: Vec<String>,
    pub(crate) interval_seconds: f64,
    pub(crate) max_attempts: u32,
    pub(crate) backoff_rate: f64,
    pub(crate) max_delay_seconds: Option<f64>,
    pub(crate) full_jitter: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Catcher {
    pub(crate) error_equals: Vec<String>,
    pub(crate) next: String,
    pub(crate) result_path: ResultPath,
}

/// Fields that exist in ASL but that this interpreter does not run, with the reason shown.
const REFUSED_FIELDS: &[(&str, &str)] = &[
    ("Assign", "workflow variables (Assign) are not supported"),
    ("Output", "JSONata Output is not supported (only JSONPath)"),
    (
        "Arguments",
        "JSONata Arguments is not supported (only JSONPath)",
    ),
    ("Items", "JSONata Items is not supported (use ItemsPath)"),
    ("Condition", "JSONata Condition is not supported"),
    (
        "TimeoutSecondsPath",
        "TimeoutSecondsPath is not supported (use TimeoutSeconds)",
    ),
    (
        "HeartbeatSecondsPath",
        "HeartbeatSecondsPath is not supported (use HeartbeatSeconds)",
    ),
    ("Credentials", "cross-account Credentials are not supported"),
    (
        "ItemReader",
        "distributed Map (ItemReader) is not supported",
    ),
    (
        "ResultWriter",
        "distributed Map (ResultWriter) is not supported",
    ),
    (
        "ItemBatcher",
        "distributed Map (ItemBatcher) is not supported",
    ),
    (
        "ToleratedFailurePercentage",
        "distributed Map (ToleratedFailurePercentage) is not supported",
    ),
    (
        "ToleratedFailurePercentagePath",
        "distributed Map (ToleratedFailurePercentagePath) is not supported",
    ),
    (
        "ToleratedFailureCount",
        "distributed Map (ToleratedFailureCount) is not supported",
    ),
    (
        "ToleratedFailureCountPath",
        "distributed Map (ToleratedFailureCountPath) is not supported",
    ),
    ("Label", "distributed Map (Label) is not supported"),
    (
        "MaxConcurrencyPath",
        "MaxConcurrencyPath is not supported (use MaxConcurrency)",
    ),
];

pub(crate) struct Fields<'a> {
    pub(crate) location: String,
    pub(crate) map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(location: String, map: &'a Map<String, Value>) -> Self {
        Self { location, map }
    }

    pub(crate) fn error(&self, message: impl std::fmt::Display) -> DefinitionError {
        DefinitionError::at(&self.location, message)
    }

    /// The objects of the optional array field `key` (absent: none), each located as
    /// `<location> key[i]` for error messages.
    pub(crate) fn object_array(&self, key: &str) -> Result<Vec<Fields<'a>>, DefinitionError> {
        let Some(value) = self.map.get(key) else {
            return Ok(Vec::new());
        };
        let items = value
            .as_array()
            .ok_or_else(|| self.error(format!("field '{key}' must be an array")))?;
        items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let location = format!("{} {key}[{index}]", self.location);
                let object = item
                    .as_object()
                    .ok_or_else(|| DefinitionError::at(&location, "must be an object"))?;
                Ok(Fields::new(location, object))
            })
            .collect()
    }

    pub(crate) fn check_allowed(&self, allowed: &[&str]) -> Result<(), DefinitionError> {
        for key in self.map.keys() {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            if let Some((_, reason)) = REFUSED_FIELDS.iter().find(|(name, _)| name == key) {
                return Err(self.error(format!("field '{key}' refused: {reason}")));
            }
            return Err(self.error(format!("field '{key}' is not allowed here")));
        }
        Ok(())
    }

    pub(crate) fn check_query_language(&self) -> Result<(), DefinitionError> {
        match self.map.get("QueryLanguage") {
            None => Ok(()),
            Some(Value::String(language)) if language == "JSONPath" => Ok(()),
            Some(other) => Err(self.error(format!(
                "field 'QueryLanguage' refused: {other} is not supported (only \"JSONPath\")"
            ))),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<&'a str>, DefinitionError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(self.error(format!("field '{key}' must be a string"))),
        }
    }

    pub(crate) fn req_str(&self, key: &str) -> Result<&'a str, DefinitionError> {
        self.opt_str(key)?
            .ok_or_else(|| self.error(format!("field '{key}' is required")))
    }

    pub(crate) fn opt_u64(&self, key: &str) -> Result<Option<u64>, DefinitionError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.error(format!("field '{key}' must be a non-negative integer"))),
        }
    }

    pub(crate) fn opt_f64(&self, key: &str) -> Result<Option<f64>, DefinitionError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(value) => value
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.error(format!("field '{key}' must be a number"))),
        }
    }

    fn data_path(&self, key: &str) -> Result<Option<DataPath>, DefinitionError> {
        self.opt_str(key)?
            .map(|text| {
                DataPath::parse(text).map_err(|e| self.error(format!("field '{key}': {e}")))
            })
            .transpose()
    }

    fn filter_path(&self, key: &str) -> Result<FilterPath, DefinitionError> {
        match self.map.get(key) {
            None => Ok(FilterPath::Everything),
            Some(Value::Null) => Ok(FilterPath::Discard),
            Some(Value::String(text)) if text == "$" => Ok(FilterPath::Everything),
            Some(Value::String(text)) => DataPath::parse(text)
                .map(FilterPath::Path)
                .map_err(|e| self.error(format!("field '{key}': {e}"))),
            Some(_) => Err(self.error(format!("field '{key}' must be a string or null"))),
        }
    }

    fn result_path(&self, key: &str) -> Result<ResultPath, DefinitionError> {
        ResultPath::parse(self.map.get(key)).map_err(|e| self.error(format!("field '{key}': {e}")))
    }

    fn template(&self, key: &str) -> Result<Option<Template>, DefinitionError> {
        self.map
            .get(key)
            .map(|value| {
                if !value.is_object() {
                    return Err(self.error(format!("field '{key}' must be an object")));
                }
                Template::compile(value).map_err(|e| self.error(format!("field '{key}': {e}")))
            })
            .transpose()
    }
}

impl StateList {
    fn parse(
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
        let catchers = match &state.kind {
            StateKind::Task(task) => task.catch.as_slice(),
            StateKind::Parallel(parallel) => parallel.catch.as_slice(),
            StateKind::Map(map) => map.catch.as_slice(),
            _ => &[],
        };
        for catcher in catchers {
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

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

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
        let fields = Fields::new(location.clone(), object);
        fields.check_query_language()?;
        let state_type = fields.req_str("Type")?;
        let allowed: &[&str] = match state_type {
            "Task" => &[
                "Resource",
                "Parameters",
                "ResultSelector",
                "ResultPath",
                "InputPath",
                "OutputPath",
                "Next",
                "End",
                "Retry",
                "Catch",
                "TimeoutSeconds",
                "HeartbeatSeconds",
            ],
            "Choice" => &["Choices", "Default", "InputPath", "OutputPath"],
            "Wait" => &[
                "Seconds",
                "Timestamp",
                "SecondsPath",
                "TimestampPath",
                "InputPath",
                "OutputPath",
                "Next",
                "End",
            ],
            "Pass" => &[
                "Result",
                "ResultPath",
                "Parameters",
                "InputPath",
                "OutputPath",
                "Next",
                "End",
            ],
            "Succeed" => &["InputPath", "OutputPath"],
            "Fail" => &["Error", "Cause", "ErrorPath", "CausePath"],
            "Parallel" => &[
                "Branches",
                "Parameters",
                "ResultSelector",
                "ResultPath",
                "InputPath",
                "OutputPath",
                "Next",
                "End",
                "Retry",
                "Catch",
            ],
            "Map" => &[
                "Iterator",
                "ItemProcessor",
                "ItemsPath",
                "ItemSelector",
                "Parameters",
                "MaxConcurrency",
                "ResultSelector",
                "ResultPath",
                "InputPath",
                "OutputPath",
                "Next",
                "End",
                "Retry",
                "Catch",
            ],
            other => {
                return Err(fields.error(format!("field 'Type': unknown state type '{other}'")))
            }
        };
        let all_allowed: Vec<&str> = COMMON.iter().chain(allowed).copied().collect();
        fields.check_allowed(&all_allowed)?;

        let transition = match state_type {
            "Choice" | "Fail" => Transition::Neither,
            "Succeed" => Transition::End,
            _ => {
                let next = fields.opt_str("Next")?;
                let end = match fields.get("End") {
                    None => false,
                    Some(Value::Bool(end)) => *end,
                    Some(_) => return Err(fields.error("field 'End' must be a boolean")),
                };
                match (next, end) {
                    (Some(next), false) => Transition::Next(next.to_string()),
                    (None, true) => Transition::End,
                    (Some(_), true) => {
                        return Err(fields.error("fields 'Next' and 'End' cannot both be set"))
                    }
                    (None, false) => {
                        return Err(
                            fields.error("one of the fields 'Next' or 'End: true' is required")
                        )
                    }
                }
            }
        };
        let (input_path, output_path) = if state_type == "Fail" {
            (FilterPath::Everything, FilterPath::Everything)
        } else {
            (
                fields.filter_path("InputPath")?,
                fields.filter_path("OutputPath")?,
            )
        };

        let kind = match state_type {
            "Task" => StateKind::Task(task_state(&fields)?),
            "Choice" => StateKind::Choice(parse_choice(&fields)?),
            "Wait" => StateKind::Wait(parse_wait(&fields)?),
            "Pass" => StateKind::Pass(PassState {
                result: fields.get("Result").cloned(),
                parameters: fields.template("Parameters")?,
                result_path: fields.result_path("ResultPath")?,
            }),
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail(parse_fail(&fields)?),
            "Parallel" => {
                let branches_value = fields
                    .get("Branches")
                    .and_then(Value::as_array)
                    .filter(|branches| !branches.is_empty())
                    .ok_or_else(|| {
                        fields.error("field 'Branches' is required and must be a non-empty array")
                    })?;
                let mut branches = Vec::with_capacity(branches_value.len());
                for (index, branch) in branches_value.iter().enumerate() {
                    let branch_location = format!("{location} Branches[{index}]");
                    let branch_object = branch.as_object().ok_or_else(|| {
                        DefinitionError::at(&branch_location, "must be an object")
                    })?;
                    let branch_fields = Fields::new(branch_location.clone(), branch_object);
                    branch_fields.check_allowed(&[
                        "StartAt",
                        "States",
                        "Comment",
                        "QueryLanguage",
                    ])?;
                    branch_fields.check_query_language()?;
                    branches.push(StateList::parse(
                        branch_object,
                        &branch_location,
                        names_seen,
                    )?);
                }
                StateKind::Parallel(ParallelState {
                    branches,
                    parameters: fields.template("Parameters")?,
                    result_selector: fields.template("ResultSelector")?,
                    result_path: fields.result_path("ResultPath")?,
                    retry: parse_retriers(&fields)?,
                    catch: parse_catchers(&fields)?,
                })
            }
            "Map" => StateKind::Map(parse_map(&fields, names_seen)?),
            _ => unreachable_type(&fields, state_type)?,
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

fn unreachable_type(fields: &Fields<'_>, state_type: &str) -> Result<StateKind, DefinitionError> {
    Err(fields.error(format!("field 'Type': unknown state type '{state_type}'")))
}

fn task_state(fields: &Fields<'_>) -> Result<TaskState, DefinitionError> {
    let timeout_seconds = positive(fields, "TimeoutSeconds")?;
    let heartbeat_seconds = positive(fields, "HeartbeatSeconds")?;
    if let (Some(timeout), Some(heartbeat)) = (timeout_seconds, heartbeat_seconds) {
        if heartbeat >= timeout {
            return Err(
                fields.error("field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'")
            );
        }
    }
    Ok(TaskState {
        resource: fields.req_str("Resource")?.to_string(),
        parameters: fields.template("Parameters")?,
        result_selector: fields.template("ResultSelector")?,
        result_path: fields.result_path("ResultPath")?,
        retry: parse_retriers(fields)?,
        catch: parse_catchers(fields)?,
        timeout_seconds,
        heartbeat_seconds,
    })
}

fn positive(fields: &Fields<'_>, key: &str) -> Result<Option<u64>, DefinitionError> {
    match fields.opt_u64(key)? {
        Some(0) => Err(fields.error(format!("field '{key}' must be a positive integer"))),
        other => Ok(other),
    }
}

fn parse_wait(fields: &Fields<'_>) -> Result<WaitState, DefinitionError> {
    let present: Vec<&str> = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
        .into_iter()
        .filter(|key| fields.get(key).is_some())
        .collect();
    if present.len() != 1 {
        return Err(fields.error(
            "exactly one of the fields 'Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath' is required",
        ));
    }
    Ok(match present[0] {
        "Seconds" => WaitState::Seconds(
            fields
                .opt_u64("Seconds")?
                .ok_or_else(|| fields.error("field 'Seconds' is required"))?,
        ),
        "Timestamp" => {
            let text = fields.req_str("Timestamp")?;
            WaitState::Timestamp(crate::choice::parse_timestamp(text).ok_or_else(|| {
                fields.error(format!(
                    "field 'Timestamp': '{text}' is not an RFC 3339 timestamp"
                ))
            })?)
        }
        "SecondsPath" => WaitState::SecondsPath(
            fields
                .data_path("SecondsPath")?
                .ok_or_else(|| fields.error("field 'SecondsPath' is required"))?,
        ),
        _ => WaitState::TimestampPath(
            fields
                .data_path("TimestampPath")?
                .ok_or_else(|| fields.error("field 'TimestampPath' is required"))?,
        ),
    })
}

fn parse_fail(fields: &Fields<'_>) -> Result<FailState, DefinitionError> {
    let text = |literal: &str, dynamic: &str| -> Result<Option<FailText>, DefinitionError> {
        match (fields.opt_str(literal)?, fields.opt_str(dynamic)?) {
            (Some(_), Some(_)) => Err(fields.error(format!(
                "fields '{literal}' and '{dynamic}' cannot both be set"
            ))),
            (Some(text), None) => Ok(Some(FailText::Literal(text.to_string()))),
            (None, Some(expression)) if expression.starts_with("States.") => {
                Intrinsic::parse(expression)
                    .map(|call| Some(FailText::Intrinsic(call)))
                    .map_err(|e| fields.error(format!("field '{dynamic}': {e}")))
            }
            (None, Some(expression)) => DataPath::parse(expression)
                .map(|path| Some(FailText::Path(path)))
                .map_err(|e| fields.error(format!("field '{dynamic}': {e}"))),
            (None, None) => Ok(None),
        }
    };
    Ok(FailState {
        error: text("Error", "ErrorPath")?,
        cause: text("Cause", "CausePath")?,
    })
}

fn parse_choice(fields: &Fields<'_>) -> Result<ChoiceState, DefinitionError> {
    let rules = fields
        .get("Choices")
        .and_then(Value::as_array)
        .filter(|choices| !choices.is_empty())
        .ok_or_else(|| fields.error("field 'Choices' is required and must be a non-empty array"))?;
    let mut choices = Vec::with_capacity(rules.len());
    for (index, rule) in rules.iter().enumerate() {
        let location = format!("{} Choices[{index}]", fields.location);
        let (rule, next) = ChoiceRule::parse_top(rule, &location)?;
        choices.push((rule, next));
    }
    Ok(ChoiceState {
        choices,
        default: fields.opt_str("Default")?.map(str::to_string),
    })
}

fn parse_map(
    fields: &Fields<'_>,
    names_seen: &mut HashSet<String>,
) -> Result<MapState, DefinitionError> {
    let (key, processor_value) = match (fields.get("ItemProcessor"), fields.get("Iterator")) {
        (Some(_), Some(_)) => {
            return Err(fields.error("fields 'ItemProcessor' and 'Iterator' cannot both be set"))
        }
        (Some(processor), None) => ("ItemProcessor", processor),
        (None, Some(iterator)) => ("Iterator", iterator),
        (None, None) => {
            return Err(fields.error("field 'ItemProcessor' (or 'Iterator') is required"))
        }
    };
    let processor_location = format!("{} {key}", fields.location);
    let processor_object = processor_value
        .as_object()
        .ok_or_else(|| DefinitionError::at(&processor_location, "must be an object"))?;
    let processor_fields = Fields::new(processor_location.clone(), processor_object);
    processor_fields.check_allowed(&[
        "StartAt",
        "States",
        "Comment",
        "ProcessorConfig",
        "QueryLanguage",
    ])?;
    processor_fields.check_query_language()?;
    if let Some(config) = processor_fields.get("ProcessorConfig") {
        let config_object = config
            .as_object()
            .ok_or_else(|| processor_fields.error("field 'ProcessorConfig' must be an object"))?;
        let config_fields = Fields::new(
            format!("{processor_location} ProcessorConfig"),
            config_object,
        );
        config_fields.check_allowed(&["Mode", "ExecutionType"])?;
        match config_fields.opt_str("Mode")? {
            None | Some("INLINE") => {}
            Some(other) => {
                return Err(config_fields.error(format!(
                    "field 'Mode' refused: '{other}' is not supported (only INLINE; distributed Map is not supported)"
                )))
            }
        }
        if config_fields.get("ExecutionType").is_some() {
            return Err(config_fields
                .error("field 'ExecutionType' refused: distributed Map is not supported"));
        }
    }
    let processor = StateList::parse(processor_object, &processor_location, names_seen)?;
    let item_selector = match (
        fields.template("ItemSelector")?,
        fields.template("Parameters")?,
    ) {
        (Some(_), Some(_)) => {
            return Err(fields.error("fields 'ItemSelector' and 'Parameters' cannot both be set"))
        }
        (selector, parameters) => selector.or(parameters),
    };
    let max_concurrency = fields.opt_u64("MaxConcurrency")?.unwrap_or(0);
    Ok(MapState {
        processor,
        items_path: fields.data_path("ItemsPath")?,
        item_selector,
        max_concurrency: usize::try_from(max_concurrency).unwrap_or(usize::MAX),
        result_selector: fields.template("ResultSelector")?,
        result_path: fields.result_path("ResultPath")?,
        retry: parse_retriers(fields)?,
        catch: parse_catchers(fields)?,
    })
}

fn error_equals(fields: &Fields<'_>, is_last: bool) -> Result<Vec<String>, DefinitionError> {
    let names_value = fields
        .get("ErrorEquals")
        .and_then(Value::as_array)
        .filter(|names| !names.is_empty())
        .ok_or_else(|| {
            fields.error("field 'ErrorEquals' is required and must be a non-empty array")
        })?;
    let mut error_names = Vec::with_capacity(names_value.len());
    for name in names_value {
        let name = name
            .as_str()
            .ok_or_else(|| fields.error("field 'ErrorEquals' must contain strings"))?;
        error_names.push(name.to_string());
    }
    if error_names.iter().any(|name| name == names::ALL) {
        if error_names.len() != 1 {
            return Err(fields.error("field 'ErrorEquals': States.ALL must appear alone"));
        }
        if !is_last {
            return Err(
                fields.error("field 'ErrorEquals': States.ALL must be in the last retrier/catcher")
            );
        }
    }
    Ok(error_names)
}

fn parse_retriers(fields: &Fields<'_>) -> Result<Vec<Retrier>, DefinitionError> {
    let items = fields.object_array("Retry")?;
    let count = items.len();
    let mut retriers = Vec::with_capacity(count);
    for (index, retrier) in items.into_iter().enumerate() {
        retrier.check_allowed(&[
            "ErrorEquals",
            "IntervalSeconds",
            "MaxAttempts",
            "BackoffRate",
            "MaxDelaySeconds",
            "JitterStrategy",
            "Comment",
        ])?;
        let interval_seconds = retrier.opt_u64("IntervalSeconds")?.unwrap_or(1);
        if interval_seconds == 0 {
            return Err(retrier.error("field 'IntervalSeconds' must be a positive integer"));
        }
        let max_attempts = retrier.opt_u64("MaxAttempts")?.unwrap_or(3);
        let backoff_rate = retrier.opt_f64("BackoffRate")?.unwrap_or(2.0);
        if backoff_rate < 1.0 {
            return Err(retrier.error("field 'BackoffRate' must be at least 1.0"));
        }
        let max_delay_seconds = match retrier.opt_u64("MaxDelaySeconds")? {
            Some(0) => {
                return Err(retrier.error("field 'MaxDelaySeconds' must be a positive integer"))
            }
            other => other,
        };
        let full_jitter = match retrier.opt_str("JitterStrategy")? {
            None | Some("NONE") => false,
            Some("FULL") => true,
            Some(other) => {
                return Err(retrier.error(format!(
                    "field 'JitterStrategy': '{other}' is not FULL or NONE"
                )))
            }
        };
        retriers.push(Retrier {
            error_equals: error_equals(&retrier, index + 1 == count)?,
            interval_seconds: interval_seconds as f64,
            max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
            backoff_rate,
            max_delay_seconds: max_delay_seconds.map(|s| s as f64),
            full_jitter,
        });
    }
    Ok(retriers)
}

fn parse_catchers(fields: &Fields<'_>) -> Result<Vec<Catcher>, DefinitionError> {
    let items = fields.object_array("Catch")?;
    let count = items.len();
    let mut catchers = Vec::with_capacity(count);
    for (index, catcher) in items.into_iter().enumerate() {
        catcher.check_allowed(&["ErrorEquals", "Next", "ResultPath", "Comment"])?;
        catchers.push(Catcher {
            error_equals: error_equals(&catcher, index + 1 == count)?,
            next: catcher.req_str("Next")?.to_string(),
            result_path: catcher.result_path("ResultPath")?,
        });
    }
    Ok(catchers)
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
