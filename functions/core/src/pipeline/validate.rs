//! The checks that need the whole spec (names, ranges, EMR's limits), the execution (step
//! names with their suffix, compiled sizes) or the real cluster (its StepConcurrencyLevel).

use std::collections::BTreeSet;

use emrflow_vocabulary::limits::{
    action_allowed_at_concurrency, MAX_ACTIVE_STEPS, MAX_HADOOP_JAR_STEP_CHARS, MAX_STEP_NAME_CHARS,
};

use super::cluster::check_s3_location;
use super::dependencies::check_graph;
use super::{
    ActionOnFailure, Mode, PipelineSpec, StepSpec, MAX_RUN_MINUTES_LIMIT, POLL_INTERVAL_SECONDS,
};
use crate::naming::attempt_name;
use crate::EmrflowError;

impl PipelineSpec {
    /// Checks everything that does not depend on the execution: shapes, ranges, uniqueness,
    /// fleets vs groups, ActionOnFailure vs StepConcurrencyLevel, known placeholders.
    pub fn validate(&self) -> Result<(), EmrflowError> {
        let invalid = |message: String| Err(EmrflowError::invalid_input(message));
        if self.name.is_empty()
            || self.name.chars().count() > 64
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return invalid(format!(
                "pipeline spec: key Name: '{}' must be 1 to 64 characters of A-Z a-z 0-9 _ -",
                self.name
            ));
        }
        if let Some(interval) = self.poll_interval_seconds {
            if !POLL_INTERVAL_SECONDS.contains(&interval) {
                return invalid(format!(
                    "pipeline spec: key PollIntervalSeconds: {interval} is outside {}..={}",
                    POLL_INTERVAL_SECONDS.start(),
                    POLL_INTERVAL_SECONDS.end()
                ));
            }
        }
        if let Some(minutes) = self.max_run_minutes {
            if !(1..=MAX_RUN_MINUTES_LIMIT).contains(&minutes) {
                return invalid(format!(
                    "pipeline spec: key MaxRunMinutes: {minutes} is outside 1..={MAX_RUN_MINUTES_LIMIT}"
                ));
            }
        }
        self.validate_start()?;
        self.cluster.validate()?;
        self.validate_steps()?;
        self.check_placeholders_known()
    }

    fn validate_steps(&self) -> Result<(), EmrflowError> {
        let invalid = |message: String| Err(EmrflowError::invalid_input(message));
        if self.steps.is_empty() {
            return invalid("pipeline spec: key Steps: at least one step is required".into());
        }
        if self.steps.len() > MAX_ACTIVE_STEPS {
            return invalid(format!(
                "pipeline spec: key Steps: {} steps, but EMR allows at most {MAX_ACTIVE_STEPS} active steps per cluster",
                self.steps.len()
            ));
        }
        let concurrency = self.cluster.step_concurrency_level();
        let mode = Mode::of(self);
        let mut seen = BTreeSet::new();
        for (index, step) in self.steps.iter().enumerate() {
            let at = format!("pipeline spec: key Steps[{index}]");
            if step.name.trim().is_empty() {
                return invalid(format!("{at}.Name: must not be empty"));
            }
            if step.name.contains(['[', ']']) {
                return invalid(format!(
                    "{at}.Name: '{}' must not contain '[' or ']' (emrflow appends ' [<ExecutionName>]')",
                    step.name
                ));
            }
            if !seen.insert(step.name.as_str()) {
                return invalid(format!(
                    "{at}.Name: '{}' is used by more than one step",
                    step.name
                ));
            }
            if mode == Mode::List {
                check_action_on_failure(step, concurrency, &at)?;
            } else {
                check_not_legacy(step, &at)?;
            }
            step.kind.check_required_values().map_err(|message| {
                EmrflowError::invalid_input(format!("{at} ('{}'): {message}", step.name))
            })?;
            if let Some(script) = step.kind.script_location() {
                check_s3_location(script, &format!("Steps[{index}].Script"))?;
            }
        }
        check_graph(self)
    }

    /// The limits that depend on the execution and the region: step name length with the
    /// execution suffix and the size of each compiled HadoopJarStep.
    pub fn check_execution_limits(
        &self,
        execution_name: &str,
        region: &str,
    ) -> Result<(), EmrflowError> {
        for (index, step) in self.steps.iter().enumerate() {
            let full_name = attempt_name(&step.name, execution_name, step.max_attempts());
            let length = full_name.chars().count();
            if length > MAX_STEP_NAME_CHARS {
                return Err(EmrflowError::invalid_input(format!(
                    "pipeline spec: key Steps[{index}].Name: step name '{full_name}' is {length} characters with the execution suffix; EMR allows at most {MAX_STEP_NAME_CHARS}"
                )));
            }
            let compiled = step.compile(execution_name, region);
            let chars = compiled.hadoop_jar_step.total_chars();
            if chars > MAX_HADOOP_JAR_STEP_CHARS {
                return Err(EmrflowError::invalid_input(format!(
                    "pipeline spec: key Steps[{index}] ('{}'): its HadoopJarStep strings total {chars} characters; EMR allows at most {MAX_HADOOP_JAR_STEP_CHARS}",
                    step.name
                )));
            }
        }
        Ok(())
    }
}

fn check_not_legacy(step: &StepSpec, at: &str) -> Result<(), EmrflowError> {
    if step.action_on_failure == ActionOnFailure::TerminateJobFlow {
        return Err(EmrflowError::invalid_input(format!(
            "{at}.ActionOnFailure: step '{}' uses TERMINATE_JOB_FLOW, EMR's old name; use TERMINATE_CLUSTER",
            step.name
        )));
    }
    Ok(())
}

/// List mode: EMR applies ActionOnFailure, and accepts only CONTINUE when steps run
/// concurrently. (A graph sends every step as CONTINUE and applies the action itself.)
fn check_action_on_failure(
    step: &StepSpec,
    concurrency: u32,
    at: &str,
) -> Result<(), EmrflowError> {
    check_not_legacy(step, at)?;
    if !action_allowed_at_concurrency(step.action_on_failure, concurrency) {
        return Err(EmrflowError::invalid_input(format!(
            "{at}.ActionOnFailure: step '{}' uses {} but StepConcurrencyLevel is {concurrency}; EMR accepts only CONTINUE when StepConcurrencyLevel > 1",
            step.name,
            step.action_on_failure.as_str()
        )));
    }
    Ok(())
}

/// Checks, against a reused cluster's real StepConcurrencyLevel, that every step may be added
/// (list mode only: a graph's steps go to EMR as CONTINUE).
pub fn check_steps_fit_concurrency(
    spec: &PipelineSpec,
    cluster_id: &str,
    concurrency: u32,
) -> Result<(), EmrflowError> {
    if Mode::of(spec) == Mode::Graph {
        return Ok(());
    }
    for (index, step) in spec.steps.iter().enumerate() {
        check_action_on_failure(step, concurrency, &format!("Steps[{index}]"))
            .map_err(|error| error.with_context(format!("cluster {cluster_id}")))?;
    }
    Ok(())
}
