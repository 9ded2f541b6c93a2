//! The checks that need the whole spec (names, ranges, EMR's limits), the execution (step
//! names with their suffix, compiled sizes) or the real cluster (its StepConcurrencyLevel).

use std::collections::BTreeSet;

use emrflow_vocabulary::limits::{
    action_allowed_at_concurrency, MAX_ACTIVE_STEPS, MAX_HADOOP_JAR_STEP_CHARS, MAX_STEP_NAME_CHARS,
};

use super::cluster::check_s3_location;
use super::dependencies::check_graph;
use super::for_each::check_for_each;
use super::spec_error;
use super::{
    ActionOnFailure, Instance, Mode, PipelineSpec, StepSpec, MAX_RUN_MINUTES_LIMIT,
    POLL_INTERVAL_SECONDS,
};
use crate::naming::attempt_name;
use crate::{words, EmrflowError};

impl PipelineSpec {
    /// Checks everything that does not depend on the execution: shapes, ranges, uniqueness,
    /// fleets vs groups, ActionOnFailure vs StepConcurrencyLevel, known placeholders.
    pub fn validate(&self) -> Result<(), EmrflowError> {
        if self.name.is_empty()
            || self.name.chars().count() > 64
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(spec_error(
                "Name",
                format!(
                    "'{}' must be 1 to 64 characters of A-Z a-z 0-9 _ -",
                    self.name
                ),
            ));
        }
        if let Some(interval) = self.poll_interval_seconds {
            if !POLL_INTERVAL_SECONDS.contains(&interval) {
                return Err(spec_error(
                    "PollIntervalSeconds",
                    format!(
                        "{interval} is not allowed: it must be {} seconds",
                        words::range(&POLL_INTERVAL_SECONDS)
                    ),
                ));
            }
        }
        if let Some(minutes) = self.max_run_minutes {
            if !(1..=MAX_RUN_MINUTES_LIMIT).contains(&minutes) {
                return Err(spec_error(
                    "MaxRunMinutes",
                    format!(
                        "{minutes} is not allowed: it must be {} minutes",
                        words::range(&(1..=MAX_RUN_MINUTES_LIMIT))
                    ),
                ));
            }
        }
        if let Some(usd) = self.max_cost_usd {
            if !(usd.is_finite() && usd > 0.0) {
                return Err(spec_error(
                    "MaxCostUSD",
                    format!("{usd} is not allowed: it must be a positive amount of US dollars"),
                ));
            }
        }
        if let Some(schedule) = &self.schedule {
            schedule.validate()?;
        }
        self.validate_start()?;
        self.cluster.validate()?;
        self.validate_steps()?;
        self.check_placeholders_known()
    }

    fn validate_steps(&self) -> Result<(), EmrflowError> {
        if self.steps.is_empty() {
            return Err(spec_error("Steps", "at least one step is required"));
        }
        if self.steps.len() > MAX_ACTIVE_STEPS {
            return Err(spec_error(
                "Steps",
                format!(
                    "{}, but EMR allows at most {MAX_ACTIVE_STEPS} active steps per cluster",
                    words::count(self.steps.len() as u64, "step")
                ),
            ));
        }
        let concurrency = self.cluster.step_concurrency_level();
        let mode = Mode::of(self);
        let mut seen = BTreeSet::new();
        for (index, step) in self.steps.iter().enumerate() {
            let at = format!("Steps[{index}]");
            let name_key = format!("{at}.Name");
            if step.name.trim().is_empty() {
                return Err(spec_error(name_key, "must not be empty"));
            }
            if step.name.contains(['[', ']']) {
                return Err(spec_error(
                    name_key,
                    format!(
                        "'{}' must not contain '[' or ']' (emrflow appends ' [<the execution's name>]' to EMR's step names)",
                        step.name
                    ),
                ));
            }
            if !seen.insert(step.name.as_str()) {
                return Err(spec_error(
                    name_key,
                    format!("'{}' is used by more than one step", step.name),
                ));
            }
            if mode == Mode::List {
                check_action_on_failure(step, concurrency, &at)?;
            } else {
                check_not_legacy(step, &at)?;
            }
            step.kind
                .check_required_values()
                .map_err(|message| spec_error(&at, format!("step '{}': {message}", step.name)))?;
            for path in step.kind.s3_paths() {
                check_s3_location(path.value, &format!("Steps[{index}].{}", path.key))?;
            }
        }
        check_graph(self)?;
        check_for_each(self)
    }
}

/// The limits that depend on the execution and the region, for each step (or instance of a
/// mapped step) it runs: step name length with the execution suffix and the size of each
/// compiled HadoopJarStep. Messages name the spec's step (`Steps[index]`).
pub fn check_execution_limits(
    instances: &[Instance],
    execution_name: &str,
    region: &str,
) -> Result<(), EmrflowError> {
    for Instance { index, item, step } in instances {
        let full_name = attempt_name(&step.name, execution_name, step.max_attempts());
        let length = full_name.chars().count();
        if length > MAX_STEP_NAME_CHARS {
            return Err(spec_error(
                format!("Steps[{index}].Name"),
                match item {
                    None => format!(
                        "step name '{full_name}' is {length} characters with the execution suffix; EMR allows at most {MAX_STEP_NAME_CHARS}"
                    ),
                    Some(item) => format!(
                        "with item '{}' (of {}) and the execution suffix, step name '{full_name}' is {length} characters; EMR allows at most {MAX_STEP_NAME_CHARS} (shorten the step name or the item)",
                        item.name, words::key(&item.key)
                    ),
                },
            ));
        }
        let compiled = step.compile(execution_name, region);
        let chars = compiled.hadoop_jar_step.total_chars();
        if chars > MAX_HADOOP_JAR_STEP_CHARS {
            return Err(spec_error(
                format!("Steps[{index}]"),
                format!("step '{}': its HadoopJarStep strings total {chars} characters; EMR allows at most {MAX_HADOOP_JAR_STEP_CHARS}", step.name),
            ));
        }
    }
    Ok(())
}

fn check_not_legacy(step: &StepSpec, at: &str) -> Result<(), EmrflowError> {
    if step.action_on_failure == ActionOnFailure::TerminateJobFlow {
        return Err(spec_error(
            format!("{at}.ActionOnFailure"),
            format!(
                "step '{}' uses TERMINATE_JOB_FLOW, EMR's old name; use TERMINATE_CLUSTER",
                step.name
            ),
        ));
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
        // A step that does not set ActionOnFailure has emrflow's default: say so, or the
        // person reading looks in vain for CANCEL_AND_WAIT in their spec.
        let uses = if step.action_on_failure == super::steps::DEFAULT_ACTION_ON_FAILURE {
            format!(
                "uses {} (the default when a step does not set ActionOnFailure)",
                step.action_on_failure.as_str()
            )
        } else {
            format!("uses {}", step.action_on_failure.as_str())
        };
        return Err(spec_error(
            format!("{at}.ActionOnFailure"),
            format!(
                "step '{}' {uses}, but StepConcurrencyLevel is {concurrency}; EMR accepts only CONTINUE when more than one step runs at a time (set \"ActionOnFailure\": \"CONTINUE\", or give the pipeline DependsOn so that emrflow applies the action itself)",
                step.name
            ),
        ));
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
