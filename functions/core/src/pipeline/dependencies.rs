//! What the graph keys (DependsOn, Retry, TimeoutSeconds) must satisfy before any cluster
//! exists. Every problem is InvalidInput naming the steps involved.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use emrflow_vocabulary::limits::MAX_ACTIVE_STEPS;

use super::{spec_error, PipelineSpec, StepSpec};
use crate::{words, EmrflowError};

/// `Retry.MaxAttempts`: how many more attempts after the first.
pub const RETRY_ATTEMPTS: RangeInclusive<u32> = 1..=10;
/// `Retry.IntervalSeconds`: up to a day between attempts.
pub const RETRY_INTERVAL_SECONDS: RangeInclusive<u32> = 0..=86_400;
/// `TimeoutSeconds`: a second to a week.
pub const STEP_TIMEOUT_SECONDS: RangeInclusive<u32> = 1..=604_800;

fn invalid(path: String, message: String) -> Result<(), EmrflowError> {
    Err(spec_error(path, message))
}

/// Dependencies name existing steps (not themselves, not twice), there is no cycle, the
/// ranges hold, and the worst case — every step using every attempt — fits EMR's 256 steps.
pub(super) fn check_graph(spec: &PipelineSpec) -> Result<(), EmrflowError> {
    let names: BTreeSet<&str> = spec.steps.iter().map(|step| step.name.as_str()).collect();
    for (index, step) in spec.steps.iter().enumerate() {
        check_step(step, index, &names)?;
    }
    if let Some(cycle) = find_cycle(spec) {
        return invalid(
            "Steps".into(),
            format!("DependsOn makes a cycle: {}", cycle.join(" → ")),
        );
    }
    let worst_case = worst_case_emr_steps(&spec.steps);
    if worst_case as usize > MAX_ACTIVE_STEPS {
        return invalid(
            "Steps".into(),
            format!("with every attempt of every step, this pipeline could submit {worst_case} EMR steps; EMR allows at most {MAX_ACTIVE_STEPS} per cluster (lower Retry.MaxAttempts or split the pipeline)"),
        );
    }
    Ok(())
}

/// How many EMR steps `steps` could submit at most: every attempt of every step, a step with
/// ForEach once per item its spec names (an execution's instances are counted again, one by
/// one, once its input has said the items).
pub(super) fn worst_case_emr_steps<'a>(steps: impl IntoIterator<Item = &'a StepSpec>) -> u32 {
    steps
        .into_iter()
        .map(|step| {
            let instances = step.for_each.as_ref().map_or(1, |list| list.known_len());
            step.max_attempts()
                .saturating_mul(u32::try_from(instances).unwrap_or(u32::MAX))
        })
        .fold(0, u32::saturating_add)
}

fn check_step(step: &StepSpec, index: usize, names: &BTreeSet<&str>) -> Result<(), EmrflowError> {
    let at = format!("Steps[{index}]");
    let mut seen = BTreeSet::new();
    for dependency in &step.depends_on {
        if dependency == &step.name {
            return invalid(
                format!("{at}.DependsOn"),
                format!("step '{}' depends on itself", step.name),
            );
        }
        if !names.contains(dependency.as_str()) {
            let known: Vec<&str> = names.iter().copied().collect();
            return invalid(
                format!("{at}.DependsOn"),
                format!(
                    "step '{}' depends on '{dependency}', which is not a step of this pipeline{}",
                    step.name,
                    words::did_you_mean(dependency, &known)
                ),
            );
        }
        if !seen.insert(dependency) {
            return invalid(
                format!("{at}.DependsOn"),
                format!("step '{}' names '{dependency}' twice", step.name),
            );
        }
    }
    if let Some(retry) = step.retry {
        if !RETRY_ATTEMPTS.contains(&retry.max_attempts) {
            return invalid(
                format!("{at}.Retry.MaxAttempts"),
                format!(
                    "step '{}' asks for {} more attempts; MaxAttempts must be {}",
                    step.name,
                    retry.max_attempts,
                    words::range(&RETRY_ATTEMPTS)
                ),
            );
        }
        if !RETRY_INTERVAL_SECONDS.contains(&retry.interval_seconds) {
            return invalid(
                format!("{at}.Retry.IntervalSeconds"),
                format!(
                    "step '{}': {} is not allowed: it must be {} seconds",
                    step.name,
                    retry.interval_seconds,
                    words::range(&RETRY_INTERVAL_SECONDS)
                ),
            );
        }
    }
    if let Some(timeout) = step.timeout_seconds {
        if !STEP_TIMEOUT_SECONDS.contains(&timeout) {
            return invalid(
                format!("{at}.TimeoutSeconds"),
                format!(
                    "step '{}': {timeout} is not allowed: it must be {} seconds",
                    step.name,
                    words::range(&STEP_TIMEOUT_SECONDS)
                ),
            );
        }
    }
    Ok(())
}

/// A cycle of DependsOn, as step names from one step back to itself.
fn find_cycle(spec: &PipelineSpec) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let index_of = |name: &str| spec.steps.iter().position(|step| step.name == name);
    let mut marks = vec![Mark::New; spec.steps.len()];
    for start in 0..spec.steps.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // Depth-first, iteratively: (node, next dependency to visit).
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        marks[start] = Mark::OnPath;
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            let deps = &spec.steps[node].depends_on;
            if *next >= deps.len() {
                marks[node] = Mark::Done;
                path.pop();
                continue;
            }
            let dependency = index_of(&deps[*next]);
            *next += 1;
            let Some(dependency) = dependency else {
                continue;
            };
            match marks[dependency] {
                Mark::OnPath => {
                    let from = path.iter().position(|(n, _)| *n == dependency).unwrap_or(0);
                    let mut cycle: Vec<String> = path[from..]
                        .iter()
                        .map(|(n, _)| spec.steps[*n].name.clone())
                        .collect();
                    cycle.push(spec.steps[dependency].name.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    marks[dependency] = Mark::OnPath;
                    path.push((dependency, 0));
                }
                Mark::Done => {}
            }
        }
    }
    None
}
