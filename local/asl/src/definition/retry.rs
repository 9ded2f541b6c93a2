//! Retry and Catch: parsing the retriers and catchers of Task, Parallel and Map states,
//! together with the result fields (ResultSelector, ResultPath) that those three states
//! share.

use super::fields::Fields;
use crate::error::{names, DefinitionError};
use crate::path::{ResultPath, Template};

/// What a Task, Parallel or Map state does with its result (ResultSelector, then
/// ResultPath) and with its errors (Retry, then Catch).
#[derive(Debug, Clone)]
pub(crate) struct Handling {
    pub(crate) result_selector: Option<Template>,
    pub(crate) result_path: ResultPath,
    pub(crate) retry: Vec<Retrier>,
    pub(crate) catch: Vec<Catcher>,
}

/// The fields [`Handling`] reads.
pub(super) const HANDLING_FIELDS: &[&str] = &["ResultSelector", "ResultPath", "Retry", "Catch"];

impl Handling {
    pub(super) fn parse(fields: &Fields<'_>) -> Result<Self, DefinitionError> {
        Ok(Self {
            result_selector: fields.template("ResultSelector")?,
            result_path: fields.result_path("ResultPath")?,
            retry: parse_retriers(fields)?,
            catch: parse_catchers(fields)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Retrier {
    pub(crate) error_equals: Vec<String>,
    pub(crate) interval_seconds: f64,
    pub(crate) max_attempts: u32,
    pub(crate) backoff_rate: f64,
    pub(crate) max_delay_seconds: Option<f64>,
    pub(crate) full_jitter: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Catcher {
    pub(crate) error_equals: Vec<String>,
    pub(crate) next: String,
    pub(crate) result_path: ResultPath,
}

fn error_equals(fields: &Fields<'_>, is_last: bool) -> Result<Vec<String>, DefinitionError> {
    let names_value = fields.non_empty_array("ErrorEquals")?;
    let mut error_names = Vec::with_capacity(names_value.len());
    for name in names_value {
        let name = name
            .as_str()
            .ok_or_else(|| fields.error("field 'ErrorEquals' must contain strings"))?;
        error_names.push(name.to_string());
    }
    if error_names.iter().any(|name| name == names::ALL) {
        if error_names.len() != 1 {
            return Err(fields.error("field 'ErrorEquals': States.ALL must appear alone"));
        }
        if !is_last {
            return Err(
                fields.error("field 'ErrorEquals': States.ALL must be in the last retrier/catcher")
            );
        }
    }
    Ok(error_names)
}

fn parse_retriers(fields: &Fields<'_>) -> Result<Vec<Retrier>, DefinitionError> {
    let items = fields.object_array("Retry")?;
    let count = items.len();
    let mut retriers = Vec::with_capacity(count);
    for (index, retrier) in items.into_iter().enumerate() {
        retrier.check_allowed(&[
            "ErrorEquals",
            "IntervalSeconds",
            "MaxAttempts",
            "BackoffRate",
            "MaxDelaySeconds",
            "JitterStrategy",
            "Comment",
        ])?;
        let interval_seconds = retrier.opt_u64("IntervalSeconds")?.unwrap_or(1);
        if interval_seconds == 0 {
            return Err(retrier.error("field 'IntervalSeconds' must be a positive integer"));
        }
        let max_attempts = retrier.opt_u64("MaxAttempts")?.unwrap_or(3);
        let backoff_rate = retrier.opt_f64("BackoffRate")?.unwrap_or(2.0);
        if backoff_rate < 1.0 {
            return Err(retrier.error("field 'BackoffRate' must be at least 1.0"));
        }
        let max_delay_seconds = match retrier.opt_u64("MaxDelaySeconds")? {
            Some(0) => {
                return Err(retrier.error("field 'MaxDelaySeconds' must be a positive integer"))
            }
            other => other,
        };
        let full_jitter = match retrier.opt_str("JitterStrategy")? {
            None | Some("NONE") => false,
            Some("FULL") => true,
            Some(other) => {
                return Err(retrier.error(format!(
                    "field 'JitterStrategy': '{other}' is not FULL or NONE"
                )))
            }
        };
        retriers.push(Retrier {
            error_equals: error_equals(&retrier, index + 1 == count)?,
            interval_seconds: interval_seconds as f64,
            max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
            backoff_rate,
            max_delay_seconds: max_delay_seconds.map(|s| s as f64),
            full_jitter,
        });
    }
    Ok(retriers)
}

fn parse_catchers(fields: &Fields<'_>) -> Result<Vec<Catcher>, DefinitionError> {
    let items = fields.object_array("Catch")?;
    let count = items.len();
    let mut catchers = Vec::with_capacity(count);
    for (index, catcher) in items.into_iter().enumerate() {
        catcher.check_allowed(&["ErrorEquals", "Next", "ResultPath", "Comment"])?;
        catchers.push(Catcher {
            error_equals: error_equals(&catcher, index + 1 == count)?,
            next: catcher.req_str("Next")?.to_string(),
            result_path: catcher.result_path("ResultPath")?,
        });
    }
    Ok(catchers)
}
