//! The inline Map state: an item processor run once per item of ItemsPath. Distributed
//! Map is refused here, by name.

use std::collections::HashSet;

use super::fields::Fields;
use super::retry::Handling;
use super::StateList;
use crate::error::DefinitionError;
use crate::path::{DataPath, Template};

#[derive(Debug, Clone)]
pub(crate) struct MapState {
    pub(crate) processor: StateList,
    pub(crate) items_path: Option<DataPath>,
    pub(crate) item_selector: Option<Template>,
    /// 0 = no limit.
    pub(crate) max_concurrency: usize,
    pub(crate) handling: Handling,
}

/// The Map state's own fields (the shared groups are added in `definition/mod.rs`).
pub(super) const FIELDS: &[&str] = &[
    "Iterator",
    "ItemProcessor",
    "ItemsPath",
    "ItemSelector",
    "Parameters",
    "MaxConcurrency",
];

impl MapState {
    pub(super) fn parse(
        fields: &Fields<'_>,
        names_seen: &mut HashSet<String>,
    ) -> Result<Self, DefinitionError> {
        let processor = parse_processor(fields, names_seen)?;
        let item_selector = match (
            fields.template("ItemSelector")?,
            fields.template("Parameters")?,
        ) {
            (Some(_), Some(_)) => {
                return Err(
                    fields.error("fields 'ItemSelector' and 'Parameters' cannot both be set")
                )
            }
            (selector, parameters) => selector.or(parameters),
        };
        let max_concurrency = fields.opt_u64("MaxConcurrency")?.unwrap_or(0);
        Ok(Self {
            processor,
            items_path: fields.data_path("ItemsPath")?,
            item_selector,
            max_concurrency: usize::try_from(max_concurrency).unwrap_or(usize::MAX),
            handling: Handling::parse(fields)?,
        })
    }
}

/// `ItemProcessor` (or the legacy `Iterator`): an inline StartAt + States block.
fn parse_processor(
    fields: &Fields<'_>,
    names_seen: &mut HashSet<String>,
) -> Result<StateList, DefinitionError> {
    let (key, processor_value) = match (fields.get("ItemProcessor"), fields.get("Iterator")) {
        (Some(_), Some(_)) => {
            return Err(fields.error("fields 'ItemProcessor' and 'Iterator' cannot both be set"))
        }
        (Some(processor), None) => ("ItemProcessor", processor),
        (None, Some(iterator)) => ("Iterator", iterator),
        (None, None) => {
            return Err(fields.error("field 'ItemProcessor' (or 'Iterator') is required"))
        }
    };
    let location = format!("{} {key}", fields.location);
    let processor = Fields::block(location, processor_value, &["ProcessorConfig"])?;
    if let Some(config) = processor.get("ProcessorConfig") {
        check_inline(&processor, config)?;
    }
    StateList::parse(processor.map, &processor.location, names_seen)
}

/// Only the inline mode runs here; anything that asks for a distributed Map is refused.
fn check_inline(processor: &Fields<'_>, config: &serde_json::Value) -> Result<(), DefinitionError> {
    let config_object = config
        .as_object()
        .ok_or_else(|| processor.error("field 'ProcessorConfig' must be an object"))?;
    let config_fields = Fields::new(
        format!("{} ProcessorConfig", processor.location),
        config_object,
    );
    config_fields.check_allowed(&["Mode", "ExecutionType"])?;
    match config_fields.opt_str("Mode")? {
        None | Some("INLINE") => {}
        Some(other) => {
            return Err(config_fields.error(format!(
                "field 'Mode' refused: '{other}' is not supported (only INLINE; distributed Map is not supported)"
            )))
        }
    }
    if config_fields.get("ExecutionType").is_some() {
        return Err(
            config_fields.error("field 'ExecutionType' refused: distributed Map is not supported")
        );
    }
    Ok(())
}
