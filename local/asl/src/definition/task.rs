//! The Task state: a Resource called with a payload (by its integration, see
//! `integration.rs`), under Retry/Catch and time limits.

use super::fields::Fields;
use super::integration::Integration;
use super::retry::Handling;
use crate::error::DefinitionError;
use crate::path::{DataPath, Template};

#[derive(Debug, Clone)]
pub(crate) struct TaskState {
    pub(crate) resource: String,
    pub(crate) integration: Integration,
    pub(crate) parameters: Option<Template>,
    pub(crate) handling: Handling,
    pub(crate) timeout_seconds: Option<u64>,
    pub(crate) heartbeat_seconds: Option<u64>,
    /// HeartbeatSecondsPath: the heartbeat read from the state input at each attempt.
    pub(crate) heartbeat_seconds_path: Option<DataPath>,
}

/// The Task state's own fields (the shared groups are added in `definition/mod.rs`).
pub(super) const FIELDS: &[&str] = &[
    "Resource",
    "Parameters",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "HeartbeatSecondsPath",
];

impl TaskState {
    pub(super) fn parse(fields: &Fields<'_>) -> Result<Self, DefinitionError> {
        let timeout_seconds = positive(fields, "TimeoutSeconds")?;
        let heartbeat_seconds = positive(fields, "HeartbeatSeconds")?;
        let heartbeat_seconds_path = fields.data_path("HeartbeatSecondsPath")?;
        if heartbeat_seconds.is_some() && heartbeat_seconds_path.is_some() {
            return Err(fields.error(
                "fields 'HeartbeatSeconds' and 'HeartbeatSecondsPath' cannot both be given",
            ));
        }
        if let (Some(timeout), Some(heartbeat)) = (timeout_seconds, heartbeat_seconds) {
            if heartbeat >= timeout {
                return Err(
                    fields.error("field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'")
                );
            }
        }
        let resource = fields.req_str("Resource")?;
        Ok(Self {
            integration: Integration::parse(fields, resource)?,
            resource: resource.to_string(),
            parameters: fields.template("Parameters")?,
            handling: Handling::parse(fields)?,
            timeout_seconds,
            heartbeat_seconds,
            heartbeat_seconds_path,
        })
    }
}

fn positive(fields: &Fields<'_>, key: &str) -> Result<Option<u64>, DefinitionError> {
    match fields.opt_u64(key)? {
        Some(0) => Err(fields.error(format!("field '{key}' must be a positive integer"))),
        other => Ok(other),
    }
}
