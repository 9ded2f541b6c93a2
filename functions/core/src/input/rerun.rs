//! `RerunOf` (README, "Re-running an execution"): the execution input of a re-run names the
//! execution it re-runs and the steps it does not run again, each with the EMR step id that
//! completed it there. validate-input checks its shape and that every step named is a step
//! of the pipeline as it is now, and makes no call: whether that execution exists, ran this
//! pipeline and has ended is for whoever starts the re-run (`emrflow rerun`) to check, before
//! it starts anything. The graph reports those steps SKIPPED with [`RerunOf::reason`] and
//! runs their dependents as if they had completed.

use serde::{Deserialize, Serialize};

use super::{check_execution_name, check_step_id, echo};
use crate::pipeline::PipelineSpec;
use crate::{words, EmrflowError};

/// The execution re-run, and the steps skipped because they completed there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RerunOf {
    /// The execution's name (or its ARN).
    pub execution: String,
    /// The steps not run again, in spec order.
    #[serde(default)]
    pub skip: Vec<SkippedStep>,
}

/// One step not run again: its name in the pipeline (an instance `etl[tenant_b]` for a step
/// with ForEach) and the EMR step that completed it in the execution re-run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SkippedStep {
    pub name: String,
    pub step_id: String,
    /// Where it completed, when not in `RerunOf.Execution`: a re-run of a re-run skips the
    /// steps that one skipped too, each still naming the execution that ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<String>,
}

impl RerunOf {
    /// The execution's name, also when it was given as an ARN.
    pub fn execution_name(&self) -> &str {
        crate::execution::execution_name(&self.execution)
    }

    /// Why a skipped step does not run: "completed in <execution> (<step id>)" — the words
    /// show, logs and the console give a SKIPPED step.
    pub fn reason(&self, step: &SkippedStep) -> String {
        let execution = step
            .execution
            .as_deref()
            .map_or(self.execution_name(), crate::execution::execution_name);
        format!("completed in {execution} ({})", step.step_id)
    }

    /// Each skipped step's name with its reason.
    pub fn skipped(&self) -> impl Iterator<Item = (&str, String)> {
        self.skip
            .iter()
            .map(|step| (step.name.as_str(), self.reason(step)))
    }

    /// The checks validate-input makes without a call: the execution is a name (or ARN) other
    /// than this one's, every step named once, with an EMR step id, and a step of `pipeline`
    /// (its instances) as it is now; and something is left to run.
    pub fn check(&self, pipeline: &PipelineSpec, execution_name: &str) -> Result<(), EmrflowError> {
        let original = self.execution_name();
        check_execution_name(original)
            .map_err(|error| error.with_context(words::key("RerunOf.Execution")))?;
        if original == execution_name {
            return Err(EmrflowError::invalid_input(format!(
                "{}: an execution cannot re-run itself ('{}')",
                words::key("RerunOf.Execution"),
                echo(original)
            )));
        }
        let names: Vec<&str> = pipeline
            .steps
            .iter()
            .map(|step| step.name.as_str())
            .collect();
        for (index, step) in self.skip.iter().enumerate() {
            let key = format!("RerunOf.Skip[{index}]");
            if !names.contains(&step.name.as_str()) {
                return Err(EmrflowError::invalid_input(format!(
                    "{}: pipeline '{}' has no step '{}'{} — renamed or removed since {} ran? Its steps: {}",
                    words::key(format!("{key}.Name")),
                    pipeline.name,
                    echo(&step.name),
                    words::did_you_mean(&step.name, &names),
                    echo(original),
                    names.join(", ")
                )));
            }
            if self.skip[..index].iter().any(|seen| seen.name == step.name) {
                return Err(EmrflowError::invalid_input(format!(
                    "{}: step '{}' is named twice",
                    words::key(format!("{key}.Name")),
                    step.name
                )));
            }
            check_step_id(&step.step_id, &format!("{key}.StepId"))?;
            if let Some(elsewhere) = &step.execution {
                check_execution_name(crate::execution::execution_name(elsewhere))
                    .map_err(|error| error.with_context(words::key(format!("{key}.Execution"))))?;
            }
        }
        if !names.is_empty() && self.skip.len() == names.len() {
            return Err(EmrflowError::invalid_input(format!(
                "{}: every step of pipeline '{}' is skipped, so nothing would run",
                words::key("RerunOf.Skip"),
                pipeline.name
            )));
        }
        Ok(())
    }
}
