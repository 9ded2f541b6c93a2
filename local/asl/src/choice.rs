//! Choice rules: parsing (with load-time checks of operand types) and evaluation.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::definition::Fields;
use crate::error::{runtime, DefinitionError, StateError};
use crate::path::DataPath;

#[derive(Debug, Clone)]
pub(crate) enum ChoiceRule {
    And(Vec<ChoiceRule>),
    Or(Vec<ChoiceRule>),
    Not(Box<ChoiceRule>),
    Test {
        variable: DataPath,
        operator: Operator,
        operand: Operand,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    Equals,
    LessThan,
    GreaterThan,
    LessThanEquals,
    GreaterThanEquals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// The Is* operators (IsNull, IsPresent, ...).
pub(crate) enum TypeTest {
    Null,
    Present,
    Numeric,
    String,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone)]
pub(crate) enum Operator {
    Compare(Family, Comparison),
    Matches(Vec<GlobToken>),
    Test(TypeTest),
}

#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Literal(Value),
    Path(DataPath),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GlobToken {
    Char(char),
    Star,
}

const FAMILIES: &[(&str, Family)] = &[
    ("String", Family::String),
    ("Numeric", Family::Numeric),
    ("Boolean", Family::Boolean),
    ("Timestamp", Family::Timestamp),
];

const COMPARISONS: &[(&str, Comparison)] = &[
    ("Equals", Comparison::Equals),
    ("LessThanEquals", Comparison::LessThanEquals),
    ("GreaterThanEquals", Comparison::GreaterThanEquals),
    ("LessThan", Comparison::LessThan),
    ("GreaterThan", Comparison::GreaterThan),
];

const TYPE_TESTS: &[(&str, TypeTest)] = &[
    ("IsNull", TypeTest::Null),
    ("IsPresent", TypeTest::Present),
    ("IsNumeric", TypeTest::Numeric),
    ("IsString", TypeTest::String),
    ("IsBoolean", TypeTest::Boolean),
    ("IsTimestamp", TypeTest::Timestamp),
];

/// Parses an operator name into (operator family, comparison, is a *Path variant).
fn comparison_operator(name: &str) -> Option<(Family, Comparison, bool)> {
    let (base, is_path) = match name.strip_suffix("Path") {
        Some(base) => (base, true),
        None => (name, false),
    };
    for (prefix, family) in FAMILIES {
        if let Some(rest) = base.strip_prefix(prefix) {
            let comparison = COMPARISONS.iter().find(|(suffix, _)| *suffix == rest)?.1;
            if *family == Family::Boolean && comparison != Comparison::Equals {
                return None;
            }
            return Some((*family, comparison, is_path));
        }
    }
    None
}

impl ChoiceRule {
    /// A top-level rule: must carry Next.
    pub(crate) fn parse_top(
        value: &Value,
        location: &str,
    ) -> Result<(Self, String), DefinitionError> {
        let object = value
            .as_object()
            .ok_or_else(|| DefinitionError::at(location, "must be an object"))?;
        let fields = Fields::new(location.to_string(), object);
        let next = fields.req_str("Next")?.to_string();
        Ok((Self::parse(&fields, true)?, next))
    }

    fn parse_nested(value: &Value, location: &str) -> Result<Self, DefinitionError> {
        let object = value
            .as_object()
            .ok_or_else(|| DefinitionError::at(location, "must be an object"))?;
        let fields = Fields::new(location.to_string(), object);
        Self::parse(&fields, false)
    }

    fn parse(fields: &Fields<'_>, top: bool) -> Result<Self, DefinitionError> {
        let mut keys: Vec<&str> = fields
            .map
            .keys()
            .map(String::as_str)
            .filter(|key| *key != "Comment")
            .collect();
        if top {
            keys.retain(|key| *key != "Next");
        } else if fields.get("Next").is_some() {
            return Err(fields.error("field 'Next' is only allowed in a top-level choice rule"));
        }
        for refused in ["Condition", "Assign", "Output"] {
            if keys.contains(&refused) {
                fields.check_allowed(&[])?;
            }
        }
        if keys.iter().any(|key| matches!(*key, "And" | "Or" | "Not")) {
            return Self::parse_combination(fields, &keys);
        }
        Self::parse_test(fields, keys)
    }

    /// And / Or (a non-empty array of rules) or Not (one rule), alone in the rule.
    fn parse_combination(fields: &Fields<'_>, keys: &[&str]) -> Result<Self, DefinitionError> {
        let [key] = keys else {
            return Err(fields.error(format!(
                "a rule with And/Or/Not must have no other fields, found {keys:?}"
            )));
        };
        let key = *key;
        let operand = fields.get(key).unwrap_or(&Value::Null);
        if key == "Not" {
            let location = format!("{} Not", fields.location);
            return Ok(ChoiceRule::Not(Box::new(Self::parse_nested(
                operand, &location,
            )?)));
        }
        let items = operand
            .as_array()
            .filter(|items| !items.is_empty())
            .ok_or_else(|| fields.error(format!("field '{key}' must be a non-empty array")))?;
        let rules = items
            .iter()
            .enumerate()
            .map(|(i, item)| Self::parse_nested(item, &format!("{} {key}[{i}]", fields.location)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(if key == "And" {
            ChoiceRule::And(rules)
        } else {
            ChoiceRule::Or(rules)
        })
    }

    /// `Variable` and exactly one operator with its operand.
    fn parse_test(fields: &Fields<'_>, mut keys: Vec<&str>) -> Result<Self, DefinitionError> {
        let variable_text = fields.req_str("Variable")?;
        let variable = DataPath::parse(variable_text)
            .map_err(|e| fields.error(format!("field 'Variable': {e}")))?;
        keys.retain(|key| *key != "Variable");
        let [operator_name] = keys.as_slice() else {
            return Err(fields.error(format!(
                "a choice rule needs exactly one comparison operator, found {keys:?}"
            )));
        };
        let (operator, operand) = parse_operator(fields, operator_name)?;
        Ok(ChoiceRule::Test {
            variable,
            operator,
            operand,
        })
    }

    pub(crate) fn evaluate(&self, input: &Value, context: &Value) -> Result<bool, StateError> {
        match self {
            ChoiceRule::And(rules) => {
                for rule in rules {
                    if !rule.evaluate(input, context)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            ChoiceRule::Or(rules) => {
                for rule in rules {
                    if rule.evaluate(input, context)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            ChoiceRule::Not(rule) => Ok(!rule.evaluate(input, context)?),
            ChoiceRule::Test {
                variable,
                operator,
                operand,
            } => {
                let value = variable.select(input, context);
                if let Operator::Test(TypeTest::Present) = operator {
                    return Ok(value.is_some() == (operand_literal(operand) == &Value::Bool(true)));
                }
                let value = value.ok_or_else(|| {
                    runtime(format!(
                        "Invalid path '{}': The choice state's condition path references an invalid value.",
                        variable.text()
                    ))
                })?;
                let expected = match operand {
                    Operand::Literal(literal) => literal.clone(),
                    Operand::Path(path) => path.select(input, context).ok_or_else(|| {
                        runtime(format!(
                            "Invalid path '{}': The choice state's condition path references an invalid value.",
                            path.text()
                        ))
                    })?,
                };
                Ok(match operator {
                    Operator::Test(test) => {
                        let holds = match test {
                            TypeTest::Null => value.is_null(),
                            TypeTest::Numeric => value.is_number(),
                            TypeTest::String => value.is_string(),
                            TypeTest::Boolean => value.is_boolean(),
                            TypeTest::Timestamp => {
                                value.as_str().and_then(parse_timestamp).is_some()
                            }
                            TypeTest::Present => true,
                        };
                        holds == (expected == Value::Bool(true))
                    }
                    Operator::Matches(pattern) => value
                        .as_str()
                        .is_some_and(|text| glob_matches(pattern, text)),
                    Operator::Compare(family, comparison) => compare(*family, &value, &expected)
                        .is_some_and(|ordering| comparison_holds(*comparison, ordering)),
                })
            }
        }
    }
}

/// An operator and its operand, checked for type at load time as Step Functions does.
fn parse_operator(
    fields: &Fields<'_>,
    operator_name: &str,
) -> Result<(Operator, Operand), DefinitionError> {
    let operand_value = fields.get(operator_name).unwrap_or(&Value::Null);
    let bad_operand = |expected: &str| {
        fields.error(format!(
            "field '{operator_name}' must be {expected}, got {operand_value}"
        ))
    };
    if operator_name == "StringMatches" {
        let pattern = operand_value
            .as_str()
            .ok_or_else(|| bad_operand("a string"))?;
        return Ok((
            Operator::Matches(compile_glob(pattern)),
            Operand::Literal(operand_value.clone()),
        ));
    }
    if let Some((_, test)) = TYPE_TESTS.iter().find(|(name, _)| *name == operator_name) {
        if !operand_value.is_boolean() {
            return Err(bad_operand("a boolean"));
        }
        return Ok((
            Operator::Test(*test),
            Operand::Literal(operand_value.clone()),
        ));
    }
    let Some((family, comparison, is_path)) = comparison_operator(operator_name) else {
        return Err(fields.error(format!("unknown choice operator '{operator_name}'")));
    };
    let operand = if is_path {
        let text = operand_value
            .as_str()
            .ok_or_else(|| bad_operand("a JSONPath string"))?;
        Operand::Path(
            DataPath::parse(text)
                .map_err(|e| fields.error(format!("field '{operator_name}': {e}")))?,
        )
    } else {
        let (valid, expected) = match family {
            Family::String => (operand_value.is_string(), "a string"),
            Family::Numeric => (operand_value.is_number(), "a number"),
            Family::Boolean => (operand_value.is_boolean(), "a boolean"),
            Family::Timestamp => (
                operand_value.as_str().and_then(parse_timestamp).is_some(),
                "an RFC 3339 timestamp string",
            ),
        };
        if !valid {
            return Err(bad_operand(expected));
        }
        Operand::Literal(operand_value.clone())
    };
    Ok((Operator::Compare(family, comparison), operand))
}

fn operand_literal(operand: &Operand) -> &Value {
    match operand {
        Operand::Literal(value) => value,
        Operand::Path(_) => &Value::Null,
    }
}

/// Orders two values of a family; `None` when either is not of that type (the rule is
/// then false, as in Step Functions).
fn compare(family: Family, left: &Value, right: &Value) -> Option<Ordering> {
    match family {
        Family::String => Some(left.as_str()?.cmp(right.as_str()?)),
        Family::Numeric => left.as_f64()?.partial_cmp(&right.as_f64()?),
        Family::Boolean => Some(left.as_bool()?.cmp(&right.as_bool()?)),
        Family::Timestamp => {
            Some(parse_timestamp(left.as_str()?)?.cmp(&parse_timestamp(right.as_str()?)?))
        }
    }
}

fn comparison_holds(comparison: Comparison, ordering: Ordering) -> bool {
    match comparison {
        Comparison::Equals => ordering == Ordering::Equal,
        Comparison::LessThan => ordering == Ordering::Less,
        Comparison::GreaterThan => ordering == Ordering::Greater,
        Comparison::LessThanEquals => ordering != Ordering::Greater,
        Comparison::GreaterThanEquals => ordering != Ordering::Less,
    }
}

pub(crate) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// StringMatches patterns: `*` matches any run of characters, `\*` a literal star and
/// `\\` a literal backslash.
fn compile_glob(pattern: &str) -> Vec<GlobToken> {
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => tokens.push(GlobToken::Char(chars.next().unwrap_or('\\'))),
            '*' => tokens.push(GlobToken::Star),
            other => tokens.push(GlobToken::Char(other)),
        }
    }
    tokens
}

fn glob_matches(pattern: &[GlobToken], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    // matches[j]: pattern prefix processed so far matches text[..j].
    let mut matches = vec![false; text.len() + 1];
    matches[0] = true;
    for token in pattern {
        match token {
            GlobToken::Star => {
                for j in 1..=text.len() {
                    matches[j] = matches[j] || matches[j - 1];
                }
            }
            GlobToken::Char(c) => {
                for j in (1..=text.len()).rev() {
                    matches[j] = matches[j - 1] && text[j - 1] == *c;
                }
                matches[0] = false;
            }
        }
    }
    matches[text.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(value: Value) -> ChoiceRule {
        let mut with_next = value;
        with_next["Next"] = json!("X");
        ChoiceRule::parse_top(&with_next, "test")
            .expect("valid rule")
            .0
    }

    fn holds(rule_json: Value, input: Value) -> bool {
        rule(rule_json)
            .evaluate(&input, &json!({}))
            .expect("evaluates")
    }

    #[test]
    fn every_comparison_operator_behaves_as_documented() {
        // GIVEN an input with one value of each type and a twin for the *Path variants
        let input = json!({
            "s": "beta", "n": 5, "b": true, "t": "2024-01-02T00:00:00Z",
            "s2": "beta", "n2": 5, "b2": true, "t2": "2024-01-02T00:00:00Z",
            "lo_s": "alpha", "lo_n": 1, "lo_t": "2023-12-31T23:59:59Z"
        });
        // (operator, variable, operand, expected)
        let table: &[(&str, &str, Value, bool)] = &[
            ("StringEquals", "$.s", json!("beta"), true),
            ("StringEquals", "$.s", json!("gamma"), false),
            ("StringLessThan", "$.s", json!("gamma"), true),
            ("StringLessThan", "$.s", json!("alpha"), false),
            ("StringGreaterThan", "$.s", json!("alpha"), true),
            ("StringLessThanEquals", "$.s", json!("beta"), true),
            ("StringGreaterThanEquals", "$.s", json!("beta"), true),
            ("StringGreaterThanEquals", "$.s", json!("zeta"), false),
            ("StringEqualsPath", "$.s", json!("$.s2"), true),
            ("StringLessThanPath", "$.lo_s", json!("$.s"), true),
            ("StringGreaterThanPath", "$.s", json!("$.lo_s"), true),
            ("StringLessThanEqualsPath", "$.s", json!("$.s2"), true),
            ("StringGreaterThanEqualsPath", "$.lo_s", json!("$.s"), false),
            ("NumericEquals", "$.n", json!(5.0), true),
            ("NumericEquals", "$.n", json!(6), false),
            ("NumericLessThan", "$.n", json!(6), true),
            ("NumericGreaterThan", "$.n", json!(4.5), true),
            ("NumericLessThanEquals", "$.n", json!(5), true),
            ("NumericGreaterThanEquals", "$.n", json!(6), false),
            ("NumericEqualsPath", "$.n", json!("$.n2"), true),
            ("NumericLessThanPath", "$.lo_n", json!("$.n"), true),
            ("NumericGreaterThanPath", "$.n", json!("$.lo_n"), true),
            ("NumericLessThanEqualsPath", "$.n", json!("$.n2"), true),
            (
                "NumericGreaterThanEqualsPath",
                "$.lo_n",
                json!("$.n"),
                false,
            ),
            ("BooleanEquals", "$.b", json!(true), true),
            ("BooleanEquals", "$.b", json!(false), false),
            ("BooleanEqualsPath", "$.b", json!("$.b2"), true),
            (
                "TimestampEquals",
                "$.t",
                json!("2024-01-02T01:00:00+01:00"),
                true,
            ),
            (
                "TimestampLessThan",
                "$.lo_t",
                json!("2024-01-02T00:00:00Z"),
                true,
            ),
            (
                "TimestampGreaterThan",
                "$.t",
                json!("2024-01-01T00:00:00Z"),
                true,
            ),
            (
                "TimestampLessThanEquals",
                "$.t",
                json!("2024-01-02T00:00:00Z"),
                true,
            ),
            (
                "TimestampGreaterThanEquals",
                "$.lo_t",
                json!("2024-01-02T00:00:00Z"),
                false,
            ),
            ("TimestampEqualsPath", "$.t", json!("$.t2"), true),
            ("TimestampLessThanPath", "$.lo_t", json!("$.t"), true),
            ("TimestampGreaterThanPath", "$.t", json!("$.lo_t"), true),
            ("TimestampLessThanEqualsPath", "$.t", json!("$.t2"), true),
            (
                "TimestampGreaterThanEqualsPath",
                "$.lo_t",
                json!("$.t"),
                false,
            ),
            // A value of the wrong type never matches.
            ("StringEquals", "$.n", json!("5"), false),
            ("NumericEquals", "$.s", json!(5), false),
            (
                "TimestampEquals",
                "$.s",
                json!("2024-01-02T00:00:00Z"),
                false,
            ),
        ];
        for (operator, variable, operand, expected) in table {
            // WHEN the rule is evaluated THEN the result is as documented
            let actual = holds(
                json!({"Variable": variable, *operator: operand}),
                input.clone(),
            );
            assert_eq!(actual, *expected, "{operator} {variable} {operand}");
        }
    }

    #[test]
    fn type_tests() {
        let input =
            json!({"null": null, "n": 1.5, "s": "x", "b": false, "t": "2024-05-01T10:00:00Z"});
        let table: &[(&str, &str, bool, bool)] = &[
            ("IsNull", "$.null", true, true),
            ("IsNull", "$.n", true, false),
            ("IsPresent", "$.missing", false, true),
            ("IsPresent", "$.missing", true, false),
            ("IsPresent", "$.null", true, true),
            ("IsNumeric", "$.n", true, true),
            ("IsNumeric", "$.s", true, false),
            ("IsString", "$.s", true, true),
            ("IsString", "$.b", false, true),
            ("IsBoolean", "$.b", true, true),
            ("IsTimestamp", "$.t", true, true),
            ("IsTimestamp", "$.s", true, false),
        ];
        for (operator, variable, operand, expected) in table {
            let actual = holds(
                json!({"Variable": variable, *operator: operand}),
                input.clone(),
            );
            assert_eq!(actual, *expected, "{operator} {variable} {operand}");
        }
    }

    #[test]
    fn string_matches_supports_wildcards_and_escapes() {
        let cases = [
            ("log-*.txt", "log-2024.txt", true),
            ("log-*.txt", "log-2024.csv", false),
            ("*", "", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXcYYb", false),
            (r"star\*", "star*", true),
            (r"star\*", "starX", false),
            (r"back\\slash", r"back\slash", true),
        ];
        for (pattern, text, expected) in cases {
            let actual = holds(
                json!({"Variable": "$.v", "StringMatches": pattern}),
                json!({"v": text}),
            );
            assert_eq!(actual, expected, "{pattern} ~ {text}");
        }
    }

    #[test]
    fn and_or_not_combine_rules() {
        let input = json!({"a": 1, "b": "x"});
        let a_is_1 = json!({"Variable": "$.a", "NumericEquals": 1});
        let b_is_y = json!({"Variable": "$.b", "StringEquals": "y"});
        assert!(!holds(json!({"And": [a_is_1, b_is_y]}), input.clone()));
        assert!(holds(json!({"Or": [a_is_1, b_is_y]}), input.clone()));
        assert!(holds(json!({"Not": b_is_y}), input.clone()));
        assert!(holds(json!({"And": [a_is_1, {"Not": b_is_y}]}), input));
    }

    #[test]
    fn missing_variable_is_a_runtime_error() {
        let error = rule(json!({"Variable": "$.missing", "StringEquals": "x"}))
            .evaluate(&json!({}), &json!({}))
            .unwrap_err();
        assert_eq!(error.error, "States.Runtime");
    }

    #[test]
    fn invalid_rules_are_refused_at_load_time() {
        for bad in [
            json!({"Variable": "$.a", "NumericEquals": "1", "Next": "X"}),
            json!({"Variable": "$.a", "StringEquals": "1", "NumericEquals": 1, "Next": "X"}),
            json!({"Variable": "$.a", "BooleanLessThan": true, "Next": "X"}),
            json!({"Variable": "$.a", "TimestampEquals": "yesterday", "Next": "X"}),
            json!({"Not": {"Variable": "$.a", "IsNull": true, "Next": "X"}, "Next": "X"}),
            json!({"Condition": "{% true %}", "Next": "X"}),
        ] {
            assert!(ChoiceRule::parse_top(&bad, "test").is_err(), "{bad}");
        }
    }
}
