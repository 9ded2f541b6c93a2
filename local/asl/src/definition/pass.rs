//! The Pass state: a Result or the shaped input, placed at ResultPath.

use serde_json::Value;

use super::fields::Fields;
use crate::error::DefinitionError;
use crate::path::{ResultPath, Template};

#[derive(Debug, Clone)]
pub(crate) struct PassState {
    pub(crate) result: Option<Value>,
    pub(crate) parameters: Option<Template>,
    pub(crate) result_path: ResultPath,
}

/// The Pass state's own fields (the shared groups are added in `definition/mod.rs`).
pub(super) const FIELDS: &[&str] = &["Result", "ResultPath", "Parameters"];

impl PassState {
    pub(super) fn parse(fields: &Fields<'_>) -> Result<Self, DefinitionError> {
        Ok(Self {
            result: fields.get("Result").cloned(),
            parameters: fields.template("Parameters")?,
            result_path: fields.result_path("ResultPath")?,
        })
    }
}
