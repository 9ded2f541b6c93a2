//! An execution's steps as a person reads them: each pipeline step with its attempts (EMR
//! step id, state, times, log location, FailureDetails). They come from check-steps' final
//! report when the run got that far, otherwise from EMR's ListSteps of the cluster, where an
//! execution's steps are known by their names (`<Step> [<Execution>]`, `#N` for retries).

use emrflow_core::emr::{PipelineStepState, StepState, StepSummary};
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
    pub attempts: Vec<AttemptReport>,
}

impl From<&StepReport> for StepView {
    fn from(report: &StepReport) -> Self {
        StepView {
            name: report.name.clone(),
            state: report.state,
            attempts: report.attempts.clone(),
        }
    }
}

impl StepView {
    /// The attempt whose logs explain a failure: the last one that FAILED.
    pub fn failed_attempt(&self) -> Option<&AttemptReport> {
        self.attempts
            .iter()
            .rev()
            .find(|attempt| attempt.state == StepState::Failed)
    }

    /// The attempt shown by default: the last one.
    pub fn last_attempt(&self) -> Option<&AttemptReport> {
        self.attempts.last()
    }
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
                state: report.state.into(),
                attempts: vec![report],
            }),
        }
    }
    for view in &mut views {
        view.attempts.sort_by_key(|attempt| attempt.attempt);
        if let Some(last) = view.last_attempt() {
            view.state = last.state.into();
        }
    }
    views
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
