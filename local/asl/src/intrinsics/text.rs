//! The string functions: States.Format, Base64Encode, Base64Decode, Hash and StringSplit.

use base64::Engine as _;
use serde_json::Value;

use super::expect_string;
use crate::error::{intrinsic_failure, StateError};

/// The longest input States.Base64Encode/Decode and States.Hash accept (AWS limit).
const ENCODING_INPUT_LIMIT: usize = 10_000;

/// Fills the `{}` placeholders of `template` (which keeps its `\{` escapes) in order.
pub(super) fn format(template: &str, arguments: &[Value]) -> Result<Value, StateError> {
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

pub(super) fn base64_encode(values: &[Value]) -> Result<Value, StateError> {
    let text = expect_string(&values[0], "States.Base64Encode", 1)?;
    check_encoding_limit(text, "States.Base64Encode")?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
    ))
}

pub(super) fn base64_decode(values: &[Value]) -> Result<Value, StateError> {
    let text = expect_string(&values[0], "States.Base64Decode", 1)?;
    check_encoding_limit(text, "States.Base64Decode")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|e| intrinsic_failure(format!("States.Base64Decode: invalid base64: {e}")))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| intrinsic_failure("States.Base64Decode: the decoded data is not UTF-8 text"))
}

/// States.Hash of a string (other values are hashed as their JSON text).
pub(super) fn hash(values: &[Value]) -> Result<Value, StateError> {
    use sha2::Digest as _;
    let text = match &values[0] {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    check_encoding_limit(&text, "States.Hash")?;
    let algorithm = expect_string(&values[1], "States.Hash", 2)?;
    let bytes = text.as_bytes();
    Ok(Value::String(match algorithm {
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
    }))
}

/// Splits on any of the delimiter characters, dropping empty parts.
pub(super) fn split(values: &[Value]) -> Result<Value, StateError> {
    let text = expect_string(&values[0], "States.StringSplit", 1)?;
    let delimiters = expect_string(&values[1], "States.StringSplit", 2)?;
    Ok(Value::Array(
        text.split(|c: char| delimiters.contains(c))
            .filter(|part| !part.is_empty())
            .map(|part| Value::String(part.to_string()))
            .collect(),
    ))
}

fn check_encoding_limit(text: &str, function: &str) -> Result<(), StateError> {
    if text.chars().count() > ENCODING_INPUT_LIMIT {
        return Err(intrinsic_failure(format!(
            "{function}: the input is longer than {ENCODING_INPUT_LIMIT} characters"
        )));
    }
    Ok(())
}
