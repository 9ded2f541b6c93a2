//! The EMR step name of each attempt of a step: `<Name> [<ExecutionName>]` for the first
//! (the idempotency key add-steps finds a lost submission by), `<Name> [<ExecutionName>#N]`
//! for attempt N ≥ 2. Execution names cannot contain `[`, `]` or `#` (input checks), so the
//! name parses back unambiguously.

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

/// The longest suffix any attempt adds to a step name (for EMR's 256-character limit).
pub fn longest_suffix_chars(execution_name: &str, max_attempts: u32) -> usize {
    attempt_name("", execution_name, max_attempts)
        .chars()
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(longest_suffix_chars("run-1", 10), " [run-1#10]".len());
    }
}
