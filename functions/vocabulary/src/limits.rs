//! EMR's API limits, each defined once (EMR API reference: AddJobFlowSteps, RunJobFlow,
//! ListSteps, AddTags). Callers word their own messages; the numbers and rules live here.

use std::ops::RangeInclusive;

use crate::ActionOnFailure;

/// Steps that may be PENDING, CANCEL_PENDING or RUNNING on one cluster at once
/// ("a maximum of 256 steps are allowed in each job flow").
pub const MAX_ACTIVE_STEPS: usize = 256;

/// "The string values passed into HadoopJarStep cannot exceed a total of 10240 characters."
pub const MAX_HADOOP_JAR_STEP_CHARS: usize = 10_240;

/// A step's Name (and a cluster's Name) is at most 256 characters.
pub const MAX_STEP_NAME_CHARS: usize = 256;
pub const MAX_CLUSTER_NAME_CHARS: usize = 256;

/// A cluster's StepConcurrencyLevel.
pub const STEP_CONCURRENCY_LEVELS: RangeInclusive<u32> = 1..=256;

/// AutoTerminationPolicy.IdleTimeout, in seconds (one minute to seven days).
pub const IDLE_TIMEOUT_SECONDS: RangeInclusive<u64> = 60..=604_800;

/// ListSteps filters by at most this many step ids.
pub const MAX_STEP_IDS_PER_LIST_STEPS: usize = 10;

/// ListClusters and ListSteps return pages of this many entries.
pub const LIST_PAGE_SIZE: usize = 50;

/// Tags on an EMR resource: key and value lengths, and how many.
pub const MAX_TAG_KEY_CHARS: usize = 128;
pub const MAX_TAG_VALUE_CHARS: usize = 256;
pub const MAX_TAGS: usize = 50;

/// "If a cluster's StepConcurrencyLevel is greater than 1, do not use AddJobFlowSteps to
/// submit a step with CANCEL_AND_WAIT or TERMINATE_CLUSTER": only CONTINUE runs concurrently.
pub fn action_allowed_at_concurrency(action: ActionOnFailure, level: u32) -> bool {
    level <= 1 || action == ActionOnFailure::Continue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_continue_is_allowed_above_one_concurrent_step() {
        // GIVEN every action WHEN asked at level 1 and 2 THEN all pass at 1, only CONTINUE at 2
        for action in ActionOnFailure::ALL {
            assert!(action_allowed_at_concurrency(*action, 1));
            assert_eq!(
                action_allowed_at_concurrency(*action, 2),
                *action == ActionOnFailure::Continue,
                "{action}"
            );
        }
    }
}
