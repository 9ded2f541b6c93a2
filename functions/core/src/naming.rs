//! The names and tags by which emrflow finds again what an execution made — its idempotency
//! keys, since RunJobFlow and AddJobFlowSteps take no client token:
//!
//! - a cluster is named `emrflow-<PipelineName>-<ExecutionName>` and tagged
//!   `emrflow:pipeline` and `emrflow:execution`;
//! - attempt 1 of a step is the EMR step `<Name> [<ExecutionName>]`, attempt N ≥ 2
//!   `<Name> [<ExecutionName>#N]`. Execution names cannot contain `[`, `]` or `#` (input
//!   checks), so a name parses back unambiguously;
//! - the execution a schedule starts for one pipeline and one processing day is
//!   `<PipelineName>-<YYYY-MM-DD>` ([`daily_execution_name`]): Step Functions keeps execution
//!   names unique per state machine, so a repeated tick, a retry or a redeploy cannot start
//!   that day twice (backfills use the same name for the same reason).

/// Tag keys that mark a cluster as created by one execution of one pipeline.
pub const PIPELINE_TAG: &str = "emrflow:pipeline";
pub const EXECUTION_TAG: &str = "emrflow:execution";

/// The execution of pipeline `pipeline_name` for one processing day: pipeline names are 1 to
/// 64 characters of A-Z a-z 0-9 _ -, so this is a valid execution name of at most 75.
pub fn daily_execution_name(pipeline_name: &str, processing_date: chrono::NaiveDate) -> String {
    format!("{pipeline_name}-{}", processing_date.format("%Y-%m-%d"))
}

/// The name of the cluster one execution of one pipeline creates.
pub fn cluster_name(pipeline_name: &str, execution_name: &str) -> String {
    format!("emrflow-{pipeline_name}-{execution_name}")
}

/// The EMR step name of a step's first attempt.
pub fn step_name(name: &str, execution_name: &str) -> String {
    attempt_name(name, execution_name, 1)
}

/// The EMR step name of `attempt` (1-based) of step `name` in `execution_name`.
pub fn attempt_name(name: &str, execution_name: &str, attempt: u32) -> String {
    if attempt <= 1 {
        format!("{name} [{execution_name}]")
    } else {
        format!("{name} [{execution_name}#{attempt}]")
    }
}

/// The step name and attempt of an EMR step of `execution_name`; None for any other step
/// (another execution's, or one that emrflow did not submit).
pub fn parse_attempt_name<'a>(emr_name: &'a str, execution_name: &str) -> Option<(&'a str, u32)> {
    let inner = emr_name.strip_suffix(']')?;
    let (name, tag) = inner.rsplit_once(" [")?;
    let rest = tag.strip_prefix(execution_name)?;
    let attempt = match rest {
        "" => 1,
        number => number
            .strip_prefix('#')?
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= 2)?,
    };
    Some((name, attempt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipeline_and_a_day_name_one_execution() {
        // GIVEN a pipeline and a processing day WHEN the schedule names its execution
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        // THEN the name says both, and another pipeline's run of that day is another name
        assert_eq!(
            daily_execution_name("daily-etl", day),
            "daily-etl-2026-11-21"
        );
        assert_ne!(
            daily_execution_name("data-lake", day),
            daily_execution_name("daily-etl", day)
        );
    }

    #[test]
    fn attempt_names_round_trip_and_ignore_other_executions() {
        // GIVEN names of attempts 1 and 3 WHEN parsed back THEN the step and attempt return
        assert_eq!(attempt_name("curate", "run-1", 1), "curate [run-1]");
        assert_eq!(attempt_name("curate", "run-1", 3), "curate [run-1#3]");
        for attempt in [1, 2, 3, 10] {
            let name = attempt_name("load [x]", "run-1", attempt);
            assert_eq!(
                parse_attempt_name(&name, "run-1"),
                Some(("load [x]", attempt))
            );
        }
        // AND steps of other executions, or not ours, are not mistaken for ours
        for other in [
            "curate [run-10]",
            "curate [run-1#1]",
            "curate",
            "curate [run-1#x]",
        ] {
            assert_eq!(parse_attempt_name(other, "run-1"), None, "{other}");
        }
    }
}
