//! When a run may start (README, "When a run starts"): how many runs of the pipeline may go
//! at once (`MaxConcurrentRuns`), how long a run queues behind earlier ones
//! (`QueueTimeoutMinutes`), and the input objects that must exist first (`WaitFor`). Checked
//! by Check_Start_Conditions before any cluster exists.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use super::{spec_error, PipelineSpec, MAX_RUN_MINUTES_LIMIT};
use crate::objects::check_object_uri;
use crate::{words, EmrflowError};

/// One run at a time: yesterday's run still going means today's would write the same tables.
pub const DEFAULT_MAX_CONCURRENT_RUNS: u32 = 1;
/// More than this many runs of one pipeline at once is a backfill, which wants its own
/// pipeline (and EMR's account quota) rather than a bigger queue.
pub const MAX_CONCURRENT_RUNS: RangeInclusive<u32> = 1..=20;
/// Half a day: a run still queued after that is reported (PipelineBusy) while someone can act
/// on the same day, instead of starting in the middle of the next day's.
pub const DEFAULT_QUEUE_TIMEOUT_MINUTES: u32 = 12 * 60;
/// Three hours of late data before InputNotReady, unless the pipeline says otherwise.
pub const DEFAULT_WAIT_FOR_TIMEOUT_MINUTES: u32 = 3 * 60;
/// The objects one run may wait for (each is a look per check, and a waiter per wait).
pub const MAX_WAIT_FOR_OBJECTS: usize = 20;

/// `"WaitFor": {"S3": ["s3://raw/orders/{{ProcessingDate}}/_SUCCESS"], "TimeoutMinutes": 180}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct WaitFor {
    /// Objects that must exist before the run starts (placeholders rendered as in steps).
    #[serde(rename = "S3")]
    pub s3: Vec<String>,
    /// How long after the execution started the objects may still come; then InputNotReady.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_minutes: Option<u32>,
}

impl WaitFor {
    pub fn timeout_minutes(&self) -> u32 {
        self.timeout_minutes
            .unwrap_or(DEFAULT_WAIT_FOR_TIMEOUT_MINUTES)
    }
}

impl PipelineSpec {
    pub fn max_concurrent_runs(&self) -> u32 {
        self.max_concurrent_runs
            .unwrap_or(DEFAULT_MAX_CONCURRENT_RUNS)
    }

    pub fn queue_timeout_minutes(&self) -> u32 {
        self.queue_timeout_minutes
            .unwrap_or(DEFAULT_QUEUE_TIMEOUT_MINUTES)
    }

    /// The objects this run waits for (none without WaitFor).
    pub fn waits_for_objects(&self) -> &[String] {
        self.wait_for.as_ref().map_or(&[], |wait| &wait.s3)
    }

    /// MaxConcurrentRuns, QueueTimeoutMinutes and WaitFor, each InvalidInput naming the key.
    pub(super) fn validate_start(&self) -> Result<(), EmrflowError> {
        if let Some(runs) = self.max_concurrent_runs {
            if !MAX_CONCURRENT_RUNS.contains(&runs) {
                return Err(spec_error(
                    "MaxConcurrentRuns",
                    format!(
                        "{runs} is outside {} (1 = a run waits for the one before it)",
                        words::range(&MAX_CONCURRENT_RUNS)
                    ),
                ));
            }
        }
        if let Some(minutes) = self.queue_timeout_minutes {
            check_minutes("QueueTimeoutMinutes", minutes)?;
        }
        let Some(wait_for) = &self.wait_for else {
            return Ok(());
        };
        if let Some(minutes) = wait_for.timeout_minutes {
            check_minutes("WaitFor.TimeoutMinutes", minutes)?;
        }
        if wait_for.s3.is_empty() || wait_for.s3.len() > MAX_WAIT_FOR_OBJECTS {
            return Err(spec_error(
                "WaitFor.S3",
                format!(
                    "{}; give 1 to {MAX_WAIT_FOR_OBJECTS} (or leave WaitFor out)",
                    words::count(wait_for.s3.len() as u32, "object")
                ),
            ));
        }
        for (index, uri) in wait_for.s3.iter().enumerate() {
            check_object_uri(uri)
                .map_err(|problem| spec_error(format!("WaitFor.S3[{index}]"), problem))?;
        }
        Ok(())
    }
}

fn check_minutes(key: &str, minutes: u32) -> Result<(), EmrflowError> {
    if (1..=MAX_RUN_MINUTES_LIMIT).contains(&minutes) {
        Ok(())
    } else {
        Err(spec_error(
            key,
            format!(
                "{minutes} is outside {} (a week)",
                words::range(&(1..=MAX_RUN_MINUTES_LIMIT))
            ),
        ))
    }
}
