//! ASL's timestamps: RFC 3339 text read from a definition or an input (Wait's Timestamp,
//! the Timestamp* Choice rules), and RFC 3339 with milliseconds written into the context
//! object and the history, as Step Functions writes them.

use chrono::{DateTime, SecondsFormat, Utc};

/// An RFC 3339 timestamp in any offset, as UTC; `None` when `text` is not one.
pub(crate) fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

/// `2024-05-01T10:00:00.000Z`: UTC, milliseconds.
pub(crate) fn text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}
