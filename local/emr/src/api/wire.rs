//! What every operation shares: reading a request body, the request naming only a cluster,
//! EMR's "is required" check, and EMR's Marker paging of lists.

use chrono::{DateTime, TimeZone, Utc};
use emrflow_vocabulary::limits::LIST_PAGE_SIZE;
use emrflow_vocabulary::UnknownState;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::EmrError;
use crate::exec::check_s3_uris;

/// The request of the operations that name only a cluster.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct ClusterIdInput {
    pub cluster_id: String,
}

/// The request body as `T`; an empty body is `{}` (the SDKs send one for no parameters).
pub(super) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, EmrError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|err| EmrError::Serialization(format!("Invalid request body: {err}")))
}

pub(super) fn required(value: &str, name: &str) -> Result<(), EmrError> {
    if value.is_empty() {
        return Err(EmrError::Validation(format!("{name} is required.")));
    }
    Ok(())
}

fn page_start(marker: Option<&str>) -> Result<usize, EmrError> {
    match marker {
        None | Some("") => Ok(0),
        Some(marker) => marker
            .parse()
            .map_err(|_| EmrError::InvalidRequest(format!("Marker '{marker}' is not valid."))),
    }
}

/// `{key: <one page of items from marker>, "Marker": <next page>}`, as ListClusters and
/// ListSteps answer (newest first is the caller's order).
pub(super) fn page(key: &str, items: Vec<Value>, marker: Option<&str>) -> Result<Value, EmrError> {
    let start = page_start(marker)?;
    let end = (start + LIST_PAGE_SIZE).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    let page: Vec<Value> = items.into_iter().skip(start).take(LIST_PAGE_SIZE).collect();
    let mut output = json!({ key: page });
    if let Some(next) = next {
        output["Marker"] = json!(next);
    }
    Ok(output)
}

/// EMR's epoch-seconds timestamps (CreatedAfter, CreatedBefore).
pub(super) fn timestamp(seconds: f64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt((seconds * 1000.0) as i64).single()
}

/// A list filter of states (ClusterStates, StepStates), refused as EMR does when one is not
/// a state `kind` has.
pub(super) fn states<S>(
    names: &[String],
    kind: &str,
    parse: fn(&str) -> Result<S, UnknownState>,
) -> Result<Vec<S>, EmrError> {
    names
        .iter()
        .map(|name| {
            parse(name).map_err(|_| EmrError::Validation(format!("{kind} '{name}' is not valid.")))
        })
        .collect()
}

/// Every S3 location in `texts` stays in the local S3's sandbox: refused as EMR refuses a bad
/// location (ValidationException naming it), before anything is created or run.
pub(super) fn in_sandbox<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<(), EmrError> {
    texts
        .into_iter()
        .try_for_each(|text| check_s3_uris(text).map_err(EmrError::Validation))
}
