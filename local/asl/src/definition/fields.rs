//! Reading a definition's JSON objects: typed field access with error messages that name
//! the state and the field, the allowed-field check, and the fields refused on purpose.

use serde_json::{Map, Value};

use crate::error::DefinitionError;
use crate::path::{DataPath, FilterPath, ResultPath, Template};

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

    /// A StartAt + States block nested in a state (a Parallel branch, a Map item
    /// processor), checked for its allowed fields and query language.
    pub(crate) fn block(
        location: String,
        value: &'a Value,
        extra_allowed: &[&str],
    ) -> Result<Self, DefinitionError> {
        let object = value
            .as_object()
            .ok_or_else(|| DefinitionError::at(&location, "must be an object"))?;
        let fields = Self::new(location, object);
        let allowed: Vec<&str> = ["StartAt", "States", "Comment", "QueryLanguage"]
            .iter()
            .chain(extra_allowed)
            .copied()
            .collect();
        fields.check_allowed(&allowed)?;
        fields.check_query_language()?;
        Ok(fields)
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

    /// The required array field `key`, which must not be empty.
    pub(crate) fn non_empty_array(&self, key: &str) -> Result<&'a Vec<Value>, DefinitionError> {
        self.map
            .get(key)
            .and_then(Value::as_array)
            .filter(|items| !items.is_empty())
            .ok_or_else(|| {
                self.error(format!(
                    "field '{key}' is required and must be a non-empty array"
                ))
            })
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

    pub(crate) fn data_path(&self, key: &str) -> Result<Option<DataPath>, DefinitionError> {
        self.opt_str(key)?
            .map(|text| {
                DataPath::parse(text).map_err(|e| self.error(format!("field '{key}': {e}")))
            })
            .transpose()
    }

    pub(crate) fn filter_path(&self, key: &str) -> Result<FilterPath, DefinitionError> {
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

    pub(crate) fn result_path(&self, key: &str) -> Result<ResultPath, DefinitionError> {
        ResultPath::parse(self.map.get(key)).map_err(|e| self.error(format!("field '{key}': {e}")))
    }

    pub(crate) fn template(&self, key: &str) -> Result<Option<Template>, DefinitionError> {
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
