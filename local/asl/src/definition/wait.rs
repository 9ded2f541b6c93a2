//! The Wait state: a number of seconds or a timestamp, literal or read from the input.

use chrono::{DateTime, Utc};

use super::fields::Fields;
use crate::error::DefinitionError;
use crate::path::DataPath;
use crate::timestamp;

#[derive(Debug, Clone)]
pub(crate) enum WaitState {
    Seconds(u64),
    Timestamp(DateTime<Utc>),
    SecondsPath(DataPath),
    TimestampPath(DataPath),
}

/// The Wait state's own fields (the shared groups are added in `definition/mod.rs`).
pub(super) const FIELDS: &[&str] = &["Seconds", "Timestamp", "SecondsPath", "TimestampPath"];

impl WaitState {
    pub(super) fn parse(fields: &Fields<'_>) -> Result<Self, DefinitionError> {
        let present: Vec<&str> = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
            .into_iter()
            .filter(|key| fields.get(key).is_some())
            .collect();
        if present.len() != 1 {
            return Err(fields.error(
                "exactly one of the fields 'Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath' is required",
            ));
        }
        Ok(match present[0] {
            "Seconds" => Self::Seconds(
                fields
                    .opt_u64("Seconds")?
                    .ok_or_else(|| fields.error("field 'Seconds' is required"))?,
            ),
            "Timestamp" => {
                let text = fields.req_str("Timestamp")?;
                Self::Timestamp(timestamp::parse(text).ok_or_else(|| {
                    fields.error(format!(
                        "field 'Timestamp': '{text}' is not an RFC 3339 timestamp"
                    ))
                })?)
            }
            "SecondsPath" => Self::SecondsPath(
                fields
                    .data_path("SecondsPath")?
                    .ok_or_else(|| fields.error("field 'SecondsPath' is required"))?,
            ),
            _ => Self::TimestampPath(
                fields
                    .data_path("TimestampPath")?
                    .ok_or_else(|| fields.error("field 'TimestampPath' is required"))?,
            ),
        })
    }
}
