//! JSON as people write it, checked as a careful reader would: a key given twice is refused
//! (the last one silently winning is a trap), deep nesting says so, an object given as an
//! array is refused (serde would read a struct from an array by position, which no person
//! means), and serde's wording becomes words ("expected an object, not an array").

use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Map, Value};

use crate::{words, EmrflowError};

/// Parses `text`, refusing duplicate keys and saying when it is nested too deeply.
pub fn parse_strict(text: &str, what: &str) -> Result<Value, EmrflowError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Checked { path: String::new() }
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value))
        .map_err(|error| {
            let message = if error.to_string().contains("recursion limit exceeded") {
                format!(
                    "is nested too deeply (more than 128 levels of objects and arrays), at line {} column {}",
                    error.line(),
                    error.column()
                )
            } else if error.is_data() {
                error.to_string()
            } else {
                format!("is not JSON: {error}")
            };
            EmrflowError::invalid_input(format!("{what} {message}"))
        })?;
    Ok(value)
}

/// Builds a Value like serde_json's own, but refuses a key that appears twice in one object.
struct Checked {
    path: String,
}

impl<'de> DeserializeSeed<'de> for Checked {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_string()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut values = Vec::new();
        while let Some(value) = items.next_element_seed(Checked {
            path: format!("{}[{}]", self.path, values.len()),
        })? {
            values.push(value);
        }
        Ok(Value::Array(values))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = entries.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "has the {} twice (JSON keeps only one of them silently)",
                    words::key(&path)
                )));
            }
            let value = entries.next_value_seed(Checked { path })?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

/// The key and the known keys of serde's "unknown field" message (`unknown field `X`,
/// expected `A` or `B``, `… expected one of `A`, `B`, `C``, `… there are no fields`).
pub fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, expected) = rest
        .split_once("`, expected ")
        .or_else(|| rest.split_once("`, there are no fields"))
        .unwrap_or((rest.trim_end_matches('`'), ""));
    Some((field.to_string(), names_of(expected)))
}

/// The names serde lists as expected: `A`, `one of `A`, `B``, `A` or `B``.
fn names_of(expected: &str) -> Vec<String> {
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// serde's messages in words a person reads in a console.
pub fn humanize(message: &str) -> String {
    // serde reads a struct from an array by position and complains about its length.
    if message.starts_with("invalid length") && message.contains("expected struct") {
        return "expected an object, not an array".to_string();
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!(
                "expected {}, not {}",
                expected_words(expected),
                found_words(found)
            );
        }
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!(
                "expected {}, not {}",
                expected_words(expected),
                found_words(found)
            );
        }
    }
    if let Some(field) = message.strip_prefix("missing field `") {
        return format!("the {} is missing", words::key(field.trim_end_matches('`')));
    }
    if let Some((field, known)) = unknown_field(message) {
        return words::unknown_key(
            &field,
            &known.iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (value, expected) = rest
            .split_once("`, expected ")
            .unwrap_or((rest.trim_end_matches('`'), ""));
        let known = names_of(expected);
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        return format!(
            "'{value}' is not one of {}{}",
            known.join(", "),
            words::did_you_mean(value, &known)
        );
    }
    message.to_string()
}

fn expected_words(expected: &str) -> String {
    let expected = expected.trim();
    if expected.starts_with("struct ") || expected == "a map" {
        return "an object".to_string();
    }
    match expected {
        "a sequence" => "an array".to_string(),
        "a boolean" => "true or false".to_string(),
        "u32" => "a whole number from 0 to 4294967295".to_string(),
        "u64" => "a whole number of 0 or more".to_string(),
        "a string" => "a string".to_string(),
        "f64" => "a number".to_string(),
        other if other.starts_with("enum ") => "one of the names listed in the README".to_string(),
        other => other.to_string(),
    }
}

fn found_words(found: &str) -> String {
    let found = found.trim();
    let quoted = |prefix: &str| {
        found
            .strip_prefix(prefix)
            .map(|value| value.trim_matches('`').to_string())
    };
    if found == "sequence" {
        "an array".to_string()
    } else if found == "map" {
        "an object".to_string()
    } else if found == "null" || found == "unit value" {
        "null".to_string()
    } else if let Some(text) = found.strip_prefix("string ") {
        format!("the string {text}")
    } else if let Some(number) = quoted("integer ").or_else(|| quoted("floating point ")) {
        format!("the number {number}")
    } else if let Some(value) = quoted("boolean ") {
        value
    } else {
        found.to_string()
    }
}

/// Turns a serde error that knows the path of the offending value into InvalidInput naming it.
pub(crate) fn invalid_at_path<E: fmt::Display>(
    what: &str,
    error: serde_path_to_error::Error<E>,
) -> EmrflowError {
    let path = error.path().to_string();
    let inner = humanize(&error.into_inner().to_string());
    if path == "." || path.is_empty() {
        EmrflowError::invalid_input(format!("{what}: {inner}"))
    } else {
        EmrflowError::invalid_input(format!("{what}: {}: {inner}", words::key(&path)))
    }
}

/// A value quoted back in a message: whole when short, else its start and its length (an
/// over-long input is never echoed in full).
pub fn echo(text: &str) -> String {
    const SHOWN: usize = 40;
    let length = text.chars().count();
    if length <= SHOWN {
        return text.to_string();
    }
    let start: String = text.chars().take(SHOWN).collect();
    format!("{start}… ({length} characters)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_given_twice_is_refused_naming_it() {
        // GIVEN JSON where a nested key appears twice WHEN parsed THEN refused, path named
        let error = parse_strict(
            r#"{"Cluster": {"LogUri": "a", "LogUri": "b"}}"#,
            "pipeline spec",
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("'Cluster.LogUri' twice"),
            "{error}"
        );
        assert!(parse_strict(r#"{"a": {"x": 1}, "b": {"x": 2}}"#, "x").is_ok());
    }

    #[test]
    fn deep_nesting_is_said_as_such_not_as_not_json() {
        // GIVEN valid JSON nested 200 levels WHEN parsed THEN "nested too deeply"
        let text = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let error = parse_strict(&text, "the execution input")
            .unwrap_err()
            .to_string();
        assert!(error.contains("nested too deeply"), "{error}");
        assert!(!error.contains("not JSON"), "{error}");
        let error = parse_strict("{", "the execution input")
            .unwrap_err()
            .to_string();
        assert!(error.contains("is not JSON"), "{error}");
    }

    #[test]
    fn serde_wording_becomes_words() {
        // GIVEN serde's messages WHEN humanized THEN they say what was expected in plain words
        for (serde, words) in [
            (
                "invalid type: sequence, expected struct ClusterConfig",
                "expected an object, not an array",
            ),
            (
                "invalid type: string \"yes\", expected a boolean",
                "expected true or false, not the string \"yes\"",
            ),
            (
                "invalid type: null, expected a string",
                "expected a string, not null",
            ),
            (
                "invalid value: integer `-1`, expected u32",
                "expected a whole number from 0 to 4294967295, not the number -1",
            ),
            ("missing field `Name`", "the key 'Name' is missing"),
            (
                "invalid length 2, expected struct PipelineSpec with 6 elements",
                "expected an object, not an array",
            ),
            (
                "unknown variant `SOMETIMES`, expected one of `ALL_SUCCEEDED`, `ALL_DONE`",
                "'SOMETIMES' is not one of ALL_SUCCEEDED, ALL_DONE",
            ),
        ] {
            assert_eq!(humanize(serde), words);
        }
    }
}

/// Reads a function's payload as `T` ([`from_value`]); one that does not fit is InvalidInput
/// naming the key, `what` naming the payload ("check-steps input").
pub fn read_payload<T: DeserializeOwned>(what: &str, payload: Value) -> Result<T, EmrflowError> {
    from_value(payload).map_err(|error| invalid_at_path(what, error))
}

/// Reads `T` from `value` as serde_json would, except that a struct is never read from an
/// array, and errors know the path of the offending key.
pub fn from_value<T: DeserializeOwned>(
    value: Value,
) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
    serde_path_to_error::deserialize(Strict(value))
}

/// A `Value` deserializer that refuses arrays where a struct is expected, all the way down.
struct Strict(Value);

impl<'de> de::Deserializer<'de> for Strict {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(StrictSeq(items.into_iter())),
            Value::Object(map) => visitor.visit_map(StrictMap {
                entries: map.into_iter(),
                value: None,
            }),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(_) => Err(de::Error::custom("expected an object, not an array")),
            other => Strict(other).deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Strict(other)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::String(text) => visitor.visit_enum(text.into_deserializer()),
            other => other.deserialize_enum(name, variants, visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

struct StrictSeq(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for StrictSeq {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0
            .next()
            .map(|item| seed.deserialize(Strict(item)))
            .transpose()
    }
}

struct StrictMap {
    entries: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for StrictMap {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(Value::String(key)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(Strict(value)),
            None => Err(de::Error::custom("a value was read before its key")),
        }
    }
}

#[cfg(test)]
mod strict_tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    struct Group {
        role: String,
        count: Option<u32>,
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Cluster {
        groups: Vec<Group>,
    }

    #[test]
    fn a_struct_is_never_read_from_an_array_at_any_depth() {
        // GIVEN a nested struct written as an array WHEN read THEN refused with its path
        let error =
            from_value::<Cluster>(serde_json::json!({"Groups": [["MASTER", 1]]})).unwrap_err();
        assert_eq!(error.path().to_string(), "Groups[0]");
        assert_eq!(
            error.into_inner().to_string(),
            "expected an object, not an array"
        );
        // AND objects, options and nulls read as serde_json reads them
        let read: Cluster =
            from_value(serde_json::json!({"Groups": [{"Role": "CORE", "Count": null}]})).unwrap();
        assert_eq!(
            read.groups,
            [Group {
                role: "CORE".into(),
                count: None
            }]
        );
    }
}
