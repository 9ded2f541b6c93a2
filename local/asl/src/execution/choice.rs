//! Running the Choice state: the first rule that matches names the next state, else
//! Default, else States.NoChoiceMatched. The rules are parsed in `definition/choice.rs`.

use std::cmp::Ordering;

use serde_json::Value;

use super::Run;
use crate::definition::{
    ChoiceRule, ChoiceState, Comparison, Family, GlobToken, Operand, Operator, State, TypeTest,
};
use crate::error::{names, runtime, StateError, TaskError};
use crate::timestamp;

impl Run<'_> {
    /// The state's output and the next state chosen.
    pub(super) fn run_choice(
        &self,
        state: &State,
        choice: &ChoiceState,
        raw_input: &Value,
        context: &Value,
    ) -> Result<(Value, String), StateError> {
        let effective = state.input_path.apply(raw_input, context, "InputPath")?;
        let mut chosen = None;
        for (rule, next) in &choice.choices {
            if rule.evaluate(&effective, context)? {
                chosen = Some(next.clone());
                break;
            }
        }
        let next = chosen.or_else(|| choice.default.clone()).ok_or_else(|| {
            TaskError::new(
                names::NO_CHOICE_MATCHED,
                format!(
                    "No Choice Rule matched in state '{}' and there is no Default",
                    state.name
                ),
            )
        })?;
        let output = state.output_path.apply(&effective, context, "OutputPath")?;
        Ok((output, next))
    }
}

impl ChoiceRule {
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
                                value.as_str().and_then(timestamp::parse).is_some()
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
            Some(timestamp::parse(left.as_str()?)?.cmp(&timestamp::parse(right.as_str()?)?))
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
}
