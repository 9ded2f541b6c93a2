//! The names and tags by which emrflow finds again what an execution made — its idempotency
//! keys, since RunJobFlow and AddJobFlowSteps take no client token:
//!
//! - a cluster is named `emrflow-<PipelineName>-<ExecutionName>` and tagged
//!   `emrflow:pipeline` and `emrflow:execution`;
//! - attempt 1 of a step is the EMR step `<Name> [<ExecutionName>]`, attempt N ≥ 2
//!   `<Name> [<ExecutionName>#N]`. Execution names cannot contain `[`, `]` or `#` (input
//!   checks), so a name parses back unambiguously;
//! - one item's instance of a step with `ForEach` is the step `<Name>[<item>]`
//!   (`etl[tenant_b] [<ExecutionName>#2]` on EMR). Spec step names cannot contain `[` or
//!   `]`, and items hold none of `[`, `]`, `#` or a space ([`check_item`]), so the instance
//!   parses back too, and the execution suffix stays the last ` [` of the EMR name.
//! - the execution a schedule starts for one pipeline and one processing day is
//!   `<PipelineName>-<YYYY-MM-DD>` ([`daily_execution_name`]): Step Functions keeps execution
//!   names unique per state machine, so a repeated tick, a retry or a redeploy cannot start
//!   that day twice. `emrflow backfill` starts a day under the same name for the same
//!   reason, so a day the schedule ran is never run twice; a re-run of a failed day (backfill
//!   `--retry-failed`) is attempt N ≥ 2 of that day, `<PipelineName>-<YYYY-MM-DD>-r<N>`
//!   ([`daily_attempt_name`]), and [`parse_daily_execution_name`] reads both back.
//! - `emrflow rerun` names a re-run of any execution the same way: the next attempt of the
//!   name it re-runs ([`next_attempt_name`]: `etl-2026-11-21` → `etl-2026-11-21-r2`,
//!   `manual-20261121T060000Z-r2` → `…-r3`), so a re-run of a day is that day's next attempt
//!   for `emrflow backfill` too.

/// Tag keys that mark a cluster as created by one execution of one pipeline.
pub const PIPELINE_TAG: &str = "emrflow:pipeline";
pub const EXECUTION_TAG: &str = "emrflow:execution";

/// The execution of pipeline `pipeline_name` for one processing day: pipeline names are 1 to
/// 64 characters of A-Z a-z 0-9 _ -, so this is a valid execution name of at most 75.
pub fn daily_execution_name(pipeline_name: &str, processing_date: chrono::NaiveDate) -> String {
    format!("{pipeline_name}-{}", processing_date.format("%Y-%m-%d"))
}

/// Attempt `attempt` (1-based) of pipeline `pipeline_name`'s execution for one processing
/// day: attempt 1 is the schedule's [`daily_execution_name`], attempt N ≥ 2 adds `-r<N>`
/// (`daily-etl-2026-11-21-r2`): at most 75 + 1 + 4 characters for the 9,999 attempts Step
/// Functions' 80-character names allow.
pub fn daily_attempt_name(
    pipeline_name: &str,
    processing_date: chrono::NaiveDate,
    attempt: u32,
) -> String {
    let first = daily_execution_name(pipeline_name, processing_date);
    if attempt <= 1 {
        first
    } else {
        format!("{first}-r{attempt}")
    }
}

/// The processing day and attempt of one of `pipeline_name`'s daily executions
/// ([`daily_attempt_name`]); None for any other name (another pipeline's, a manual start's).
pub fn parse_daily_execution_name(
    execution_name: &str,
    pipeline_name: &str,
) -> Option<(chrono::NaiveDate, u32)> {
    split_daily_execution_name(execution_name)
        .filter(|(pipeline, _, _)| *pipeline == pipeline_name)
        .map(|(_, date, attempt)| (date, attempt))
}

/// The pipeline, processing day and attempt of any daily execution name, read from its end
/// (a date is exactly ten characters), so a pipeline whose name ends like a date is never
/// taken for another's day; None for names no pipeline's day has (`manual-…`, `local-…`).
pub fn split_daily_execution_name(execution_name: &str) -> Option<(&str, chrono::NaiveDate, u32)> {
    let (rest, attempt) = split_attempt(execution_name);
    let cut = rest.len().checked_sub(11)?;
    let (pipeline, dated) = (rest.get(..cut)?, rest.get(cut..)?);
    let date_text = dated.strip_prefix('-')?;
    let date = chrono::NaiveDate::parse_from_str(date_text, "%Y-%m-%d").ok()?;
    let exact = date.format("%Y-%m-%d").to_string() == date_text;
    (exact && !pipeline.is_empty()).then_some((pipeline, date, attempt))
}

/// An execution name without its attempt suffix `-r<N>` (N ≥ 2, no leading zero), and that
/// attempt: 1 when there is none.
pub fn split_attempt(execution_name: &str) -> (&str, u32) {
    let numbered = execution_name.rsplit_once("-r").and_then(|(rest, number)| {
        let digits = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
        let attempt = number.parse::<u32>().ok().filter(|n| *n >= 2);
        attempt
            .filter(|_| digits && !number.starts_with('0'))
            .map(|n| (rest, n))
    });
    numbered.unwrap_or((execution_name, 1))
}

/// The `later`th attempt after `execution_name` (later ≥ 1): `etl-2026-11-21` and 1 →
/// `etl-2026-11-21-r2`; `etl-2026-11-21-r2` and 2 → `etl-2026-11-21-r4`.
pub fn next_attempt_name(execution_name: &str, later: u32) -> String {
    let (base, attempt) = split_attempt(execution_name);
    format!("{base}-r{}", attempt.saturating_add(later.max(1)))
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

/// What a `ForEach` item may be, in words (messages and the README say the same).
pub const ITEM_RULE: &str =
    "1 to 64 characters of A-Z a-z 0-9 _ - . starting with a letter or a digit";

/// An item of a `ForEach` list, as it goes into EMR step names (`etl[tenant_b]`) and paths:
/// [`ITEM_RULE`]. No separator (`[`, `]`, `#`, space), no `/`, and no leading `.`, so an item
/// rendered into an S3 key never climbs out of its folder.
pub fn check_item(item: &str) -> Result<(), String> {
    let mut chars = item.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && item.len() <= 64;
    let length = item.chars().count();
    match (well_formed, length > 64) {
        (true, _) => Ok(()),
        (false, true) => Err(format!(
            "an item of {length} characters is too long: items are {ITEM_RULE} (each becomes part of an EMR step name)"
        )),
        (false, false) => Err(format!(
            "'{item}' is not an item name: items are {ITEM_RULE} (each becomes part of an EMR step name)"
        )),
    }
}

/// The name of one item's instance of the mapped step `name`.
pub fn instance_name(name: &str, item: &str) -> String {
    format!("{name}[{item}]")
}

/// The step and the item of an instance name; None for a step without `ForEach`.
pub fn split_instance_name(name: &str) -> Option<(&str, &str)> {
    let (step, item) = name.strip_suffix(']')?.split_once('[')?;
    check_item(item).ok()?;
    Some((step, item))
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
    fn a_days_attempts_are_named_once_and_read_back() {
        // GIVEN a pipeline's day WHEN its attempts are named THEN the first is the
        // schedule's name, the next ones number it
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        assert_eq!(
            daily_attempt_name("daily-etl", day, 1),
            daily_execution_name("daily-etl", day)
        );
        assert_eq!(
            daily_attempt_name("daily-etl", day, 3),
            "daily-etl-2026-11-21-r3"
        );
        // AND each reads back as its day and attempt
        for attempt in [1, 2, 12] {
            let name = daily_attempt_name("daily-etl", day, attempt);
            assert_eq!(
                parse_daily_execution_name(&name, "daily-etl"),
                Some((day, attempt))
            );
        }
        // AND names of other pipelines, manual starts and near misses are not its days
        for other in [
            "daily-etl-2026-11-21-r1",
            "daily-etl-2026-11-21-r02",
            "daily-etl-2026-11-21-rx",
            "daily-etl-2026-11-21-2",
            "daily-etl-2026-11-31",
            "daily-etl-2026-1-21",
            "manual-20261121T060000Z",
            "daily-etl",
        ] {
            assert_eq!(
                parse_daily_execution_name(other, "daily-etl"),
                None,
                "{other}"
            );
        }
        // AND a pipeline named like another's day never takes that day
        let tricky = daily_execution_name("a-2026-11-21", day);
        assert_eq!(parse_daily_execution_name(&tricky, "a"), None);
        assert_eq!(
            parse_daily_execution_name(&tricky, "a-2026-11-21"),
            Some((day, 1))
        );
        assert_eq!(
            split_daily_execution_name("etl-r-2026-11-21-r2"),
            Some(("etl-r", day, 2))
        );
        assert_eq!(split_daily_execution_name("-2026-11-21"), None);
    }

    #[test]
    fn a_rerun_is_the_next_attempt_of_the_name_it_re_runs() {
        // GIVEN a day's first run, its second attempt and a manual start
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        // WHEN their re-runs are named THEN each is the next attempt, a day's as backfill's
        assert_eq!(
            next_attempt_name("etl-2026-11-21", 1),
            daily_attempt_name("etl", day, 2)
        );
        assert_eq!(
            next_attempt_name("etl-2026-11-21-r2", 2),
            "etl-2026-11-21-r4"
        );
        assert_eq!(
            next_attempt_name("manual-20261121T060000Z", 1),
            "manual-20261121T060000Z-r2"
        );
        assert_eq!(split_attempt("etl-r-x"), ("etl-r-x", 1));
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

    #[test]
    fn instance_names_round_trip_through_emr_step_names() {
        // GIVEN instances of mapped steps (one whose name ends with a space) and their attempts
        for (step, item) in [
            ("etl", "tenant_b"),
            ("load daily ", "eu-west-1"),
            ("x", "2026.11"),
        ] {
            let instance = instance_name(step, item);
            for attempt in [1, 2, 10] {
                // WHEN the EMR step name is parsed back
                let emr_name = attempt_name(&instance, "run-1", attempt);
                let (parsed, parsed_attempt) =
                    parse_attempt_name(&emr_name, "run-1").expect("ours");
                // THEN the instance, the attempt, the step and the item all come back
                assert_eq!((parsed, parsed_attempt), (instance.as_str(), attempt));
                assert_eq!(split_instance_name(parsed), Some((step, item)));
            }
        }
        assert_eq!(
            attempt_name("etl[tenant_b]", "run-1", 2),
            "etl[tenant_b] [run-1#2]"
        );
        // AND an instance is never read as another execution's step, nor a plain step as one
        assert_eq!(parse_attempt_name("etl[tenant_b]", "tenant_b"), None);
        assert_eq!(parse_attempt_name("etl[run-1]", "run-1"), None);
        assert_eq!(split_instance_name("etl"), None);
        assert_eq!(split_instance_name("etl[a b]"), None);
    }

    #[test]
    fn items_are_name_parts_without_separators() {
        // GIVEN items as data engineers write them WHEN checked THEN only safe name parts pass
        for good in [
            "tenant_a",
            "eu-west-1",
            "2026-11-21",
            "00",
            "v1.2",
            &"a".repeat(64),
        ] {
            assert!(check_item(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "a b",
            "a[1]",
            "a#2",
            "a/b",
            "..",
            ".hidden",
            "-x",
            "é",
            &"a".repeat(65),
        ] {
            let message = check_item(bad).expect_err(bad);
            assert!(message.contains(ITEM_RULE), "{message}");
        }
    }
}
