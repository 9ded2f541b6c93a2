//! The Fail state: an error and a cause, each literal, a path or an intrinsic call.

use super::fields::Fields;
use crate::error::DefinitionError;
use crate::intrinsics::Intrinsic;
use crate::path::DataPath;

#[derive(Debug, Clone)]
pub(crate) enum FailText {
    Literal(String),
    Path(DataPath),
    Intrinsic(Intrinsic),
}

#[derive(Debug, Clone)]
pub(crate) struct FailState {
    pub(crate) error: Option<FailText>,
    pub(crate) cause: Option<FailText>,
}

/// The Fail state's fields besides Type, Comment and QueryLanguage.
pub(super) const FIELDS: &[&str] = &["Error", "Cause", "ErrorPath", "CausePath"];

impl FailState {
    pub(super) fn parse(fields: &Fields<'_>) -> Result<Self, DefinitionError> {
        Ok(Self {
            error: text(fields, "Error", "ErrorPath")?,
            cause: text(fields, "Cause", "CausePath")?,
        })
    }
}

/// The literal field or its dynamic twin (a path or an intrinsic call); not both.
fn text(
    fields: &Fields<'_>,
    literal: &str,
    dynamic: &str,
) -> Result<Option<FailText>, DefinitionError> {
    match (fields.opt_str(literal)?, fields.opt_str(dynamic)?) {
        (Some(_), Some(_)) => Err(fields.error(format!(
            "fields '{literal}' and '{dynamic}' cannot both be set"
        ))),
        (Some(text), None) => Ok(Some(FailText::Literal(text.to_string()))),
        (None, Some(expression)) if expression.starts_with("States.") => {
            Intrinsic::parse(expression)
                .map(|call| Some(FailText::Intrinsic(call)))
                .map_err(|e| fields.error(format!("field '{dynamic}': {e}")))
        }
        (None, Some(expression)) => DataPath::parse(expression)
            .map(|path| Some(FailText::Path(path)))
            .map_err(|e| fields.error(format!("field '{dynamic}': {e}"))),
        (None, None) => Ok(None),
    }
}
