//! The state machine definition as the local runner executes it: the same file SAM deploys —
//! built into the binary, so `emrflow local run` needs no repository; `--definition FILE`
//! runs another — with each `${…}` substitution given a local Lambda ARN.

use std::collections::BTreeMap;
use std::path::Path;

use emrflow_asl::StateMachine;
use emrflow_core::Function;
use regex::Regex;

/// Where the definition lives in the repository, relative to the workspace root.
pub const DEFINITION_FILE: &str = "statemachine/emrflow.asl.json";

/// That file's text as this binary was built with it.
pub const BUILT_IN_DEFINITION: &str = include_str!("../../../statemachine/emrflow.asl.json");

/// The account and region of the ARNs the local runner makes up; nothing leaves the machine.
pub const LOCAL_REGION: &str = "us-east-1";
/// One local account for every ARN the runner and the local EMR make up.
pub const LOCAL_ACCOUNT: &str = emrflow_local_emr::LOCAL_ACCOUNT_ID;

/// The local state machine's name (its ARN is made up like AWS's).
pub const LOCAL_STATE_MACHINE: &str = "emrflow";

/// `arn:aws:states:us-east-1:000000000000:stateMachine:emrflow`.
pub fn local_state_machine_arn() -> String {
    format!("arn:aws:states:{LOCAL_REGION}:{LOCAL_ACCOUNT}:stateMachine:{LOCAL_STATE_MACHINE}")
}

/// A local execution's ARN, as Step Functions would make it.
pub fn local_execution_arn(name: &str) -> String {
    emrflow_executions::execution_arn(&local_state_machine_arn(), name)
}

/// Functions the definition names besides the six pipeline handlers: the task-token wait
/// of `Wait_For_Step_Events` (README, "Waking up on EMR's events"), and the start gate's
/// check and data wait (`Check_Start_Conditions`, `Wait_For_Input_Data_Events`).
pub const AWAIT_STEPS: &str = "await-steps";
pub const CHECK_START: &str = "check-start";
pub const AWAIT_DATA: &str = "await-data";

/// `ensure-cluster` → `EnsureClusterFunctionArn`: the substitution name SAM fills in too.
pub fn substitution_name(function: Function) -> String {
    substitution_name_of(function.name())
}

fn substitution_name_of(function_name: &str) -> String {
    let camel: String = function_name
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("{camel}FunctionArn")
}

pub fn local_function_arn(function: Function) -> String {
    local_arn_of(function.name())
}

fn local_arn_of(function_name: &str) -> String {
    format!("arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{function_name}")
}

/// The local value of every substitution the definition may use.
pub fn local_substitutions() -> BTreeMap<String, String> {
    Function::ALL
        .iter()
        .map(|function| function.name())
        .chain([AWAIT_STEPS, CHECK_START, AWAIT_DATA])
        .map(|name| (substitution_name_of(name), local_arn_of(name)))
        .collect()
}

/// The function name in a Lambda ARN (qualified or not) or a bare function name.
pub fn function_name_of(resource: &str) -> Option<&str> {
    let name = match resource.rsplit_once(":function:") {
        Some((_, name)) => name.split(':').next().unwrap_or(name),
        None if !resource.contains(':') => resource,
        None => return None,
    };
    (!name.is_empty()).then_some(name)
}

/// The pipeline function a Task's Resource (or lambda:invoke FunctionName) names, if one.
pub fn function_of_resource(resource: &str) -> Option<Function> {
    function_name_of(resource).and_then(Function::from_name)
}

/// Every `${X}` the definition text uses.
pub fn placeholders(definition: &str) -> Vec<String> {
    let pattern = Regex::new(r"\$\{([A-Za-z0-9_]+)\}").expect("constant pattern");
    let mut names: Vec<String> = pattern
        .captures_iter(definition)
        .map(|captures| captures[1].to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The definition `emrflow local run` executes: `file` if given, else the built-in one. The
/// one place that decides which definition runs.
pub fn local_definition(file: Option<&Path>) -> Result<StateMachine, String> {
    match file {
        Some(path) => load_local_definition(path),
        None => {
            StateMachine::from_json_with_substitutions(BUILT_IN_DEFINITION, &local_substitutions())
                .map_err(|error| format!("the built-in definition: {}", error.message))
        }
    }
}

/// A definition file ready to run locally: read from disk, every `${X}` given its local value.
pub fn load_local_definition(path: &Path) -> Result<StateMachine, String> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        format!(
            "cannot read the state machine definition {}: {error}",
            path.display()
        )
    })?;
    StateMachine::from_json_with_substitutions(&text, &local_substitutions())
        .map_err(|error| format!("{}: {}", path.display(), error.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_names_follow_the_function_names() {
        assert_eq!(
            substitution_name(Function::TerminationProtection),
            "TerminationProtectionFunctionArn"
        );
        assert_eq!(
            substitution_name(Function::ValidateInput),
            "ValidateInputFunctionArn"
        );
    }

    #[test]
    fn a_resource_arn_names_its_function_even_when_qualified() {
        let arn = local_function_arn(Function::CheckSteps);
        assert_eq!(function_of_resource(&arn), Some(Function::CheckSteps));
        assert_eq!(
            function_of_resource(&format!("{arn}:live")),
            Some(Function::CheckSteps)
        );
        assert_eq!(function_of_resource("arn:aws:states:::lambda:invoke"), None);
    }

    #[test]
    fn every_substitution_of_the_real_definition_is_replaced() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(DEFINITION_FILE);
        let machine = load_local_definition(&path).expect("definition loads");
        let text = machine.definition().to_string();
        assert!(placeholders(&text).is_empty());
        assert!(text.contains(":function:ensure-cluster"));
    }

    #[test]
    fn the_built_in_definition_is_the_repositorys_and_runs_without_a_file() {
        // GIVEN the repository's definition file and the one built into the binary
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(DEFINITION_FILE);
        let file = std::fs::read_to_string(&path).expect("definition file");
        // WHEN no file is given THEN the built-in one loads, and it is the same text
        assert_eq!(BUILT_IN_DEFINITION, file);
        let built_in = local_definition(None).expect("built-in definition loads");
        let from_file = local_definition(Some(&path)).expect("file loads");
        assert_eq!(built_in.definition(), from_file.definition());
    }
}
