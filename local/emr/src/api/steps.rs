//! Steps: AddJobFlowSteps, ListSteps, DescribeStep, CancelSteps, and the checks EMR makes of
//! a StepConfig (also RunJobFlow's Steps).

use chrono::Utc;
use emrflow_vocabulary::limits::{
    action_allowed_at_concurrency, MAX_ACTIVE_STEPS, MAX_STEP_NAME_CHARS,
};
use emrflow_vocabulary::{ActionOnFailure, StepConfig, StepState};
use serde::Deserialize;
use serde_json::{json, Value};

use super::wire::{in_sandbox, page, required, states};
use crate::error::EmrError;
use crate::model::{StateChange, Step};
use crate::state::Shared;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct AddJobFlowStepsInput {
    job_flow_id: String,
    /// Read one by one ([`read_step_config`]) to answer with EMR's messages.
    steps: Vec<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct ListStepsInput {
    cluster_id: String,
    step_states: Vec<String>,
    step_ids: Vec<String>,
    marker: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct DescribeStepInput {
    cluster_id: String,
    step_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct CancelStepsInput {
    cluster_id: String,
    step_ids: Vec<String>,
}

/// One StepConfig of a request, with EMR's messages for what it refuses.
fn read_step_config(wire: Value) -> Result<StepConfig, EmrError> {
    let text = |pointer: &str| {
        wire.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    required(&text("/Name"), "Step Name")?;
    required(&text("/HadoopJarStep/Jar"), "HadoopJarStep Jar")?;
    if let Some(action) = wire.get("ActionOnFailure").and_then(Value::as_str) {
        if ActionOnFailure::parse(action).is_err() {
            let allowed: Vec<&str> = ActionOnFailure::ALL.iter().map(|a| a.as_str()).collect();
            return Err(EmrError::Validation(format!(
                "1 validation error detected: Value '{action}' at 'actionOnFailure' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            )));
        }
    }
    let mut config: StepConfig = serde_json::from_value(wire)
        .map_err(|err| EmrError::Serialization(format!("Invalid request body: {err}")))?;
    let main_class = config.hadoop_jar_step.main_class.take();
    config.hadoop_jar_step.main_class = main_class.filter(|class| !class.is_empty());
    Ok(config)
}

/// New PENDING steps from a request's StepConfigs, for a cluster running `concurrency` steps
/// at once. All or nothing: one refused config refuses the call.
pub(super) fn new_steps(configs: Vec<Value>, concurrency: u32) -> Result<Vec<Step>, EmrError> {
    configs
        .into_iter()
        .map(|wire| {
            let config = read_step_config(wire)?;
            if config.name.chars().count() > MAX_STEP_NAME_CHARS {
                return Err(EmrError::Validation(format!(
                    "Step name must be at most {MAX_STEP_NAME_CHARS} characters long."
                )));
            }
            let action = config.action_on_failure;
            if !action_allowed_at_concurrency(action, concurrency) {
                return Err(EmrError::Validation(format!(
                    "The ActionOnFailure setting {action} is not valid when StepConcurrencyLevel is {concurrency}: only CONTINUE is allowed when steps run concurrently."
                )));
            }
            let jar_step = &config.hadoop_jar_step;
            in_sandbox(
                std::iter::once(jar_step.jar.as_str())
                    .chain(jar_step.args.iter().map(String::as_str))
                    .chain(jar_step.properties.iter().flat_map(|pair| [pair.key.as_str(), pair.value.as_str()])),
            )?;
            Ok(Step::new(config.name, config.hadoop_jar_step, action))
        })
        .collect()
}

pub(super) fn add_job_flow_steps(
    shared: &Shared,
    input: AddJobFlowStepsInput,
) -> Result<Value, EmrError> {
    required(&input.job_flow_id, "JobFlowId")?;
    shared.with_inner(|inner| {
        let cluster = inner.cluster_mut(&input.job_flow_id)?;
        if !cluster.state.accepts_steps() {
            return Err(EmrError::cluster_finished());
        }
        let steps = new_steps(input.steps, cluster.step_concurrency_level)?;
        if cluster.active_step_count() + steps.len() > MAX_ACTIVE_STEPS {
            return Err(EmrError::Validation(
                "Maximum number of active steps(State = 'Running', 'Pending' or 'Cancel_Pending') for cluster exceeded.".into(),
            ));
        }
        let ids: Vec<String> = steps.iter().map(|s| s.id.clone()).collect();
        cluster.add_steps(steps);
        cluster.wake.notify_one();
        Ok(json!({ "StepIds": ids }))
    })
}

pub(super) fn list_steps(shared: &Shared, input: ListStepsInput) -> Result<Value, EmrError> {
    let states = states(&input.step_states, "StepState", StepState::parse)?;
    let summaries = shared.with_inner(|inner| {
        let cluster = inner.cluster(&input.cluster_id)?;
        Ok::<_, EmrError>(
            cluster
                .steps
                .iter()
                .rev() // newest first, as EMR lists them
                .filter(|s| states.is_empty() || states.contains(&s.state))
                .filter(|s| input.step_ids.is_empty() || input.step_ids.contains(&s.id))
                .map(Step::to_json)
                .collect::<Vec<_>>(),
        )
    })?;
    page("Steps", summaries, input.marker.as_deref())
}

pub(super) fn describe_step(shared: &Shared, input: DescribeStepInput) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster(&input.cluster_id)?;
        let step = cluster
            .step(&input.step_id)
            .ok_or_else(|| EmrError::step_not_found(&input.step_id))?;
        Ok(json!({ "Step": step.to_json() }))
    })
}

/// A PENDING step is CANCELLED at once; a RUNNING one goes CANCEL_PENDING and is CANCELLED
/// once its process has ended; any other state cannot be cancelled.
pub(super) fn cancel_steps(shared: &Shared, input: CancelStepsInput) -> Result<Value, EmrError> {
    shared.with_inner(|inner| {
        let cluster = inner.cluster_mut(&input.cluster_id)?;
        let now = Utc::now();
        let mut infos = Vec::new();
        for step_id in &input.step_ids {
            let submitted = json!({ "StepId": step_id, "Status": "SUBMITTED" });
            let info = match cluster.step_index(step_id) {
                None => json!({ "StepId": step_id, "Status": "FAILED", "Reason": format!("Step id '{step_id}' is not valid.") }),
                Some(index) => match cluster.steps[index].state {
                    StepState::Pending => {
                        cluster.steps[index].state_change = Some(StateChange {
                            code: "NONE".into(),
                            message: "Cancelled by user request".into(),
                        });
                        cluster.set_step_state(index, StepState::Cancelled, now);
                        submitted
                    }
                    StepState::Running => {
                        cluster.set_step_state(index, StepState::CancelPending, now);
                        submitted
                    }
                    state => json!({
                        "StepId": step_id,
                        "Status": "FAILED",
                        "Reason": format!("Step {step_id} is {state} and cannot be cancelled."),
                    }),
                },
            };
            infos.push(info);
        }
        cluster.wake.notify_one();
        Ok(json!({ "CancelStepsInfoList": infos }))
    })
}
