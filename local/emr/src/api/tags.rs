//! AddTags and RemoveTags on a cluster.

use emrflow_vocabulary::KeyValue;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::EmrError;
use crate::state::Shared;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct AddTagsInput {
    resource_id: String,
    tags: Vec<KeyValue>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RemoveTagsInput {
    resource_id: String,
    tag_keys: Vec<String>,
}

/// A tag with an existing key replaces its value, as EMR's AddTags does.
pub(super) fn add_tags(shared: &Shared, input: AddTagsInput) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster_mut(&input.resource_id)?;
        for tag in input.tags {
            match cluster
                .tags
                .iter_mut()
                .find(|existing| existing.key == tag.key)
            {
                Some(existing) => existing.value = tag.value,
                None => cluster.tags.push(tag),
            }
        }
        Ok(json!({}))
    })
}

pub(super) fn remove_tags(shared: &Shared, input: RemoveTagsInput) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster_mut(&input.resource_id)?;
        cluster
            .tags
            .retain(|tag| !input.tag_keys.contains(&tag.key));
        Ok(json!({}))
    })
}
