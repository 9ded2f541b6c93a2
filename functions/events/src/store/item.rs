//! A [`Waiter`] as a DynamoDB item and back: the table's one schema, written once.
//!
//! | attribute | type | |
//! |---|---|---|
//! | `ClusterId` | S | partition key: what the waiter waits on — the cluster id of a step wait, or the object `s3://bucket/key` of a data wait (the attribute keeps its first name, so the deployed table is not replaced) |
//! | `Waiter` | S | sort key: the execution name |
//! | `TaskToken` | S | the delete condition |
//! | `StepIds` | L of S (a string set is read too) | a list, because a set cannot be empty |
//! | `ExpiresAt` | N | epoch seconds; the table's TTL attribute |

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::Waiter;

pub const CLUSTER_ID: &str = "ClusterId";
pub const WAITER: &str = "Waiter";
pub const TASK_TOKEN: &str = "TaskToken";
pub const STEP_IDS: &str = "StepIds";
pub const EXPIRES_AT: &str = "ExpiresAt";

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) fn to_item(waiter: &Waiter) -> Item {
    HashMap::from([
        (CLUSTER_ID.into(), s(&waiter.waits_on)),
        (WAITER.into(), s(&waiter.waiter)),
        (TASK_TOKEN.into(), s(&waiter.task_token)),
        (
            STEP_IDS.into(),
            AttributeValue::L(waiter.step_ids.iter().map(|id| s(id)).collect()),
        ),
        (EXPIRES_AT.into(), n(waiter.expires_at)),
    ])
}

pub(crate) fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_string())
}

pub(crate) fn n(number: i64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// Why a stored item is not a waiter, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("attribute {attribute} {problem}")]
pub struct BadItem {
    attribute: &'static str,
    problem: &'static str,
}

impl TryFrom<&Item> for Waiter {
    type Error = BadItem;

    fn try_from(item: &Item) -> Result<Waiter, BadItem> {
        let text = |attribute: &'static str| match item.get(attribute) {
            Some(AttributeValue::S(value)) => Ok(value.clone()),
            Some(_) => Err(BadItem {
                attribute,
                problem: "is not a string",
            }),
            None => Err(BadItem {
                attribute,
                problem: "is missing",
            }),
        };
        let expires_at = match item.get(EXPIRES_AT) {
            Some(AttributeValue::N(number)) => number.parse().map_err(|_| BadItem {
                attribute: EXPIRES_AT,
                problem: "is not a whole number of epoch seconds",
            }),
            _ => Err(BadItem {
                attribute: EXPIRES_AT,
                problem: "is missing or not a number",
            }),
        }?;
        Ok(Waiter {
            waits_on: text(CLUSTER_ID)?,
            waiter: text(WAITER)?,
            task_token: text(TASK_TOKEN)?,
            step_ids: step_ids(item.get(STEP_IDS))?,
            expires_at,
        })
    }
}

fn step_ids(value: Option<&AttributeValue>) -> Result<Vec<String>, BadItem> {
    let not_strings = BadItem {
        attribute: STEP_IDS,
        problem: "is not a list or set of strings",
    };
    match value {
        None => Ok(Vec::new()),
        Some(AttributeValue::Ss(ids)) => Ok(ids.clone()),
        Some(AttributeValue::L(values)) => values
            .iter()
            .map(|value| match value {
                AttributeValue::S(id) => Ok(id.clone()),
                _ => Err(not_strings.clone()),
            })
            .collect(),
        Some(_) => Err(not_strings),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiter(step_ids: &[&str]) -> Waiter {
        Waiter {
            waits_on: "j-ABC".into(),
            waiter: "daily-2026-11-21".into(),
            task_token: "token-1".into(),
            step_ids: step_ids.iter().map(|id| id.to_string()).collect(),
            expires_at: 1_795_000_900,
        }
    }

    #[test]
    fn a_waiter_round_trips_through_its_item() {
        // GIVEN waiters with steps and without WHEN written and read back THEN unchanged
        for original in [waiter(&["s-1", "s-2"]), waiter(&[])] {
            let item = to_item(&original);
            assert_eq!(item.get(EXPIRES_AT), Some(&n(1_795_000_900)));
            assert_eq!(Waiter::try_from(&item), Ok(original));
        }
    }

    #[test]
    fn a_string_set_of_step_ids_is_read_too() {
        // GIVEN an item whose StepIds someone wrote as a string set WHEN read THEN the ids
        let mut item = to_item(&waiter(&[]));
        item.insert(STEP_IDS.into(), AttributeValue::Ss(vec!["s-9".into()]));
        assert_eq!(Waiter::try_from(&item).unwrap().step_ids, ["s-9"]);
    }

    #[test]
    fn a_broken_item_is_named_in_words() {
        // GIVEN items missing a key, with a bad expiry, with non-string step ids
        let mut no_token = to_item(&waiter(&[]));
        no_token.remove(TASK_TOKEN);
        let mut bad_expiry = to_item(&waiter(&[]));
        bad_expiry.insert(EXPIRES_AT.into(), AttributeValue::N("soon".into()));
        let mut bad_steps = to_item(&waiter(&[]));
        bad_steps.insert(STEP_IDS.into(), AttributeValue::L(vec![n(1)]));
        // WHEN read THEN each error says which attribute and what is wrong
        let message = |item: &Item| Waiter::try_from(item).unwrap_err().to_string();
        assert_eq!(message(&no_token), "attribute TaskToken is missing");
        assert_eq!(
            message(&bad_expiry),
            "attribute ExpiresAt is not a whole number of epoch seconds"
        );
        assert_eq!(
            message(&bad_steps),
            "attribute StepIds is not a list or set of strings"
        );
    }
}
