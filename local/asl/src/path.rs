//! JSONPath handling with AWS semantics: data paths (`$…`), context paths (`$$…`),
//! reference paths for ResultPath, and payload templates (Parameters, ResultSelector,
//! ItemSelector) with `.$` keys and intrinsic functions.

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use crate::error::{names, runtime, StateError, TaskError};
use crate::intrinsics::Intrinsic;

/// A compiled `$…` or `$$…` path.
#[derive(Debug, Clone)]
pub(crate) struct DataPath {
    text: String,
    compiled: JsonPath,
    /// `$$…`: evaluated against the context object instead of the state's data.
    context: bool,
    /// A definite path selects one node; an indefinite one (wildcards, filters, slices,
    /// unions, descendants) always yields an array, as in Step Functions.
    definite: bool,
}

impl DataPath {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let (context, data_path) = match text.strip_prefix("$$") {
            Some(rest) => (true, format!("${rest}")),
            None => (false, text.to_string()),
        };
        if !data_path.starts_with('$') {
            return Err(format!("'{text}' is not a JSONPath (must start with '$')"));
        }
        let compiled =
            JsonPath::parse(&data_path).map_err(|e| format!("invalid JSONPath '{text}': {e}"))?;
        Ok(Self {
            text: text.to_string(),
            compiled,
            context,
            definite: is_definite(&data_path),
        })
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Selects from `data` (or the context object for `$$` paths). A definite path that
    /// matches nothing is `None`.
    pub(crate) fn select(&self, data: &Value, context: &Value) -> Option<Value> {
        let target = if self.context { context } else { data };
        let nodes = self.compiled.query(target);
        if self.definite {
            nodes.first().map(|v| (*v).clone())
        } else {
            Some(Value::Array(nodes.all().into_iter().cloned().collect()))
        }
    }

    /// Like `select`, but a missing node is the given error.
    pub(crate) fn select_or(
        &self,
        data: &Value,
        context: &Value,
        error: &str,
        what: &str,
    ) -> Result<Value, StateError> {
        self.select(data, context).ok_or_else(|| {
            TaskError::new(
                error,
                format!(
                    "Invalid path '{}' in {what}: the path did not match anything in the input",
                    self.text
                ),
            )
        })
    }
}

fn is_definite(path: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut previous = '\0';
    for c in path.chars() {
        match quote {
            Some(q) => {
                if c == q && previous != '\\' {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '*' | '?' | ':' | ',' => return false,
                '.' if previous == '.' => return false,
                _ => {}
            },
        }
        previous = c;
    }
    true
}

/// InputPath / OutputPath: absent means `$`, JSON null means "discard: use {}".
#[derive(Debug, Clone)]
pub(crate) enum FilterPath {
    Everything,
    Discard,
    Path(DataPath),
}

impl FilterPath {
    pub(crate) fn apply(
        &self,
        value: &Value,
        context: &Value,
        field: &str,
    ) -> Result<Value, StateError> {
        match self {
            FilterPath::Everything => Ok(value.clone()),
            FilterPath::Discard => Ok(Value::Object(Map::new())),
            FilterPath::Path(path) => path.select_or(value, context, names::RUNTIME, field),
        }
    }
}

/// One step of a ResultPath reference path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Segment {
    Field(String),
    Index(usize),
}

/// ResultPath: `$` (replace), null (discard the result, keep the input), or a reference
/// path such as `$.a.b` whose missing objects are created.
#[derive(Debug, Clone)]
pub(crate) enum ResultPath {
    Replace,
    Discard,
    At {
        text: String,
        segments: Vec<Segment>,
    },
}

impl ResultPath {
    pub(crate) fn parse(value: Option<&Value>) -> Result<Self, String> {
        match value {
            None => Ok(ResultPath::Replace),
            Some(Value::Null) => Ok(ResultPath::Discard),
            Some(Value::String(text)) => {
                let segments = parse_reference_path(text)?;
                if segments.is_empty() {
                    Ok(ResultPath::Replace)
                } else {
                    Ok(ResultPath::At {
                        text: text.clone(),
                        segments,
                    })
                }
            }
            Some(other) => Err(format!("must be a string or null, got {other}")),
        }
    }

    /// Combines the state's input with its result.
    pub(crate) fn apply(&self, input: &Value, result: Value) -> Result<Value, StateError> {
        match self {
            ResultPath::Replace => Ok(result),
            ResultPath::Discard => Ok(input.clone()),
            ResultPath::At { text, segments } => {
                let mut output = input.clone();
                set_at(&mut output, segments, result).map_err(|reason| {
                    TaskError::new(
                        names::RESULT_PATH_MATCH_FAILURE,
                        format!("Unable to apply ResultPath '{text}' to the input: {reason}"),
                    )
                })?;
                Ok(output)
            }
        }
    }
}

fn parse_reference_path(text: &str) -> Result<Vec<Segment>, String> {
    let invalid = |why: &str| format!("invalid reference path '{text}': {why}");
    let rest = text
        .strip_prefix('$')
        .ok_or_else(|| invalid("must start with '$'"))?;
    if rest.starts_with('$') {
        return Err(invalid("a context path cannot be a ResultPath"));
    }
    let chars: Vec<char> = rest.chars().collect();
    let mut segments = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
                    end += 1;
                }
                let name: String = chars[start..end].iter().collect();
                if name.is_empty() || name == "*" {
                    return Err(invalid("expected a field name after '.'"));
                }
                segments.push(Segment::Field(name));
                i = end;
            }
            '[' => {
                let close = chars[i..]
                    .iter()
                    .position(|c| *c == ']')
                    .map(|p| p + i)
                    .ok_or_else(|| invalid("unclosed '['"))?;
                let inner: String = chars[i + 1..close].iter().collect();
                let inner = inner.trim();
                if let Some(quoted) = inner
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                {
                    segments.push(Segment::Field(quoted.to_string()));
                } else if let Ok(index) = inner.parse::<usize>() {
                    segments.push(Segment::Index(index));
                } else {
                    return Err(invalid("only field names and array indexes are allowed"));
                }
                i = close + 1;
            }
            _ => return Err(invalid("expected '.' or '['")),
        }
    }
    Ok(segments)
}

fn set_at(target: &mut Value, segments: &[Segment], result: Value) -> Result<(), String> {
    let Some((first, rest)) = segments.split_first() else {
        *target = result;
        return Ok(());
    };
    match first {
        Segment::Field(name) => {
            let object = target
                .as_object_mut()
                .ok_or_else(|| format!("'{name}' cannot be set on a non-object value"))?;
            let slot = object
                .entry(name.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !rest.is_empty() && !slot.is_object() && !slot.is_array() {
                *slot = Value::Object(Map::new());
            }
            set_at(slot, rest, result)
        }
        Segment::Index(index) => {
            let array = target
                .as_array_mut()
                .ok_or_else(|| format!("index {index} cannot be set on a non-array value"))?;
            let slot = array
                .get_mut(*index)
                .ok_or_else(|| format!("index {index} is out of bounds"))?;
            set_at(slot, rest, result)
        }
    }
}

/// A payload template (Parameters, ResultSelector, ItemSelector), compiled at load time.
#[derive(Debug, Clone)]
pub(crate) enum Template {
    Literal(Value),
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
    Path(DataPath),
    Intrinsic(Intrinsic),
}

impl Template {
    pub(crate) fn compile(value: &Value) -> Result<Self, String> {
        match value {
            Value::Object(map) => {
                let mut fields = Vec::with_capacity(map.len());
                for (key, field) in map {
                    if let Some(name) = key.strip_suffix(".$") {
                        let Value::String(expression) = field else {
                            return Err(format!(
                                "'{key}' ends with '.$' so its value must be a path or intrinsic function string"
                            ));
                        };
                        let compiled = if expression.starts_with('$') {
                            Template::Path(
                                DataPath::parse(expression).map_err(|e| format!("'{key}': {e}"))?,
                            )
                        } else if expression.starts_with("States.") {
                            Template::Intrinsic(
                                Intrinsic::parse(expression)
                                    .map_err(|e| format!("'{key}': {e}"))?,
                            )
                        } else {
                            return Err(format!(
                                "'{key}': '{expression}' is neither a JSONPath nor an intrinsic function"
                            ));
                        };
                        fields.push((name.to_string(), compiled));
                    } else {
                        fields.push((key.clone(), Template::compile(field)?));
                    }
                }
                Ok(Template::Object(fields))
            }
            Value::Array(items) => Ok(Template::Array(
                items
                    .iter()
                    .map(Template::compile)
                    .collect::<Result<_, _>>()?,
            )),
            other => Ok(Template::Literal(other.clone())),
        }
    }

    pub(crate) fn render(&self, data: &Value, context: &Value) -> Result<Value, StateError> {
        match self {
            Template::Literal(value) => Ok(value.clone()),
            Template::Object(fields) => {
                let mut map = Map::new();
                for (name, field) in fields {
                    map.insert(name.clone(), field.render(data, context)?);
                }
                Ok(Value::Object(map))
            }
            Template::Array(items) => items
                .iter()
                .map(|item| item.render(data, context))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Template::Path(path) => path.select(data, context).ok_or_else(|| {
                runtime(format!(
                    "The JSONPath '{}' specified for the field could not be found in the input",
                    path.text()
                ))
            }),
            Template::Intrinsic(function) => function.evaluate(data, context),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reference_paths_parse_dot_and_bracket_forms() {
        // GIVEN dot and bracket notations WHEN parsed THEN both give field segments
        assert_eq!(
            parse_reference_path("$.a['b c'][2]").unwrap(),
            vec![
                Segment::Field("a".into()),
                Segment::Field("b c".into()),
                Segment::Index(2)
            ]
        );
        assert!(parse_reference_path("$.a.*").is_err());
        assert!(parse_reference_path("$$.Execution").is_err());
    }

    #[test]
    fn indefinite_paths_yield_arrays_and_definite_paths_single_values() {
        // GIVEN a document WHEN selecting definite and indefinite paths
        let data = json!({"a": [{"x": 1}, {"x": 2}]});
        let definite = DataPath::parse("$.a[0].x").unwrap();
        let wildcard = DataPath::parse("$.a[*].x").unwrap();
        let missing = DataPath::parse("$.nope").unwrap();
        // THEN definite gives the value, indefinite gives an array, a miss gives None
        assert_eq!(definite.select(&data, &json!({})), Some(json!(1)));
        assert_eq!(wildcard.select(&data, &json!({})), Some(json!([1, 2])));
        assert_eq!(missing.select(&data, &json!({})), None);
    }

    #[test]
    fn result_path_creates_missing_objects_and_rejects_non_objects() {
        // GIVEN a nested ResultPath WHEN applied THEN intermediate objects are created
        let path = ResultPath::parse(Some(&json!("$.a.b.c"))).unwrap();
        assert_eq!(
            path.apply(&json!({"k": 1}), json!(5)).unwrap(),
            json!({"k": 1, "a": {"b": {"c": 5}}})
        );
        // AND a scalar input cannot take a field: States.ResultPathMatchFailure
        let error = path.apply(&json!(3), json!(5)).unwrap_err();
        assert_eq!(error.error, names::RESULT_PATH_MATCH_FAILURE);
    }
}
