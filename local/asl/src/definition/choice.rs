//! The Choice state: its rules, tried in order, then Default. This file owns the rules'
//! model and their parsing, with the load-time checks of operand types Step Functions
//! makes; `execution/choice.rs` evaluates them.

use serde_json::Value;

use super::fields::Fields;
use crate::error::DefinitionError;
use crate::path::DataPath;
use crate::timestamp;

#[derive(Debug, Clone)]
pub(crate) struct ChoiceState {
    pub(crate) choices: Vec<(ChoiceRule, String)>,
    pub(crate) default: Option<String>,
}

/// The Choice state's own fields (the shared groups are added in `definition/mod.rs`).
pub(super) const FIELDS: &[&str] = &["Choices", "Default"];

impl ChoiceState {
    pub(super) fn parse(fields: &Fields<'_>) -> Result<Self, DefinitionError> {
        let rules = fields.non_empty_array("Choices")?;
        let mut choices = Vec::with_capacity(rules.len());
        for (index, rule) in rules.iter().enumerate() {
            let location = format!("{} Choices[{index}]", fields.location);
            let (rule, next) = ChoiceRule::parse_top(rule, &location)?;
            choices.push((rule, next));
        }
        Ok(Self {
            choices,
            default: fields.opt_str("Default")?.map(str::to_string),
        })
    }
}

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
                operand_value.as_str().and_then(timestamp::parse).is_some(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
