//! `{{Placeholder}}` rendering in step strings and LogUri (README, "The pipeline spec").

use serde_json::Value;

use super::{spec_error, PipelineSpec, StepSpec};
use crate::{words, EmrflowError};

/// The placeholders a step string (or LogUri) may use; [`ITEM`] only in a step with ForEach.
pub const PLACEHOLDERS: [&str; 5] = [
    "ProcessingDate",
    "ProcessingDateCompact",
    "ExecutionName",
    "PipelineName",
    ITEM,
];

/// `{{Item}}`: the item of a mapped step's instance, rendered when the step is expanded.
pub const ITEM: &str = "Item";

/// The values the placeholders are rendered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceholderValues {
    pub processing_date: chrono::NaiveDate,
    pub execution_name: String,
    pub pipeline_name: String,
}

impl PlaceholderValues {
    fn value_of(&self, placeholder: &str) -> Option<String> {
        match placeholder {
            "ProcessingDate" => Some(self.processing_date.format("%Y-%m-%d").to_string()),
            "ProcessingDateCompact" => Some(self.processing_date.format("%Y%m%d").to_string()),
            "ExecutionName" => Some(self.execution_name.clone()),
            "PipelineName" => Some(self.pipeline_name.clone()),
            _ => None,
        }
    }
}

/// The placeholder names used in `text` (`{{ Name }}`, surrounding spaces allowed).
fn placeholders_in(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|at| at + from) {
        let Some(close) = text[open + 2..].find("}}").map(|at| at + open + 2) else {
            break;
        };
        found.push((open..close + 2, text[open + 2..close].trim()));
        from = close + 2;
    }
    found
}

/// `text` with every placeholder replaced by `value_of(name)`; unknown names are collected.
fn replace_placeholders(
    text: &str,
    value_of: impl Fn(&str) -> Option<String>,
    unknown: &mut Vec<String>,
) -> String {
    let mut rendered = String::with_capacity(text.len());
    let mut copied_up_to = 0;
    for (range, name) in placeholders_in(text) {
        rendered.push_str(&text[copied_up_to..range.start]);
        match value_of(name) {
            Some(value) => rendered.push_str(&value),
            None => {
                unknown.push(name.to_string());
                rendered.push_str(&text[range.clone()]);
            }
        }
        copied_up_to = range.end;
    }
    rendered.push_str(&text[copied_up_to..]);
    rendered
}

/// Calls `visit(text, location)` for every string (keys too) in `value`.
fn walk(value: &Value, location: String, visit: &mut dyn FnMut(&str, &str)) {
    match value {
        Value::String(text) => visit(text, &location),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk(item, format!("{location}[{index}]"), visit);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                visit(key, &location);
                let inner = if location.is_empty() {
                    key.clone()
                } else {
                    format!("{location}.{key}")
                };
                walk(item, inner, visit);
            }
        }
        _ => {}
    }
}

/// Whether a key of the serialized spec is one where placeholders are rendered: the steps,
/// Cluster.LogUri and the objects of WaitFor.
fn renders_placeholders(location: &str) -> bool {
    location == "Steps"
        || location.starts_with("Steps[")
        || location == "Cluster.LogUri"
        || location.starts_with("WaitFor.S3[")
}

/// The step a key of the serialized spec belongs to (`Steps[3].Args[0]` → 3).
fn step_index(location: &str) -> Option<usize> {
    location
        .strip_prefix("Steps[")?
        .split_once(']')?
        .0
        .parse()
        .ok()
}

/// Whether `text` opens a placeholder it never closes (`{{` left over once the complete ones
/// are taken out).
fn has_unclosed_placeholder(text: &str) -> bool {
    let mut rest = text.to_string();
    for (range, _) in placeholders_in(text).into_iter().rev() {
        rest.replace_range(range, "");
    }
    rest.contains("{{")
}

fn render_strings(value: &mut Value, render: &mut dyn FnMut(&str) -> String) {
    match value {
        Value::String(text) => *text = render(text),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| render_strings(item, render)),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut item) in entries {
                render_strings(&mut item, render);
                map.insert(render(&key), item);
            }
        }
        _ => {}
    }
}

impl PipelineSpec {
    /// Every placeholder is known and closed, and none sits where nothing renders it.
    pub(super) fn check_placeholders_known(&self) -> Result<(), EmrflowError> {
        let mut problem = None;
        let value = serde_json::to_value(self).map_err(internal_serialization_error)?;
        walk(&value, String::new(), &mut |text, location| {
            if problem.is_some() || !text.contains("{{") {
                return;
            }
            let unknown = placeholders_in(text)
                .into_iter()
                .map(|(_, name)| name)
                .find(|name| !PLACEHOLDERS.contains(name));
            let mapped = step_index(location)
                .and_then(|index| self.steps.get(index))
                .is_some_and(|step| step.for_each.is_some());
            let item_unmapped = !mapped
                && placeholders_in(text)
                    .into_iter()
                    .any(|(_, name)| name == ITEM);
            problem = if !renders_placeholders(location) {
                Some(spec_error(
                    location,
                    "placeholders are rendered only in Steps, Cluster.LogUri and WaitFor.S3",
                ))
            } else if item_unmapped {
                Some(spec_error(
                    location,
                    format!("{{{{{ITEM}}}}} is rendered only in a step with ForEach (one instance per item); this one has none"),
                ))
            } else if let Some(name) = unknown {
                Some(spec_error(
                    location,
                    format!(
                        "unknown placeholder {{{{{name}}}}}{} (known: {})",
                        words::did_you_mean(name, &PLACEHOLDERS),
                        PLACEHOLDERS.join(", ")
                    ),
                ))
            } else if has_unclosed_placeholder(text) {
                Some(spec_error(
                    location,
                    "'{{' opens a placeholder that is never closed with '}}'",
                ))
            } else {
                None
            };
        });
        match problem {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// The spec with every placeholder in the steps, LogUri and WaitFor.S3 replaced, but
    /// `{{Item}}`, which each instance of a mapped step renders with its item
    /// ([`StepSpec::render_item`]).
    pub fn render(&self, values: &PlaceholderValues) -> Result<PipelineSpec, EmrflowError> {
        let mut value = serde_json::to_value(self).map_err(internal_serialization_error)?;
        let mut unknown = Vec::new();
        let value_of = |name: &str| match name {
            ITEM => Some(format!("{{{{{ITEM}}}}}")),
            other => values.value_of(other),
        };
        let mut render_text = |text: &str| replace_placeholders(text, value_of, &mut unknown);
        if let Some(steps) = value.get_mut("Steps") {
            render_strings(steps, &mut render_text);
        }
        if let Some(log_uri) = value.get_mut("Cluster").and_then(|c| c.get_mut("LogUri")) {
            render_strings(log_uri, &mut render_text);
        }
        if let Some(objects) = value.get_mut("WaitFor").and_then(|w| w.get_mut("S3")) {
            render_strings(objects, &mut render_text);
        }
        if let Some(name) = unknown.first() {
            return Err(EmrflowError::invalid_input(format!(
                "pipeline spec: unknown placeholder {{{{{name}}}}} (known: {})",
                PLACEHOLDERS.join(", ")
            )));
        }
        Self::from_value(value)
    }
}

impl StepSpec {
    /// One item's copy of this mapped step: `{{Item}}` rendered in its strings, no ForEach.
    pub(super) fn render_item(&self, item: &str) -> Result<StepSpec, EmrflowError> {
        let mut step = self.clone();
        step.for_each = None;
        let mut value = serde_json::to_value(&step).map_err(internal_serialization_error)?;
        let mut unknown = Vec::new();
        render_strings(&mut value, &mut |text: &str| {
            replace_placeholders(
                text,
                |name| (name == ITEM).then(|| item.to_string()),
                &mut unknown,
            )
        });
        crate::json::from_value(value).map_err(|error| {
            EmrflowError::internal(format!(
                "step '{}' could not be read back with item '{item}': {}",
                self.name,
                error.into_inner()
            ))
        })
    }
}

fn internal_serialization_error(error: serde_json::Error) -> EmrflowError {
    EmrflowError::internal(format!(
        "the pipeline spec could not be written as JSON: {error}"
    ))
}
