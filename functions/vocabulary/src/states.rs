//! EMR's cluster and step states (`ClusterState`, `StepState` in the EMR API reference).

use std::fmt;

/// A state name EMR sent that this version of emrflow does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownState {
    pub kind: &'static str,
    pub name: String,
}

impl fmt::Display for UnknownState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not an EMR {} that emrflow knows",
            self.name, self.kind
        )
    }
}

impl std::error::Error for UnknownState {}

wire_enum! {
    /// A cluster's life: STARTING → BOOTSTRAPPING → RUNNING / WAITING → TERMINATING →
    /// TERMINATED or TERMINATED_WITH_ERRORS.
    ClusterState, "cluster state" {
        Starting => "STARTING",
        Bootstrapping => "BOOTSTRAPPING",
        Running => "RUNNING",
        Waiting => "WAITING",
        Terminating => "TERMINATING",
        Terminated => "TERMINATED",
        TerminatedWithErrors => "TERMINATED_WITH_ERRORS",
    }
}

impl ClusterState {
    /// The states in which EMR accepts new steps and modifications (AddJobFlowSteps,
    /// SetTerminationProtection, ModifyCluster): STARTING, BOOTSTRAPPING, RUNNING, WAITING.
    pub fn accepts_steps(self) -> bool {
        matches!(
            self,
            ClusterState::Starting
                | ClusterState::Bootstrapping
                | ClusterState::Running
                | ClusterState::Waiting
        )
    }

    /// Going away or gone: TERMINATING, TERMINATED, TERMINATED_WITH_ERRORS.
    pub fn is_ending(self) -> bool {
        !self.accepts_steps()
    }

    /// Gone for good: TERMINATED, TERMINATED_WITH_ERRORS.
    pub fn is_terminated(self) -> bool {
        matches!(
            self,
            ClusterState::Terminated | ClusterState::TerminatedWithErrors
        )
    }

    /// Still exists (every state but the two terminated ones).
    pub fn exists(self) -> bool {
        !self.is_terminated()
    }

    /// Not yet able to run a step: STARTING, BOOTSTRAPPING.
    pub fn is_starting(self) -> bool {
        matches!(self, ClusterState::Starting | ClusterState::Bootstrapping)
    }

    /// The states `pred` holds for, in EMR's order (e.g. the filter of a ListClusters call).
    pub fn all_where(pred: impl Fn(ClusterState) -> bool) -> Vec<ClusterState> {
        Self::ALL
            .iter()
            .copied()
            .filter(|state| pred(*state))
            .collect()
    }
}

wire_enum! {
    /// A step's life: PENDING → RUNNING → COMPLETED / FAILED / CANCELLED / INTERRUPTED
    /// (CANCEL_PENDING between a CancelSteps and the step's end).
    StepState, "step state" {
        Pending => "PENDING",
        CancelPending => "CANCEL_PENDING",
        Running => "RUNNING",
        Completed => "COMPLETED",
        Cancelled => "CANCELLED",
        Failed => "FAILED",
        Interrupted => "INTERRUPTED",
    }
}

impl StepState {
    /// Counts against EMR's limit of [`crate::limits::MAX_ACTIVE_STEPS`] per cluster:
    /// PENDING, CANCEL_PENDING, RUNNING.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            StepState::Pending | StepState::CancelPending | StepState::Running
        )
    }

    /// Never changes again: COMPLETED, CANCELLED, FAILED, INTERRUPTED.
    pub fn is_terminal(self) -> bool {
        !self.is_active()
    }

    /// Ended without completing: CANCELLED, FAILED, INTERRUPTED.
    pub fn is_unsuccessful(self) -> bool {
        matches!(
            self,
            StepState::Cancelled | StepState::Failed | StepState::Interrupted
        )
    }

    pub fn all_where(pred: impl Fn(StepState) -> bool) -> Vec<StepState> {
        Self::ALL
            .iter()
            .copied()
            .filter(|state| pred(*state))
            .collect()
    }
}

wire_enum! {
    /// A pipeline step's state as emrflow reports it (check-steps' report, `emrflow show`,
    /// the console): EMR's step states, and emrflow's own for a step of a graph — WAITING for
    /// its dependencies, READY to submit, RETRY_PENDING until its Retry falls due, TIMED_OUT
    /// past its TimeoutSeconds, SKIPPED when its RunIf can no longer hold.
    PipelineStepState, "pipeline step state" {
        Waiting => "WAITING",
        Ready => "READY",
        RetryPending => "RETRY_PENDING",
        Pending => "PENDING",
        CancelPending => "CANCEL_PENDING",
        Running => "RUNNING",
        Completed => "COMPLETED",
        Cancelled => "CANCELLED",
        Failed => "FAILED",
        TimedOut => "TIMED_OUT",
        Interrupted => "INTERRUPTED",
        Skipped => "SKIPPED",
    }
}

impl From<StepState> for PipelineStepState {
    fn from(state: StepState) -> Self {
        match state {
            StepState::Pending => PipelineStepState::Pending,
            StepState::CancelPending => PipelineStepState::CancelPending,
            StepState::Running => PipelineStepState::Running,
            StepState::Completed => PipelineStepState::Completed,
            StepState::Cancelled => PipelineStepState::Cancelled,
            StepState::Failed => PipelineStepState::Failed,
            StepState::Interrupted => PipelineStepState::Interrupted,
        }
    }
}

impl PipelineStepState {
    /// An attempt EMR has and has not ended: PENDING, CANCEL_PENDING, RUNNING.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            PipelineStepState::Pending
                | PipelineStepState::CancelPending
                | PipelineStepState::Running
        )
    }

    /// Ended without completing: FAILED, TIMED_OUT, CANCELLED, INTERRUPTED.
    pub fn is_unsuccessful(self) -> bool {
        matches!(
            self,
            PipelineStepState::Failed
                | PipelineStepState::TimedOut
                | PipelineStepState::Cancelled
                | PipelineStepState::Interrupted
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_wire_name() {
        // GIVEN every cluster and step state WHEN written and parsed back THEN it is the same
        for state in ClusterState::ALL {
            assert_eq!(ClusterState::parse(state.as_str()), Ok(*state));
            let json = serde_json::to_string(state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
            assert_eq!(serde_json::from_str::<ClusterState>(&json).unwrap(), *state);
        }
        for state in StepState::ALL {
            assert_eq!(StepState::parse(state.as_str()), Ok(*state));
            // AND every EMR step state is a pipeline step state of the same name
            assert_eq!(PipelineStepState::from(*state).as_str(), state.as_str());
        }
    }

    #[test]
    fn an_unknown_state_is_named_in_words() {
        // GIVEN a state EMR might add one day WHEN parsed THEN the error says what and which
        let error = ClusterState::parse("HIBERNATING").unwrap_err();
        assert_eq!(
            error.to_string(),
            "'HIBERNATING' is not an EMR cluster state that emrflow knows"
        );
    }

    #[test]
    fn the_predicates_follow_emrs_documentation() {
        // GIVEN the documented sets WHEN each predicate is asked THEN it answers per the docs
        let names = |states: Vec<ClusterState>| -> Vec<&str> {
            states.into_iter().map(ClusterState::as_str).collect()
        };
        assert_eq!(
            names(ClusterState::all_where(ClusterState::accepts_steps)),
            ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]
        );
        assert_eq!(
            names(ClusterState::all_where(ClusterState::is_ending)),
            ["TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"]
        );
        assert_eq!(
            names(ClusterState::all_where(ClusterState::exists)),
            [
                "STARTING",
                "BOOTSTRAPPING",
                "RUNNING",
                "WAITING",
                "TERMINATING"
            ]
        );
        let steps: Vec<&str> = StepState::all_where(StepState::is_active)
            .into_iter()
            .map(StepState::as_str)
            .collect();
        assert_eq!(steps, ["PENDING", "CANCEL_PENDING", "RUNNING"]);
        assert!(StepState::Completed.is_terminal() && !StepState::Completed.is_unsuccessful());
        assert!(StepState::Interrupted.is_unsuccessful());
    }
}
