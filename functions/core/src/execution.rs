//! Step Functions' naming of executions: an execution's ARN from its state machine's and its
//! name, and the name back from an ARN. Used by start-daily, the operating commands and the
//! reaper.

/// An execution's ARN: the state machine's with `stateMachine` replaced by `execution`, and
/// the execution's name after it.
pub fn execution_arn(state_machine_arn: &str, execution_name: &str) -> String {
    format!(
        "{}:{execution_name}",
        state_machine_arn.replacen(":stateMachine:", ":execution:", 1)
    )
}

/// The Region of a Step Functions ARN (`arn:aws:states:REGION:ACCOUNT:…`); None when the
/// text is not one.
pub fn arn_region(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    let shaped =
        parts.next() == Some("arn") && parts.next().is_some() && parts.next() == Some("states");
    parts.next().filter(|region| shaped && !region.is_empty())
}

/// The state machine's ARN from one of its executions' ARN (`…:execution:<machine>:<name>`
/// → `…:stateMachine:<machine>`); None for anything else.
pub fn state_machine_arn_of(execution_arn: &str) -> Option<String> {
    let (machine, name) = execution_arn.rsplit_once(':')?;
    let prefix = machine.strip_prefix("arn:")?;
    (!name.is_empty() && prefix.contains(":execution:")).then(|| {
        format!(
            "arn:{}",
            prefix.replacen(":execution:", ":stateMachine:", 1)
        )
    })
}

/// The name at the end of an execution ARN (or the text itself when it is a name).
pub fn execution_name(execution: &str) -> &str {
    if execution.starts_with("arn:") {
        execution.rsplit(':').next().unwrap_or(execution)
    } else {
        execution
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_execution_arn_and_its_name_go_both_ways() {
        // GIVEN a state machine ARN and an execution name
        let machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:emrflow";
        // WHEN the execution's ARN is built and its name read back
        let arn = execution_arn(machine, "daily-2026-11-22");
        // THEN both are what Step Functions uses
        assert_eq!(
            arn,
            "arn:aws:states:eu-west-1:123456789012:execution:emrflow:daily-2026-11-22"
        );
        assert_eq!(execution_name(&arn), "daily-2026-11-22");
        assert_eq!(execution_name("by-hand"), "by-hand");
        assert_eq!(arn_region(machine), Some("eu-west-1"));
        assert_eq!(arn_region("emrflow"), None);
        assert_eq!(arn_region("arn:aws:lambda:eu-west-1:1:function:f"), None);
        // AND the state machine comes back from the execution's ARN
        assert_eq!(state_machine_arn_of(&arn).as_deref(), Some(machine));
        assert_eq!(state_machine_arn_of("daily-2026-11-22"), None);
    }
}
