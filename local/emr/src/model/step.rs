//! A step's record: its configuration, state and times, the events of its changes, and its
//! JSON as DescribeStep and ListSteps show it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use emrflow_vocabulary::{ActionOnFailure, FailureDetails, HadoopJarStep, StepState};
use serde_json::{json, Map, Value};
use tokio::sync::Notify;

use super::shapes::{new_step_id, state_change_json, timeline_json, StateChange};
use crate::events::StepFacts;

#[derive(Debug)]
pub(crate) struct Step {
    pub id: String,
    pub name: String,
    pub config: HadoopJarStep,
    pub action_on_failure: ActionOnFailure,
    pub state: StepState,
    pub state_change: Option<StateChange>,
    pub failure: Option<FailureDetails>,
    pub created: DateTime<Utc>,
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    /// Set while the step's process runs: notified to stop it.
    pub kill: Option<Arc<Notify>>,
}

impl Step {
    pub fn new(name: String, config: HadoopJarStep, action_on_failure: ActionOnFailure) -> Self {
        Step {
            id: new_step_id(),
            name,
            config,
            action_on_failure,
            state: StepState::Pending,
            state_change: None,
            failure: None,
            created: Utc::now(),
            started: None,
            ended: None,
            kill: None,
        }
    }

    fn config_json(&self) -> Value {
        let properties: Map<String, Value> = self
            .config
            .properties
            .iter()
            .map(|pair| (pair.key.clone(), Value::String(pair.value.clone())))
            .collect();
        let mut config = json!({
            "Jar": self.config.jar,
            "Args": self.config.args,
            "Properties": properties,
        });
        if let Some(main_class) = &self.config.main_class {
            config["MainClass"] = json!(main_class);
        }
        config
    }

    fn status_json(&self) -> Value {
        let mut status = json!({
            "State": self.state.as_str(),
            "StateChangeReason": state_change_json(self.state_change.as_ref()),
            "Timeline": timeline_json(self.created, &[("StartDateTime", self.started), ("EndDateTime", self.ended)]),
        });
        if let Some(failure) = &self.failure {
            let details: Map<String, Value> = [
                ("Reason", &failure.reason),
                ("Message", &failure.message),
                ("LogFile", &failure.log_file),
            ]
            .into_iter()
            .filter_map(|(key, value)| Some((key.to_string(), json!(value.as_ref()?))))
            .collect();
            status["FailureDetails"] = Value::Object(details);
        }
        status
    }

    /// What EMR's step events say of it.
    pub(super) fn facts(&self) -> StepFacts<'_> {
        StepFacts {
            id: &self.id,
            name: &self.name,
            state: self.state,
            action_on_failure: self.action_on_failure,
            started: self.started,
        }
    }

    /// `Step` (DescribeStep) and `StepSummary` (ListSteps) share these fields.
    pub fn to_json(&self) -> Value {
        json!({
            "Id": self.id,
            "Name": self.name,
            "Config": self.config_json(),
            "ActionOnFailure": self.action_on_failure,
            "Status": self.status_json(),
        })
    }
}
