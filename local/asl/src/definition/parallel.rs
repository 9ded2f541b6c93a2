//! The Parallel state: branches run on the same input, results collected in order.

use std::collections::HashSet;

use super::fields::Fields;
use super::retry::Handling;
use super::StateList;
use crate::error::DefinitionError;
use crate::path::Template;

#[derive(Debug, Clone)]
pub(crate) struct ParallelState {
    pub(crate) branches: Vec<StateList>,
    pub(crate) parameters: Option<Template>,
    pub(crate) handling: Handling,
}

/// The Parallel state's own fields (the shared groups are added in `definition/mod.rs`).
pub(super) const FIELDS: &[&str] = &["Branches", "Parameters"];

impl ParallelState {
    pub(super) fn parse(
        fields: &Fields<'_>,
        names_seen: &mut HashSet<String>,
    ) -> Result<Self, DefinitionError> {
        let branches_value = fields.non_empty_array("Branches")?;
        let mut branches = Vec::with_capacity(branches_value.len());
        for (index, branch) in branches_value.iter().enumerate() {
            let location = format!("{} Branches[{index}]", fields.location);
            let branch_fields = Fields::block(location, branch, &[])?;
            branches.push(StateList::parse(
                branch_fields.map,
                &branch_fields.location,
                names_seen,
            )?);
        }
        Ok(Self {
            branches,
            parameters: fields.template("Parameters")?,
            handling: Handling::parse(fields)?,
        })
    }
}
