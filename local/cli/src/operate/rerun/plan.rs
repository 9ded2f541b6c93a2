//! What a re-run runs and skips, from the original's step outcomes and the pipeline as it is
//! now (its graph): pure, so every refusal is decided before anything is started.

use std::collections::BTreeMap;

use emrflow_core::emr::PipelineStepState;
use emrflow_core::graph::Graph;
use emrflow_core::input::{RerunOf, SkippedStep};
use emrflow_core::naming::split_instance_name;
use emrflow_core::words::did_you_mean;
use emrflow_executions::StepView;
use serde::Serialize;

/// Which steps run again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every step (neither --from-failure nor --steps).
    All,
    /// The steps that did not complete, and what waits for them.
    FromFailure,
    /// These steps (a step with ForEach: all its items), and what waits for them.
    Steps(Vec<String>),
}

/// The re-run decided: what runs, what is skipped and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub runs: Vec<String>,
    pub skips: Vec<Skip>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skip {
    pub name: String,
    pub reason: String,
}

/// Where each step of the original completed: its EMR step, and the execution when not the
/// original itself (a step the original skipped because it completed before that).
fn completions(
    steps: &[StepView],
    original_rerun: Option<&RerunOf>,
) -> BTreeMap<String, SkippedStep> {
    let mut done = BTreeMap::new();
    for step in steps {
        let completed = step
            .attempts
            .iter()
            .rev()
            .find(|attempt| attempt.state == PipelineStepState::Completed);
        if let (PipelineStepState::Completed, Some(attempt)) = (step.state, completed) {
            done.insert(
                step.name.clone(),
                SkippedStep {
                    name: step.name.clone(),
                    step_id: attempt.step_id.clone(),
                    execution: None,
                },
            );
        } else if step.state == PipelineStepState::Skipped {
            // Skipped there because it completed in an earlier execution: still done.
            let earlier = original_rerun.and_then(|rerun| {
                let skipped = rerun.skip.iter().find(|skip| skip.name == step.name)?;
                Some(SkippedStep {
                    execution: Some(
                        skipped
                            .execution
                            .clone()
                            .unwrap_or_else(|| rerun.execution_name().to_string()),
                    ),
                    ..skipped.clone()
                })
            });
            if let Some(earlier) = earlier {
                done.insert(step.name.clone(), earlier);
            }
        }
    }
    done
}

/// Decides the re-run of `original` (whose steps ended as `steps`) on `graph`, the pipeline
/// as it is now; refusals in words.
pub fn plan(
    original: &str,
    steps: &[StepView],
    original_rerun: Option<&RerunOf>,
    graph: &Graph<'_>,
    selection: &Selection,
) -> Result<(Plan, RerunOf), String> {
    let names: Vec<&str> = graph
        .nodes
        .iter()
        .map(|node| node.spec.name.as_str())
        .collect();
    let done = completions(steps, original_rerun);
    if let Some(gone) = done.keys().find(|name| !names.contains(&name.as_str())) {
        return Err(format!(
            "InvalidInput: step '{gone}' completed in {original}, but the pipeline has no step '{gone}' now{} — renamed or removed since: a re-run could not tell what it skips. Start a new run instead (emrflow start), or put the step back",
            did_you_mean(gone, &names)
        ));
    }
    let starts: Vec<usize> = match selection {
        Selection::All => (0..names.len()).collect(),
        Selection::FromFailure => (0..names.len())
            .filter(|&index| !done.contains_key(names[index]))
            .collect(),
        Selection::Steps(asked) => {
            let mut starts = Vec::new();
            for name in asked {
                let matching: Vec<usize> = (0..names.len())
                    .filter(|&index| {
                        names[index] == name
                            || split_instance_name(names[index])
                                .is_some_and(|(step, _)| step == name)
                    })
                    .collect();
                if matching.is_empty() {
                    let steps: Vec<&str> = names
                        .iter()
                        .map(|name| split_instance_name(name).map_or(*name, |(step, _)| step))
                        .collect();
                    let mut unique = steps.clone();
                    unique.dedup();
                    return Err(format!(
                        "InvalidInput: --steps {name}: the pipeline has no step '{name}'{}; its steps: {}",
                        did_you_mean(name, &unique),
                        unique.join(", ")
                    ));
                }
                starts.extend(matching);
            }
            starts
        }
    };
    let runs = graph.downstream_of(&starts);
    if !runs.contains(&true) {
        return Err(format!(
            "InvalidInput: every step completed in {original}: nothing to re-run from a failure (without --from-failure every step runs again)"
        ));
    }
    let mut skip = Vec::new();
    for (name, _) in names.iter().zip(&runs).filter(|(_, runs)| !**runs) {
        match done.get(*name) {
            Some(completed) => skip.push(completed.clone()),
            None => {
                let ended = steps
                    .iter()
                    .find(|step| step.name == *name)
                    .map_or("never ran".to_string(), |step| {
                        format!("ended {}", step.state.as_str())
                    });
                return Err(format!(
                    "InvalidInput: step '{name}' did not complete in {original} ({ended}), and a re-run skips only steps that completed: add it to --steps, or re-run --from-failure"
                ));
            }
        }
    }
    let rerun_of = RerunOf {
        execution: original.to_string(),
        skip,
    };
    let reasons: BTreeMap<&str, String> = rerun_of.skipped().collect();
    let plan = Plan {
        runs: names
            .iter()
            .zip(&runs)
            .filter(|(_, runs)| **runs)
            .map(|(name, _)| name.to_string())
            .collect(),
        skips: names
            .iter()
            .filter_map(|name| {
                reasons.get(name).map(|reason| Skip {
                    name: name.to_string(),
                    reason: reason.clone(),
                })
            })
            .collect(),
    };
    Ok((plan, rerun_of))
}
