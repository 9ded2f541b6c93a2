//! The recursive-descent parser of intrinsic function calls, run at load time.

use serde_json::{Number, Value};

use super::{Argument, Function, Intrinsic};
use crate::path::DataPath;

pub(super) struct Parser {
    pub(super) chars: Vec<char>,
    pub(super) position: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.position).copied()
    }

    pub(super) fn skip_spaces(&mut self) {
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

    pub(super) fn call(&mut self) -> Result<Intrinsic, String> {
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
