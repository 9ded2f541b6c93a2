//! The Choice state: rules tried in order, then Default. The rules themselves are parsed
//! and evaluated in `crate::choice`.

use super::fields::Fields;
use crate::choice::ChoiceRule;
use crate::error::DefinitionError;

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
