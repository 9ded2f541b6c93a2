//! An execution's steps as a person reads them: each pipeline step with its attempts (EMR
//! step id, state, times, log location, FailureDetails) and why a skipped one never ran. They
//! come from check-steps' final report when the run got that far (succeeded or failed),
//! otherwise from EMR's ListSteps of the cluster, where an execution's steps are known by
//! their names (`<Step> [<Execution>]`, `#N` for retries) — skipped steps are not there.

use emrflow_core::emr::{PipelineStepState, StepSummary};
use emrflow_core::handlers::{attempt_report, AttemptReport, StepReport};
use emrflow_core::naming::parse_attempt_name;
use serde::{Deserialize, Serialize};

/// One pipeline step and its attempts, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StepView {
    pub name: String,
    /// The step's state: its last attempt's, or the report's (SKIPPED, WAITING, …).
    pub state: PipelineStepState,
    /// Why a SKIPPED step never ran (from check-steps' report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    pub attempts: Vec<AttemptReport>,
}

impl From<&StepReport> for StepView {
    fn from(report: &StepReport) -> Self {
        StepView {
            name: report.name.clone(),
            state: report.state,
            skip_reason: report.skip_reason.clone(),
            attempts: report.attempts.clone(),
        }
    }
}

impl StepView {
    /// The attempt whose logs explain a failure: the last one that FAILED or TIMED_OUT.
    pub fn failed_attempt(&self) -> Option<&AttemptReport> {
        self.attempts.iter().rev().find(|attempt| {
            matches!(
                attempt.state,
                PipelineStepState::Failed | PipelineStepState::TimedOut
            )
        })
    }

    /// The attempt shown by default: the last one.
    pub fn last_attempt(&self) -> Option<&AttemptReport> {
        self.attempts.last()
    }

    /// The last attempt when it started and never completed: what ran when the run ended
    /// without it (cancelled by a stop, interrupted, or still running).
    fn unfinished_attempt(&self) -> Option<&AttemptReport> {
        self.last_attempt().filter(|attempt| {
            attempt.started_at.is_some() && attempt.state != PipelineStepState::Completed
        })
    }
}

/// The step and attempt whose logs say why a run ended as it did: the last attempt that
/// failed or timed out, else (a stopped run, a dead cluster) the last one that was running
/// and never completed. `emrflow logs` shows it without `--step`; `show` says why from it.
pub fn step_to_explain(steps: &[StepView]) -> Option<(&StepView, &AttemptReport)> {
    let failed = steps
        .iter()
        .rev()
        .find_map(|step| step.failed_attempt().map(|attempt| (step, attempt)));
    failed.or_else(|| {
        steps
            .iter()
            .rev()
            .find_map(|step| step.unfinished_attempt().map(|attempt| (step, attempt)))
    })
}

/// The steps of `execution_name` among a cluster's steps (ListSteps' order, newest first),
/// each with its attempts, in the order they were first submitted.
pub fn execution_steps(
    cluster_steps: &[StepSummary],
    execution_name: &str,
    cluster_id: &str,
    log_uri: Option<&str>,
) -> Vec<StepView> {
    let mut views: Vec<StepView> = Vec::new();
    for step in cluster_steps.iter().rev() {
        let Some((name, attempt)) = parse_attempt_name(&step.name, execution_name) else {
            continue;
        };
        let report = attempt_report(attempt, step, cluster_id, log_uri);
        match views.iter_mut().find(|view| view.name == name) {
            Some(view) => view.attempts.push(report),
            None => views.push(StepView {
                name: name.to_string(),
                state: report.state,
                skip_reason: None,
                attempts: vec![report],
            }),
        }
    }
    for view in &mut views {
        view.attempts.sort_by_key(|attempt| attempt.attempt);
        if let Some(last) = view.last_attempt() {
            view.state = last.state;
        }
    }
    views
}

#[cfg(test)]
mod tests {
    use super::*;
    use emrflow_core::emr::StepState;

    fn step(id: &str, name: &str, state: StepState) -> StepSummary {
        StepSummary {
            id: id.into(),
            name: name.into(),
            state,
            action_on_failure: None,
            created_at: None,
            started_at: None,
            ended_at: None,
            failure_details: None,
        }
    }

    #[test]
    fn an_executions_steps_are_grouped_with_their_attempts_and_others_left_out() {
        // GIVEN ListSteps newest first: a retry, another execution's step, the first attempts
        let listed = vec![
            step("s-4", "curate [run-1#2]", StepState::Completed),
            step("s-3", "curate [run-2]", StepState::Running),
            step("s-2", "curate [run-1]", StepState::Failed),
            step("s-1", "validate [run-1]", StepState::Completed),
        ];
        // WHEN run-1's steps are taken
        let views = execution_steps(&listed, "run-1", "j-1", Some("s3://logs/emr/"));
        // THEN its two steps, in submission order, curate with both attempts
        let names: Vec<&str> = views.iter().map(|view| view.name.as_str()).collect();
        assert_eq!(names, ["validate", "curate"]);
        let curate = &views[1];
        assert_eq!(curate.state, "COMPLETED");
        let ids: Vec<&str> = curate.attempts.iter().map(|a| a.step_id.as_str()).collect();
        assert_eq!(ids, ["s-2", "s-4"]);
        assert_eq!(
            curate.failed_attempt().map(|a| a.step_id.as_str()),
            Some("s-2")
        );
        assert_eq!(
            curate.attempts[0].log_location.as_deref(),
            Some("s3://logs/emr/j-1/steps/s-2/")
        );
    }

    fn view(name: &str, states: &[(PipelineStepState, bool)]) -> StepView {
        let attempts: Vec<AttemptReport> = states
            .iter()
            .enumerate()
            .map(|(index, (state, started))| AttemptReport {
                attempt: index as u32 + 1,
                step_id: format!("s-{name}{index}"),
                state: *state,
                started_at: started.then(|| "2026-11-22T06:00:00Z".to_string()),
                ended_at: None,
                log_location: None,
                failure_details: None,
            })
            .collect();
        StepView {
            name: name.into(),
            state: attempts
                .last()
                .map_or(PipelineStepState::Skipped, |attempt| attempt.state),
            skip_reason: None,
            attempts,
        }
    }

    #[test]
    fn the_step_to_explain_is_the_failure_else_what_ran_when_the_run_stopped() {
        use PipelineStepState::*;
        // GIVEN a run whose step timed out once, then completed, and one that failed
        let failed = [
            view("a", &[(TimedOut, true), (Completed, true)]),
            view("b", &[(Failed, true)]),
            view("c", &[]),
        ];
        // WHEN the step to explain is chosen THEN the last failure (TIMED_OUT counts too)
        let (step, attempt) = step_to_explain(&failed).expect("one");
        assert_eq!((step.name.as_str(), attempt.attempt), ("b", 1));
        let timed_out = [view("a", &[(TimedOut, true)]), view("c", &[])];
        assert_eq!(
            step_to_explain(&timed_out).map(|(s, _)| s.name.as_str()),
            Some("a")
        );
        // GIVEN a stopped run: one step done, one cancelled while running, one never started
        let stopped = [
            view("a", &[(Completed, true)]),
            view("b", &[(Cancelled, true)]),
            view("c", &[(Cancelled, false)]),
        ];
        // THEN the one that was running when it stopped
        assert_eq!(
            step_to_explain(&stopped).map(|(s, _)| s.name.as_str()),
            Some("b")
        );
        // AND nothing for a run where every step completed
        assert!(step_to_explain(&[view("a", &[(Completed, true)])]).is_none());
    }
}
