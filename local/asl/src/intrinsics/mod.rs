//! Intrinsic functions (`States.Format(...)` etc.): a recursive-descent parser run at load
//! time (`parser.rs`) and an evaluator run when the payload template is rendered. This file
//! holds the call, its arguments and the dispatch to one function per intrinsic, grouped by
//! family: `array.rs`, `json.rs`, `math.rs`, `text.rs`.

mod array;
mod json;
mod math;
mod parser;
mod text;

use serde_json::{Map, Value};

use crate::error::{intrinsic_failure, StateError};
use crate::path::DataPath;
use parser::Parser;

/// A parsed intrinsic function call.
#[derive(Debug, Clone)]
pub(crate) struct Intrinsic {
    function: Function,
    arguments: Vec<Argument>,
}

#[derive(Debug, Clone)]
enum Argument {
    /// A string literal; `raw` keeps `\{` / `\}` escapes so States.Format can tell
    /// escaped braces from placeholders.
    Text {
        value: String,
        raw: String,
    },
    Literal(Value),
    Path(DataPath),
    Call(Box<Intrinsic>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl Function {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "States.Format" => Self::Format,
            "States.StringToJson" => Self::StringToJson,
            "States.JsonToString" => Self::JsonToString,
            "States.Array" => Self::Array,
            "States.ArrayPartition" => Self::ArrayPartition,
            "States.ArrayContains" => Self::ArrayContains,
            "States.ArrayRange" => Self::ArrayRange,
            "States.ArrayGetItem" => Self::ArrayGetItem,
            "States.ArrayLength" => Self::ArrayLength,
            "States.ArrayUnique" => Self::ArrayUnique,
            "States.Base64Encode" => Self::Base64Encode,
            "States.Base64Decode" => Self::Base64Decode,
            "States.Hash" => Self::Hash,
            "States.JsonMerge" => Self::JsonMerge,
            "States.MathRandom" => Self::MathRandom,
            "States.MathAdd" => Self::MathAdd,
            "States.StringSplit" => Self::StringSplit,
            "States.UUID" => Self::Uuid,
            _ => return None,
        })
    }

    /// Allowed argument counts (inclusive).
    fn arity(self) -> (usize, usize) {
        match self {
            Self::Format => (1, usize::MAX),
            Self::Array => (0, usize::MAX),
            Self::StringToJson
            | Self::JsonToString
            | Self::ArrayLength
            | Self::ArrayUnique
            | Self::Base64Encode
            | Self::Base64Decode => (1, 1),
            Self::ArrayPartition
            | Self::ArrayContains
            | Self::ArrayGetItem
            | Self::Hash
            | Self::MathAdd
            | Self::StringSplit => (2, 2),
            Self::ArrayRange | Self::JsonMerge => (3, 3),
            Self::MathRandom => (2, 3),
            Self::Uuid => (0, 0),
        }
    }
}

impl Intrinsic {
    /// Parses a whole expression such as `States.Format('{}', $.a)`.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut parser = Parser {
            chars: text.chars().collect(),
            position: 0,
        };
        let call = parser
            .call()
            .map_err(|e| format!("invalid intrinsic function '{text}': {e}"))?;
        parser.skip_spaces();
        if parser.position != parser.chars.len() {
            return Err(format!(
                "invalid intrinsic function '{text}': unexpected text after the call at position {}",
                parser.position
            ));
        }
        Ok(call)
    }

    pub(crate) fn evaluate(&self, data: &Value, context: &Value) -> Result<Value, StateError> {
        let values = self
            .arguments
            .iter()
            .map(|argument| argument.evaluate(data, context))
            .collect::<Result<Vec<_>, _>>()?;
        match self.function {
            Function::Format => {
                let template = match &self.arguments[0] {
                    Argument::Text { raw, .. } => raw.clone(),
                    _ => expect_string(&values[0], "States.Format", 1)?.to_string(),
                };
                text::format(&template, &values[1..])
            }
            Function::StringToJson => json::string_to_json(&values),
            Function::JsonToString => Ok(Value::String(values[0].to_string())),
            Function::Array => Ok(Value::Array(values)),
            Function::ArrayPartition => array::partition(&values),
            Function::ArrayContains => array::contains(&values),
            Function::ArrayRange => array::range(&values),
            Function::ArrayGetItem => array::get_item(&values),
            Function::ArrayLength => array::length(&values),
            Function::ArrayUnique => array::unique(&values),
            Function::Base64Encode => text::base64_encode(&values),
            Function::Base64Decode => text::base64_decode(&values),
            Function::Hash => text::hash(&values),
            Function::JsonMerge => json::merge(&values),
            Function::MathRandom => math::random(&values),
            Function::MathAdd => math::add(&values),
            Function::StringSplit => text::split(&values),
            Function::Uuid => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
        }
    }
}

impl Argument {
    fn evaluate(&self, data: &Value, context: &Value) -> Result<Value, StateError> {
        match self {
            Argument::Text { value, .. } => Ok(Value::String(value.clone())),
            Argument::Literal(value) => Ok(value.clone()),
            Argument::Path(path) => path.select(data, context).ok_or_else(|| {
                intrinsic_failure(format!(
                    "The JSONPath '{}' in an intrinsic function argument could not be found in the input",
                    path.text()
                ))
            }),
            Argument::Call(call) => call.evaluate(data, context),
        }
    }
}

fn type_error(function: &str, position: usize, expected: &str, got: &Value) -> StateError {
    intrinsic_failure(format!(
        "{function}: argument {position} must be {expected}, got {got}"
    ))
}

fn expect_string<'a>(
    value: &'a Value,
    function: &str,
    position: usize,
) -> Result<&'a str, StateError> {
    value
        .as_str()
        .ok_or_else(|| type_error(function, position, "a string", value))
}

fn expect_array<'a>(
    value: &'a Value,
    function: &str,
    position: usize,
) -> Result<&'a Vec<Value>, StateError> {
    value
        .as_array()
        .ok_or_else(|| type_error(function, position, "an array", value))
}

fn expect_object<'a>(
    value: &'a Value,
    function: &str,
    position: usize,
) -> Result<&'a Map<String, Value>, StateError> {
    value
        .as_object()
        .ok_or_else(|| type_error(function, position, "an object", value))
}

fn expect_integer(value: &Value, function: &str, position: usize) -> Result<i64, StateError> {
    let integer = match value {
        Value::Number(number) => number.as_i64().or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        _ => None,
    };
    integer.ok_or_else(|| type_error(function, position, "an integer", value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(expression: &str, data: Value) -> Result<Value, StateError> {
        Intrinsic::parse(expression)
            .expect("parses")
            .evaluate(&data, &json!({"Execution": {"Name": "run-1"}}))
    }

    #[test]
    fn format_fills_placeholders_and_keeps_escaped_braces() {
        // GIVEN a template with escaped braces and mixed arguments
        let result = eval(
            r"States.Format('Hello \{literal\}, {} is {} ({})', $.name, 42, $$.Execution.Name)",
            json!({"name": "Ada"}),
        );
        // THEN placeholders are filled in order and escaped braces stay literal
        assert_eq!(result.unwrap(), json!("Hello {literal}, Ada is 42 (run-1)"));
        // AND a placeholder/argument count mismatch is States.IntrinsicFailure
        let error = eval("States.Format('{} {}', 1)", json!({})).unwrap_err();
        assert_eq!(error.error, "States.IntrinsicFailure");
    }

    #[test]
    fn format_keeps_escaped_quotes() {
        assert_eq!(
            eval(r"States.Format('it\'s {}', 'ok')", json!({})).unwrap(),
            json!("it's ok")
        );
    }

    #[test]
    fn json_string_conversions_round_trip() {
        let data = json!({"s": "{\"a\":[1,2]}", "o": {"b": true}});
        assert_eq!(
            eval("States.StringToJson($.s)", data.clone()).unwrap(),
            json!({"a": [1, 2]})
        );
        assert_eq!(
            eval("States.JsonToString($.o)", data).unwrap(),
            json!("{\"b\":true}")
        );
    }

    #[test]
    fn array_functions_follow_aws_examples() {
        let data = json!({"a": [1, 2, 3, 4, 5, 6, 7], "d": [1, 2, 2, 3, 1]});
        assert_eq!(
            eval("States.Array('a', 1, true, null, $.d[0])", data.clone()).unwrap(),
            json!(["a", 1, true, null, 1])
        );
        assert_eq!(
            eval("States.ArrayPartition($.a, 4)", data.clone()).unwrap(),
            json!([[1, 2, 3, 4], [5, 6, 7]])
        );
        assert_eq!(
            eval("States.ArrayContains($.a, 5)", data.clone()).unwrap(),
            json!(true)
        );
        assert_eq!(
            eval("States.ArrayContains($.a, 9)", data.clone()).unwrap(),
            json!(false)
        );
        assert_eq!(
            eval("States.ArrayRange(1, 9, 2)", data.clone()).unwrap(),
            json!([1, 3, 5, 7, 9])
        );
        assert_eq!(
            eval("States.ArrayRange(5, 1, -2)", data.clone()).unwrap(),
            json!([5, 3, 1])
        );
        assert_eq!(
            eval("States.ArrayGetItem($.a, 5)", data.clone()).unwrap(),
            json!(6)
        );
        assert_eq!(
            eval("States.ArrayLength($.a)", data.clone()).unwrap(),
            json!(7)
        );
        assert_eq!(
            eval("States.ArrayUnique($.d)", data.clone()).unwrap(),
            json!([1, 2, 3])
        );
        assert_eq!(
            eval("States.ArrayGetItem($.a, 7)", data).unwrap_err().error,
            "States.IntrinsicFailure"
        );
        assert!(eval("States.ArrayRange(0, 5000, 1)", json!({})).is_err());
    }

    #[test]
    fn base64_round_trip() {
        assert_eq!(
            eval("States.Base64Encode('Data to encode')", json!({})).unwrap(),
            json!("RGF0YSB0byBlbmNvZGU=")
        );
        assert_eq!(
            eval("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", json!({})).unwrap(),
            json!("Data to encode")
        );
        assert_eq!(
            eval(
                "States.Base64Decode(States.Base64Encode($.x))",
                json!({"x": "héllo"})
            )
            .unwrap(),
            json!("héllo")
        );
    }

    #[test]
    fn hash_supports_common_algorithms_and_refuses_others() {
        // Reference digests of "abc" from the FIPS / RFC 1321 test vectors.
        assert_eq!(
            eval("States.Hash('abc', 'MD5')", json!({})).unwrap(),
            json!("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(
            eval("States.Hash('abc', 'SHA-1')", json!({})).unwrap(),
            json!("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(
            eval("States.Hash('abc', 'SHA-256')", json!({})).unwrap(),
            json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            eval("States.Hash('abc', 'CRC32')", json!({}))
                .unwrap_err()
                .error,
            "States.IntrinsicFailure"
        );
    }

    #[test]
    fn json_merge_is_shallow_and_refuses_deep_mode() {
        let data = json!({"a": {"x": 1, "n": {"p": 1}}, "b": {"y": 2, "n": {"q": 2}}});
        assert_eq!(
            eval("States.JsonMerge($.a, $.b, false)", data.clone()).unwrap(),
            json!({"x": 1, "y": 2, "n": {"q": 2}})
        );
        assert!(eval("States.JsonMerge($.a, $.b, true)", data).is_err());
    }

    #[test]
    fn math_functions() {
        assert_eq!(
            eval("States.MathAdd($.v, -3)", json!({"v": 111})).unwrap(),
            json!(108)
        );
        let seeded_a = eval("States.MathRandom(1, 100, 7)", json!({})).unwrap();
        let seeded_b = eval("States.MathRandom(1, 100, 7)", json!({})).unwrap();
        assert_eq!(seeded_a, seeded_b, "a seed makes the result repeatable");
        for _ in 0..50 {
            let n = eval("States.MathRandom(5, 8)", json!({}))
                .unwrap()
                .as_i64()
                .unwrap();
            assert!((5..8).contains(&n));
        }
    }

    #[test]
    fn string_split_and_uuid() {
        assert_eq!(
            eval(
                "States.StringSplit('This.is+a,test=string', '.+,=')",
                json!({})
            )
            .unwrap(),
            json!(["This", "is", "a", "test", "string"])
        );
        let id = eval("States.UUID()", json!({})).unwrap();
        assert!(uuid::Uuid::parse_str(id.as_str().unwrap()).is_ok());
    }

    #[test]
    fn parser_refuses_unknown_functions_and_wrong_arity() {
        assert!(Intrinsic::parse("States.Nope(1)")
            .unwrap_err()
            .contains("unknown function"));
        assert!(Intrinsic::parse("States.ArrayLength(1, 2)")
            .unwrap_err()
            .contains("takes 1"));
        assert!(Intrinsic::parse("States.UUID() trailing").is_err());
    }

    #[test]
    fn missing_path_argument_is_intrinsic_failure() {
        assert_eq!(
            eval("States.ArrayLength($.missing)", json!({}))
                .unwrap_err()
                .error,
            "States.IntrinsicFailure"
        );
    }
}
