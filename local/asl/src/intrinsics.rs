//! Intrinsic functions (`States.Format(...)` etc.): a recursive-descent parser run at load
//! time and an evaluator run when the payload template is rendered.

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use crate::error::{intrinsic_failure, StateError};
use crate::path::DataPath;

/// The most items States.ArrayRange may produce (AWS limit).
const ARRAY_RANGE_LIMIT: usize = 1000;
/// The longest input States.Base64Encode/Decode and States.Hash accept (AWS limit).
const ENCODING_INPUT_LIMIT: usize = 10_000;

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
                format(&template, &values[1..])
            }
            Function::StringToJson => {
                let text = expect_string(&values[0], "States.StringToJson", 1)?;
                serde_json::from_str(text).map_err(|e| {
                    intrinsic_failure(format!("States.StringToJson: invalid JSON '{text}': {e}"))
                })
            }
            Function::JsonToString => Ok(Value::String(values[0].to_string())),
            Function::Array => Ok(Value::Array(values)),
            Function::ArrayPartition => {
                let array = expect_array(&values[0], "States.ArrayPartition", 1)?;
                let size = expect_integer(&values[1], "States.ArrayPartition", 2)?;
                if size <= 0 {
                    return Err(intrinsic_failure(
                        "States.ArrayPartition: the chunk size must be a positive integer",
                    ));
                }
                let chunk = usize::try_from(size).unwrap_or(usize::MAX);
                Ok(Value::Array(
                    array
                        .chunks(chunk)
                        .map(|part| Value::Array(part.to_vec()))
                        .collect(),
                ))
            }
            Function::ArrayContains => {
                let array = expect_array(&values[0], "States.ArrayContains", 1)?;
                Ok(Value::Bool(array.contains(&values[1])))
            }
            Function::ArrayRange => {
                let start = expect_integer(&values[0], "States.ArrayRange", 1)?;
                let end = expect_integer(&values[1], "States.ArrayRange", 2)?;
                let step = expect_integer(&values[2], "States.ArrayRange", 3)?;
                array_range(start, end, step)
            }
            Function::ArrayGetItem => {
                let array = expect_array(&values[0], "States.ArrayGetItem", 1)?;
                let index = expect_integer(&values[1], "States.ArrayGetItem", 2)?;
                usize::try_from(index)
                    .ok()
                    .and_then(|i| array.get(i))
                    .cloned()
                    .ok_or_else(|| {
                        intrinsic_failure(format!(
                            "States.ArrayGetItem: index {index} is out of bounds for an array of {} items",
                            array.len()
                        ))
                    })
            }
            Function::ArrayLength => {
                let array = expect_array(&values[0], "States.ArrayLength", 1)?;
                Ok(Value::from(array.len()))
            }
            Function::ArrayUnique => {
                let array = expect_array(&values[0], "States.ArrayUnique", 1)?;
                let mut unique: Vec<Value> = Vec::with_capacity(array.len());
                for item in array {
                    if !unique.contains(item) {
                        unique.push(item.clone());
                    }
                }
                Ok(Value::Array(unique))
            }
            Function::Base64Encode => {
                let text = expect_string(&values[0], "States.Base64Encode", 1)?;
                check_encoding_limit(text, "States.Base64Encode")?;
                Ok(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
                ))
            }
            Function::Base64Decode => {
                let text = expect_string(&values[0], "States.Base64Decode", 1)?;
                check_encoding_limit(text, "States.Base64Decode")?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .map_err(|e| {
                        intrinsic_failure(format!("States.Base64Decode: invalid base64: {e}"))
                    })?;
                String::from_utf8(bytes).map(Value::String).map_err(|_| {
                    intrinsic_failure("States.Base64Decode: the decoded data is not UTF-8 text")
                })
            }
            Function::Hash => {
                let text = match &values[0] {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                check_encoding_limit(&text, "States.Hash")?;
                let algorithm = expect_string(&values[1], "States.Hash", 2)?;
                hash(&text, algorithm).map(Value::String)
            }
            Function::JsonMerge => {
                let left = expect_object(&values[0], "States.JsonMerge", 1)?;
                let right = expect_object(&values[1], "States.JsonMerge", 2)?;
                match values[2] {
                    Value::Bool(false) => {}
                    Value::Bool(true) => {
                        return Err(intrinsic_failure(
                            "States.JsonMerge: deep merge (true) is not supported by Step Functions; pass false",
                        ))
                    }
                    _ => {
                        return Err(intrinsic_failure(
                            "States.JsonMerge: argument 3 must be the boolean false",
                        ))
                    }
                }
                let mut merged = left.clone();
                for (key, value) in right {
                    merged.insert(key.clone(), value.clone());
                }
                Ok(Value::Object(merged))
            }
            Function::MathRandom => {
                let start = expect_integer(&values[0], "States.MathRandom", 1)?;
                let end = expect_integer(&values[1], "States.MathRandom", 2)?;
                if start >= end {
                    return Err(intrinsic_failure(
                        "States.MathRandom: the start must be lower than the end",
                    ));
                }
                let mut rng = match values.get(2) {
                    Some(seed) => {
                        fastrand::Rng::with_seed(
                            expect_integer(seed, "States.MathRandom", 3)? as u64
                        )
                    }
                    None => fastrand::Rng::new(),
                };
                Ok(Value::from(rng.i64(start..end)))
            }
            Function::MathAdd => {
                let left = expect_integer(&values[0], "States.MathAdd", 1)?;
                let right = expect_integer(&values[1], "States.MathAdd", 2)?;
                left.checked_add(right)
                    .map(Value::from)
                    .ok_or_else(|| intrinsic_failure("States.MathAdd: the sum overflows"))
            }
            Function::StringSplit => {
                let text = expect_string(&values[0], "States.StringSplit", 1)?;
                let delimiters = expect_string(&values[1], "States.StringSplit", 2)?;
                Ok(Value::Array(
                    text.split(|c: char| delimiters.contains(c))
                        .filter(|part| !part.is_empty())
                        .map(|part| Value::String(part.to_string()))
                        .collect(),
                ))
            }
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

fn format(template: &str, arguments: &[Value]) -> Result<Value, StateError> {
    let mut output = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    let mut next_argument = 0;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => output.push(escaped),
                None => output.push('\\'),
            },
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                let argument = arguments.get(next_argument).ok_or_else(|| {
                    intrinsic_failure(
                        "States.Format: the template has more {} placeholders than arguments",
                    )
                })?;
                match argument {
                    Value::String(text) => output.push_str(text),
                    Value::Object(_) | Value::Array(_) => {
                        return Err(intrinsic_failure(
                            "States.Format: arguments must be strings, numbers, booleans or null",
                        ))
                    }
                    other => output.push_str(&other.to_string()),
                }
                next_argument += 1;
            }
            other => output.push(other),
        }
    }
    if next_argument != arguments.len() {
        return Err(intrinsic_failure(format!(
            "States.Format: {} arguments were given for {next_argument} placeholders",
            arguments.len()
        )));
    }
    Ok(Value::String(output))
}

fn array_range(start: i64, end: i64, step: i64) -> Result<Value, StateError> {
    if step == 0 {
        return Err(intrinsic_failure("States.ArrayRange: the step cannot be 0"));
    }
    let mut items = Vec::new();
    let mut current = start;
    while (step > 0 && current <= end) || (step < 0 && current >= end) {
        if items.len() == ARRAY_RANGE_LIMIT {
            return Err(intrinsic_failure(format!(
                "States.ArrayRange: the range has more than {ARRAY_RANGE_LIMIT} items"
            )));
        }
        items.push(Value::from(current));
        match current.checked_add(step) {
            Some(next) => current = next,
            None => break,
        }
    }
    Ok(Value::Array(items))
}

fn hash(text: &str, algorithm: &str) -> Result<String, StateError> {
    use sha2::Digest as _;
    let bytes = text.as_bytes();
    Ok(match algorithm {
        "MD5" => hex::encode(<md5::Md5 as md5::Digest>::digest(bytes)),
        "SHA-1" => hex::encode(<sha1::Sha1 as sha1::Digest>::digest(bytes)),
        "SHA-256" => hex::encode(sha2::Sha256::digest(bytes)),
        "SHA-384" => hex::encode(sha2::Sha384::digest(bytes)),
        "SHA-512" => hex::encode(sha2::Sha512::digest(bytes)),
        other => {
            return Err(intrinsic_failure(format!(
                "States.Hash: unsupported algorithm '{other}' (use MD5, SHA-1, SHA-256, SHA-384 or SHA-512)"
            )))
        }
    })
}

fn check_encoding_limit(text: &str, function: &str) -> Result<(), StateError> {
    if text.chars().count() > ENCODING_INPUT_LIMIT {
        return Err(intrinsic_failure(format!(
            "{function}: the input is longer than {ENCODING_INPUT_LIMIT} characters"
        )));
    }
    Ok(())
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

struct Parser {
    chars: Vec<char>,
    position: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.position).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.position += 1;
        }
    }

    fn expect(&mut self, wanted: char) -> Result<(), String> {
        self.skip_spaces();
        if self.peek() == Some(wanted) {
            self.position += 1;
            Ok(())
        } else {
            Err(format!("expected '{wanted}' at position {}", self.position))
        }
    }

    fn call(&mut self) -> Result<Intrinsic, String> {
        self.skip_spaces();
        let start = self.position;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        {
            self.position += 1;
        }
        let name: String = self.chars[start..self.position].iter().collect();
        let function =
            Function::from_name(&name).ok_or_else(|| format!("unknown function '{name}'"))?;
        self.expect('(')?;
        let mut arguments = Vec::new();
        self.skip_spaces();
        if self.peek() == Some(')') {
            self.position += 1;
        } else {
            loop {
                arguments.push(self.argument()?);
                self.skip_spaces();
                match self.peek() {
                    Some(',') => self.position += 1,
                    Some(')') => {
                        self.position += 1;
                        break;
                    }
                    _ => return Err(format!("expected ',' or ')' at position {}", self.position)),
                }
            }
        }
        let (min, max) = function.arity();
        if arguments.len() < min || arguments.len() > max {
            return Err(format!(
                "{name} takes {} arguments, got {}",
                if min == max {
                    min.to_string()
                } else if max == usize::MAX {
                    format!("at least {min}")
                } else {
                    format!("{min} to {max}")
                },
                arguments.len()
            ));
        }
        Ok(Intrinsic {
            function,
            arguments,
        })
    }

    fn argument(&mut self) -> Result<Argument, String> {
        self.skip_spaces();
        match self.peek() {
            Some('\'') => self.string(),
            Some('$') => self.path(),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(c) if c.is_ascii_alphabetic() => {
                let rest: String = self.chars[self.position..].iter().collect();
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if rest.starts_with(word)
                        && !rest[word.len()..]
                            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '.')
                    {
                        self.position += word.len();
                        return Ok(Argument::Literal(value));
                    }
                }
                Ok(Argument::Call(Box::new(self.call()?)))
            }
            _ => Err(format!(
                "expected an argument at position {}",
                self.position
            )),
        }
    }

    fn string(&mut self) -> Result<Argument, String> {
        self.position += 1; // opening quote
        let mut value = String::new();
        let mut raw = String::new();
        loop {
            match self.peek() {
                None => return Err("unterminated string literal".to_string()),
                Some('\'') => {
                    self.position += 1;
                    return Ok(Argument::Text { value, raw });
                }
                Some('\\') => {
                    let escaped = self
                        .chars
                        .get(self.position + 1)
                        .copied()
                        .ok_or("unterminated escape in string literal")?;
                    self.position += 2;
                    value.push(escaped);
                    // Keep escaped braces and backslashes escaped for States.Format.
                    if matches!(escaped, '{' | '}' | '\\') {
                        raw.push('\\');
                    }
                    raw.push(escaped);
                }
                Some(c) => {
                    self.position += 1;
                    value.push(c);
                    raw.push(c);
                }
            }
        }
    }

    fn number(&mut self) -> Result<Argument, String> {
        let start = self.position;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.position += 1;
        }
        let text: String = self.chars[start..self.position].iter().collect();
        if let Ok(integer) = text.parse::<i64>() {
            return Ok(Argument::Literal(Value::from(integer)));
        }
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(|n| Argument::Literal(Value::Number(n)))
            .ok_or_else(|| format!("invalid number '{text}'"))
    }

    fn path(&mut self) -> Result<Argument, String> {
        let start = self.position;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    '\'' | '"' => quote = Some(c),
                    '[' | '(' => depth += 1,
                    ']' | ')' if depth > 0 => depth -= 1,
                    ',' | ')' if depth == 0 => break,
                    c if c.is_whitespace() && depth == 0 => break,
                    _ => {}
                },
            }
            self.position += 1;
        }
        let text: String = self.chars[start..self.position].iter().collect();
        DataPath::parse(&text).map(Argument::Path)
    }
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
