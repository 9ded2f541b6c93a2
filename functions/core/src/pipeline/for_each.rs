//! Steps over a list (README, "Steps over a list"): a step with `ForEach` runs once per item,
//! as the instance `<Name>[<item>]`, with `{{Item}}` rendered in its strings.
//!
//! - the `ForEach` key itself ([`ForEach`]) and what it must satisfy before any execution
//!   (non-empty lists, unique items that are valid name parts, one Default per input key,
//!   item-wise dependencies only over the same list);
//! - the execution input's `Items` ([`InputItems`]), checked against the pipeline;
//! - the expansion ([`PipelineSpec::instances`]): every step this execution runs, mapped
//!   steps as one instance per item, dependencies rewritten item by item or as fan-in. It
//!   happens once, in normalization, so every handler that re-derives the pipeline judges the
//!   same instances.

use std::collections::{BTreeMap, BTreeSet};

use emrflow_vocabulary::limits::MAX_ACTIVE_STEPS;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::dependencies::worst_case_emr_steps;
use super::{PipelineSpec, StepSpec};
use crate::naming::{check_item, instance_name};
use crate::{words, EmrflowError};

/// The items of a mapped step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, try_from = "Value")]
pub enum ForEach {
    /// `"ForEach": ["tenant_a", "tenant_b"]`
    Items(Vec<String>),
    /// `"ForEach": {"FromInput": "Tenants", "Default": [...]}`: the execution input's
    /// `Items.Tenants`, else the Default.
    #[serde(rename_all = "PascalCase")]
    FromInput {
        from_input: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default: Option<Vec<String>>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct FromInputKeys {
    from_input: String,
    #[serde(default)]
    default: Option<Vec<String>>,
}

impl TryFrom<Value> for ForEach {
    type Error = String;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        match value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(index, item)| match item {
                    Value::String(item) => Ok(item),
                    other => Err(format!("item {index} is {other}, not a string")),
                })
                .collect::<Result<_, _>>()
                .map(ForEach::Items),
            Value::Object(_) => {
                let keys: FromInputKeys = crate::json::from_value(value).map_err(|error| {
                    let path = error.path().to_string();
                    let message = crate::json::humanize(&error.into_inner().to_string());
                    if path == "." || message.contains(&path) {
                        message
                    } else {
                        format!("{path}: {message}")
                    }
                })?;
                Ok(ForEach::FromInput {
                    from_input: keys.from_input,
                    default: keys.default,
                })
            }
            other => Err(format!(
                "expected a list of items ([\"tenant_a\", \"tenant_b\"]) or {{\"FromInput\": \"<key of the execution input's Items>\"}}, not {other}"
            )),
        }
    }
}

impl ForEach {
    /// How many instances the spec alone promises: the list's or the Default's length, 1 when
    /// only the execution input will tell (checked again once it has).
    pub(super) fn known_len(&self) -> usize {
        match self {
            ForEach::Items(items) => items.len(),
            ForEach::FromInput { default, .. } => default.as_ref().map_or(1, Vec::len),
        }
    }

    /// Whether two mapped steps run over the same items, so one can wait for the other item
    /// by item: the same items (in any order), or the same key of the execution input.
    fn same_list(&self, other: &ForEach) -> bool {
        match (self, other) {
            (ForEach::Items(a), ForEach::Items(b)) => {
                a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
            }
            (
                ForEach::FromInput { from_input: a, .. },
                ForEach::FromInput { from_input: b, .. },
            ) => a == b,
            _ => false,
        }
    }

    /// The list in words, for messages: `[tenant_a, tenant_b]` or `Items.Tenants`.
    fn describe(&self) -> String {
        match self {
            ForEach::Items(items) => format!("[{}]", items.join(", ")),
            ForEach::FromInput { from_input, .. } => format!("Items.{from_input}"),
        }
    }
}

/// A list of items is non-empty, and each item is a valid name part given once; `path` is its
/// key (`Steps[0].ForEach`, `Items.Tenants`), `what` says whose (`pipeline spec: ` or empty).
fn check_items(items: &[String], what: &str, path: &str) -> Result<(), EmrflowError> {
    let invalid = |message: String| Err(EmrflowError::invalid_input(message));
    let at = |index: usize| format!("{what}{}", words::key(format!("{path}[{index}]")));
    if items.is_empty() {
        return invalid(format!(
            "{what}{}: the list is empty; give at least one item",
            words::key(path)
        ));
    }
    let mut seen = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        check_item(item).or_else(|message| invalid(format!("{}: {message}", at(index))))?;
        if let Some(first) = seen.insert(item.as_str(), index) {
            return invalid(format!(
                "{}: '{item}' is item {first} already; each item runs once",
                at(index)
            ));
        }
    }
    Ok(())
}

/// What a key of the execution input's Items may be called.
fn check_input_key(key: &str, path: &str) -> Result<(), EmrflowError> {
    let valid = (1..=64).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(())
    } else {
        Err(EmrflowError::invalid_input(format!(
            "pipeline spec: {}: '{key}' must be 1 to 64 characters of A-Z a-z 0-9 _ - (it names a key of the execution input's Items)",
            words::key(path)
        )))
    }
}

/// The ForEach keys of a spec, before any execution: each list well formed, one Default per
/// input key, and a mapped step depends on a mapped step only over the same list.
pub(super) fn check_for_each(spec: &PipelineSpec) -> Result<(), EmrflowError> {
    let mut defaults: BTreeMap<&str, (usize, &Option<Vec<String>>)> = BTreeMap::new();
    for (index, step) in spec.steps.iter().enumerate() {
        let at = format!("Steps[{index}].ForEach");
        match &step.for_each {
            None => {}
            Some(ForEach::Items(items)) => check_items(items, "pipeline spec: ", &at)?,
            Some(ForEach::FromInput {
                from_input,
                default,
            }) => {
                check_input_key(from_input, &format!("{at}.FromInput"))?;
                if let Some(items) = default {
                    check_items(items, "pipeline spec: ", &format!("{at}.Default"))?;
                }
                fn set(list: &Option<Vec<String>>) -> Option<BTreeSet<&String>> {
                    list.as_ref().map(|items| items.iter().collect())
                }
                match defaults.get(from_input.as_str()) {
                    Some((first, first_default)) if set(first_default) != set(default) => {
                        return Err(EmrflowError::invalid_input(format!(
                            "pipeline spec: {}: steps '{}' and '{}' both take their items from 'Items.{from_input}' but with different Default lists; give every step over 'Items.{from_input}' the same Default",
                            words::key(format!("{at}.Default")), spec.steps[*first].name, step.name
                        )));
                    }
                    Some(_) => {}
                    None => {
                        defaults.insert(from_input, (index, default));
                    }
                }
            }
        }
    }
    for (index, step) in spec.steps.iter().enumerate() {
        let Some(list) = &step.for_each else { continue };
        for dependency in &step.depends_on {
            let other = spec.steps.iter().find(|other| &other.name == dependency);
            let Some(other_list) = other.and_then(|other| other.for_each.as_ref()) else {
                continue;
            };
            if !list.same_list(other_list) {
                return Err(EmrflowError::invalid_input(format!(
                    "pipeline spec: key 'Steps[{index}].DependsOn': step '{}' (ForEach {}) depends on '{dependency}' (ForEach {}); a step with ForEach waits for a step with ForEach item by item, so both must run over the same list — give them the same ForEach, or let a step without ForEach sit between them",
                    step.name,
                    list.describe(),
                    other_list.describe()
                )));
            }
        }
    }
    Ok(())
}

/// The execution input's `Items`: for each key a `ForEach` names with FromInput, the items
/// this execution runs over (a subset for a backfill, say).
pub type InputItems = BTreeMap<String, Vec<String>>;

/// One step of an execution's pipeline: a spec step, or one item's instance of a mapped one.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Its step's position in the spec's Steps (messages name `Steps[index]`).
    pub index: usize,
    /// The item of a mapped step's instance.
    pub item: Option<InstanceItem>,
    pub step: StepSpec,
}

/// An instance's item and the key its list came from (`Steps[0].ForEach`, `Items.Tenants`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceItem {
    pub name: String,
    pub key: String,
}

/// Per step, in spec order: its items and the key they came from, or None when unmapped.
type ResolvedItems<'a> = Vec<Option<(&'a [String], String)>>;

impl PipelineSpec {
    /// The items of every mapped step for this execution, and the key each list came from
    /// (`Steps[0].ForEach`, `Steps[0].ForEach.Default`, `Items.Tenants`).
    fn resolve_items<'a>(
        &'a self,
        input: &'a InputItems,
    ) -> Result<ResolvedItems<'a>, EmrflowError> {
        let named: BTreeSet<&str> = self
            .steps
            .iter()
            .filter_map(|step| match &step.for_each {
                Some(ForEach::FromInput { from_input, .. }) => Some(from_input.as_str()),
                _ => None,
            })
            .collect();
        for (key, items) in input {
            if !named.contains(key.as_str()) {
                let known = if named.is_empty() {
                    "no step takes its items from the input".to_string()
                } else {
                    format!(
                        "the keys steps take their items from: {}",
                        named.iter().copied().collect::<Vec<_>>().join(", ")
                    )
                };
                return Err(EmrflowError::invalid_input(format!(
                    "key 'Items.{key}': no step of pipeline '{}' has ForEach {{\"FromInput\": \"{key}\"}} ({known})",
                    self.name
                )));
            }
            check_items(items, "", &format!("Items.{key}"))?;
        }
        self.steps
            .iter()
            .enumerate()
            .map(|(index, step)| match &step.for_each {
                None => Ok(None),
                Some(ForEach::Items(items)) => {
                    Ok(Some((items.as_slice(), format!("Steps[{index}].ForEach"))))
                }
                Some(ForEach::FromInput {
                    from_input,
                    default,
                }) => match (input.get(from_input), default) {
                    (Some(items), _) => Ok(Some((items.as_slice(), format!("Items.{from_input}")))),
                    (None, Some(items)) => Ok(Some((
                        items.as_slice(),
                        format!("Steps[{index}].ForEach.Default"),
                    ))),
                    (None, None) => Err(EmrflowError::invalid_input(format!(
                        "key 'Items.{from_input}': required — step '{}' has ForEach {{\"FromInput\": \"{from_input}\"}} and no Default; give the items as {{\"Items\": {{\"{from_input}\": [\"…\"]}}}} in the execution input, or a Default in the pipeline spec",
                        step.name
                    ))),
                },
            })
            .collect()
    }

    /// Every step this execution runs, in spec order, a mapped step as one instance per item
    /// (`etl[tenant_b]`, `{{Item}}` rendered); the keys the items came from. A step waiting
    /// for a mapped step over the same list waits for the same item's instance; any other
    /// step waits for all of its instances. The spec is rendered and valid; `input` is the
    /// execution input's Items.
    pub fn instances(
        &self,
        input: &InputItems,
    ) -> Result<(Vec<Instance>, Vec<String>), EmrflowError> {
        let lists = self.resolve_items(input)?;
        let items_of = |name: &str| {
            self.steps
                .iter()
                .position(|step| step.name == name)
                .and_then(|index| lists[index].as_ref())
                .map(|(items, _)| *items)
        };
        let mut instances = Vec::new();
        for (index, (step, list)) in self.steps.iter().zip(&lists).enumerate() {
            let depends_on = |item: Option<&str>| -> Vec<String> {
                step.depends_on
                    .iter()
                    .flat_map(|dependency| match (items_of(dependency), item) {
                        (None, _) => vec![dependency.clone()],
                        (Some(_), Some(item)) => vec![instance_name(dependency, item)],
                        (Some(items), None) => items
                            .iter()
                            .map(|each| instance_name(dependency, each))
                            .collect(),
                    })
                    .collect()
            };
            match list {
                None => instances.push(Instance {
                    index,
                    item: None,
                    step: StepSpec {
                        depends_on: depends_on(None),
                        ..step.clone()
                    },
                }),
                Some((items, key)) => {
                    for item in items.iter() {
                        let mut instance = step.render_item(item)?;
                        instance.name = instance_name(&step.name, item);
                        instance.depends_on = depends_on(Some(item));
                        instances.push(Instance {
                            index,
                            item: Some(InstanceItem {
                                name: item.clone(),
                                key: key.clone(),
                            }),
                            step: instance,
                        });
                    }
                }
            }
        }
        let mut sources: Vec<String> = Vec::new();
        for (_, key) in lists.into_iter().flatten() {
            if !sources.contains(&key) {
                sources.push(key);
            }
        }
        check_instance_count(&instances, &sources)?;
        Ok((instances, sources))
    }

    /// This spec with `instances` as its steps: the pipeline an execution runs.
    pub fn with_instances(mut self, instances: Vec<Instance>) -> PipelineSpec {
        self.steps = instances
            .into_iter()
            .map(|instance| instance.step)
            .collect();
        self
    }
}

/// With the execution's items, the worst case (every attempt of every instance) still fits
/// EMR's 256 steps per cluster. (Lists in the spec were counted by its validation already.)
fn check_instance_count(instances: &[Instance], sources: &[String]) -> Result<(), EmrflowError> {
    let worst_case = worst_case_emr_steps(instances.iter().map(|instance| &instance.step));
    if worst_case as usize > MAX_ACTIVE_STEPS {
        return Err(EmrflowError::invalid_input(format!(
            "{}: with these items the pipeline runs {} step instances and, with every attempt of every instance, could submit {worst_case} EMR steps; EMR allows at most {MAX_ACTIVE_STEPS} per cluster (give fewer items, lower Retry.MaxAttempts or split the pipeline)",
            sources.iter().map(words::key).collect::<Vec<_>>().join(", "),
            instances.len()
        )));
    }
    Ok(())
}
