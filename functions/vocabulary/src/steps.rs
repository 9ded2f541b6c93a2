//! A step as EMR takes it (AddJobFlowSteps' `StepConfig`) and reports its failure
//! (`FailureDetails`), in EMR's PascalCase JSON.

use serde::{Deserialize, Serialize};

wire_enum! {
    /// What EMR does to the cluster when a step fails. `TERMINATE_JOB_FLOW` is EMR's older
    /// name for `TERMINATE_CLUSTER`, still accepted by the API.
    ActionOnFailure, "ActionOnFailure" {
        TerminateJobFlow => "TERMINATE_JOB_FLOW",
        TerminateCluster => "TERMINATE_CLUSTER",
        CancelAndWait => "CANCEL_AND_WAIT",
        Continue => "CONTINUE",
    }
}

impl ActionOnFailure {
    /// What EMR uses when a StepConfig names no ActionOnFailure.
    pub const EMR_DEFAULT: ActionOnFailure = ActionOnFailure::TerminateCluster;

    /// TERMINATE_JOB_FLOW and TERMINATE_CLUSTER mean the same.
    pub fn terminates_cluster(self) -> bool {
        matches!(
            self,
            ActionOnFailure::TerminateCluster | ActionOnFailure::TerminateJobFlow
        )
    }
}

/// One `{Key, Value}` pair (HadoopJarStep properties, tags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyValue {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

impl KeyValue {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        KeyValue {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// `HadoopJarStepConfig`: the JAR a step runs, its main class, arguments and Java properties.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HadoopJarStep {
    pub jar: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_class: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    /// In the order given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<KeyValue>,
}

impl HadoopJarStep {
    /// Total characters of every string in the HadoopJarStep, the measure of EMR's
    /// [`crate::limits::MAX_HADOOP_JAR_STEP_CHARS`].
    pub fn total_chars(&self) -> usize {
        let chars = |text: &str| text.chars().count();
        chars(&self.jar)
            + self.main_class.as_deref().map_or(0, chars)
            + self.args.iter().map(|arg| chars(arg)).sum::<usize>()
            + self
                .properties
                .iter()
                .map(|pair| chars(&pair.key) + chars(&pair.value))
                .sum::<usize>()
    }
}

/// `StepConfig`: one step of AddJobFlowSteps (or of RunJobFlow's Steps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StepConfig {
    pub name: String,
    #[serde(default = "emr_default_action")]
    pub action_on_failure: ActionOnFailure,
    pub hadoop_jar_step: HadoopJarStep,
}

fn emr_default_action() -> ActionOnFailure {
    ActionOnFailure::EMR_DEFAULT
}

/// EMR's `FailureDetails` of a failed step: the reason, a message (the end of the log EMR
/// found the error in) and the log file's location.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FailureDetails {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub log_file: Option<String>,
}

impl FailureDetails {
    /// "reason: …; message: …; log file: …", or that EMR gave none.
    pub fn describe(details: Option<&FailureDetails>) -> String {
        let parts: Vec<String> = details
            .into_iter()
            .flat_map(|details| {
                [
                    ("reason", &details.reason),
                    ("message", &details.message),
                    ("log file", &details.log_file),
                ]
            })
            .filter_map(|(label, value)| value.as_ref().map(|value| format!("{label}: {value}")))
            .collect();
        if parts.is_empty() {
            "EMR gave no failure details".to_string()
        } else {
            parts.join("; ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_step_config_reads_and_writes_emrs_json() {
        // GIVEN a StepConfig as the AWS CLI sends it, without ActionOnFailure
        let wire = json!({
            "Name": "Curate",
            "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", "a.py"],
                              "Properties": [{"Key": "k", "Value": "v"}]}
        });
        // WHEN it is read
        let step: StepConfig = serde_json::from_value(wire).unwrap();
        // THEN EMR's default action applies and every field is where EMR puts it
        assert_eq!(step.action_on_failure, ActionOnFailure::TerminateCluster);
        assert_eq!(step.hadoop_jar_step.properties, [KeyValue::new("k", "v")]);
        assert_eq!(step.hadoop_jar_step.total_chars(), 18 + 12 + 4 + 2);
        let written = serde_json::to_value(&step).unwrap();
        assert_eq!(written["ActionOnFailure"], "TERMINATE_CLUSTER");
        assert_eq!(written["HadoopJarStep"]["Properties"][0]["Key"], "k");
    }

    #[test]
    fn failure_details_are_described_in_words() {
        // GIVEN details with and without parts WHEN described THEN only the parts given show
        let details = FailureDetails {
            reason: Some("Step failed with exit code 1".into()),
            message: None,
            log_file: Some("s3://logs/j-1/steps/s-1/stderr.gz".into()),
        };
        assert_eq!(
            FailureDetails::describe(Some(&details)),
            "reason: Step failed with exit code 1; log file: s3://logs/j-1/steps/s-1/stderr.gz"
        );
        assert_eq!(
            FailureDetails::describe(Some(&FailureDetails::default())),
            "EMR gave no failure details"
        );
        assert_eq!(
            FailureDetails::describe(None),
            "EMR gave no failure details"
        );
    }
}
