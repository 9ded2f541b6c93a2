//! ListReleaseLabels: EMR's release labels, newest first, from a snapshot kept here (the
//! local EMR has no release of its own: any label runs the same local Spark).

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::EmrError;

/// EMR's release labels (Amazon EMR Release Guide), newest first: a snapshot, not the live
/// list. The 7.x and 6.x minor releases and the last 5.x ones.
const RELEASE_LABELS: &[&str] = &[
    "emr-7.10.0",
    "emr-7.9.0",
    "emr-7.8.0",
    "emr-7.7.0",
    "emr-7.6.0",
    "emr-7.5.0",
    "emr-7.4.0",
    "emr-7.3.0",
    "emr-7.2.0",
    "emr-7.1.0",
    "emr-7.0.0",
    "emr-6.15.0",
    "emr-6.14.0",
    "emr-6.13.0",
    "emr-6.12.0",
    "emr-6.11.0",
    "emr-6.10.0",
    "emr-6.9.0",
    "emr-6.8.0",
    "emr-6.7.0",
    "emr-6.6.0",
    "emr-6.5.0",
    "emr-6.4.0",
    "emr-6.3.0",
    "emr-6.2.0",
    "emr-6.1.0",
    "emr-6.0.0",
    "emr-5.36.0",
    "emr-5.35.0",
    "emr-5.34.0",
    "emr-5.33.0",
    "emr-5.32.0",
    "emr-5.31.0",
    "emr-5.30.0",
];

/// EMR's page size bounds of ListReleaseLabels (MaxResults).
const MAX_RESULTS: std::ops::RangeInclusive<usize> = 1..=100;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ReleaseLabelFilter {
    prefix: Option<String>,
    /// `Spark@3.5.2`: not applied locally (the snapshot has no application versions).
    #[allow(dead_code)]
    application: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct ListReleaseLabelsInput {
    filters: Option<ReleaseLabelFilter>,
    next_token: Option<String>,
    max_results: Option<usize>,
}

/// ListReleaseLabels: labels starting with Filters.Prefix, MaxResults (default 100) at a time,
/// NextToken for the next page.
pub(super) fn list_release_labels(input: ListReleaseLabelsInput) -> Result<Value, EmrError> {
    let size = input.max_results.unwrap_or(*MAX_RESULTS.end());
    if !MAX_RESULTS.contains(&size) {
        return Err(EmrError::Validation(format!(
            "MaxResults {size} is not valid: it must be between {} and {}.",
            MAX_RESULTS.start(),
            MAX_RESULTS.end()
        )));
    }
    let prefix = input
        .filters
        .and_then(|filters| filters.prefix)
        .unwrap_or_default();
    let start = match input.next_token.as_deref() {
        None | Some("") => 0,
        Some(token) => token
            .parse()
            .map_err(|_| EmrError::Validation(format!("NextToken '{token}' is not valid.")))?,
    };
    let labels: Vec<&str> = RELEASE_LABELS
        .iter()
        .copied()
        .filter(|label| label.starts_with(&prefix))
        .collect();
    let end = (start + size).min(labels.len());
    let mut output = json!({ "ReleaseLabels": labels.get(start..end).unwrap_or_default() });
    if end < labels.len() {
        output["NextToken"] = json!(end.to_string());
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(input: Value) -> Value {
        list_release_labels(serde_json::from_value(input).expect("input")).expect("listed")
    }

    #[test]
    fn labels_are_filtered_by_prefix_and_paged_with_a_next_token() {
        // GIVEN the 7.x releases, two at a time
        let first = listed(json!({"Filters": {"Prefix": "emr-7"}, "MaxResults": 2}));
        // THEN the newest two and a token for the rest
        assert_eq!(first["ReleaseLabels"], json!(["emr-7.10.0", "emr-7.9.0"]));
        let token = first["NextToken"].as_str().expect("token").to_string();
        // WHEN the pages are followed THEN every 7.x label once, and no token at the end
        let mut seen = 2;
        let mut next = Some(token);
        while let Some(token) = next {
            let page = listed(
                json!({"Filters": {"Prefix": "emr-7"}, "MaxResults": 2, "NextToken": token}),
            );
            seen += page["ReleaseLabels"].as_array().expect("labels").len();
            next = page["NextToken"].as_str().map(str::to_string);
        }
        assert_eq!(seen, 11);
    }

    #[test]
    fn a_page_size_out_of_bounds_is_refused() {
        // GIVEN MaxResults 0 WHEN listed THEN EMR's ValidationException, in words
        let input = serde_json::from_value(json!({"MaxResults": 0})).expect("input");
        let refused = list_release_labels(input).expect_err("refused");
        assert_eq!(refused.type_name(), "ValidationException");
        assert!(
            refused.to_string().contains("between 1 and 100"),
            "{refused}"
        );
    }
}
