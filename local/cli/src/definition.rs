//! The state machine definition as the local runner executes it: the same file SAM deploys,
//! with each `${…}` substitution given a local Lambda ARN.

use std::collections::BTreeMap;
use std::path::Path;

use emrflow_core::Function;
use regex::Regex;

/// Where the definition lives in the repository, relative to the workspace root.
pub const DEFINITION_FILE: &str = "statemachine/emrflow.asl.json";

/// The account and region of the ARNs the local runner makes up; nothing leaves the machine.
pub const LOCAL_REGION: &str = "us-east-1";
const LOCAL_ACCOUNT: &str = "000000000000";

/// `ensure-cluster` → `EnsureClusterFunctionArn`: the substitution name SAM fills in too.
pub fn substitution_name(function: Function) -> String {
    let camel: String = function
        .name()
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
    format!(
        "arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{}",
        function.name()
    )
}

/// The local value of every substitution the definition may use.
pub fn local_substitutions() -> BTreeMap<String, String> {
    Function::ALL
        .iter()
        .map(|function| (substitution_name(*function), local_function_arn(*function)))
        .collect()
}

/// The function a Task's Resource ARN names, if it is one of ours.
pub fn function_of_resource(resource: &str) -> Option<Function> {
    resource
        .rsplit_once(":function:")
        .and_then(|(_, name)| Function::from_name(name.split(':').next().unwrap_or(name)))
}

fn placeholder_pattern() -> Regex {
    Regex::new(r"\$\{([A-Za-z0-9_]+)\}").unwrap_or_else(|_| unreachable!("constant pattern"))
}

/// Every `${X}` the definition text uses.
pub fn placeholders(definition: &str) -> Vec<String> {
    let mut names: Vec<String> = placeholder_pattern()
        .captures_iter(definition)
        .map(|captures| captures[1].to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[derive(Debug, thiserror::Error)]
pub enum DefinitionFileError {
    #[error("cannot read the state machine definition {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the definition uses ${{{0}}}, which the local runner has no value for")]
    UnknownSubstitution(String),
}

/// The definition text with every `${X}` replaced; an unknown name is an error, never left in.
pub fn substitute(
    definition: &str,
    values: &BTreeMap<String, String>,
) -> Result<String, DefinitionFileError> {
    if let Some(missing) = placeholders(definition)
        .into_iter()
        .find(|name| !values.contains_key(name))
    {
        return Err(DefinitionFileError::UnknownSubstitution(missing));
    }
    Ok(placeholder_pattern()
        .replace_all(definition, |captures: &regex::Captures| {
            values[&captures[1]].clone()
        })
        .into_owned())
}

pub fn load_local_definition(path: &Path) -> Result<String, DefinitionFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| DefinitionFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    substitute(&text, &local_substitutions())
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
        assert_eq!(
            function_of_resource("arn:aws:states:::lambda:invoke"),
            None
        );
    }

    #[test]
    fn an_unknown_substitution_is_refused() {
        let error = substitute(r#"{"Resource": "${Nope}"}"#, &local_substitutions())
            .expect_err("unknown name");
        assert!(error.to_string().contains("${Nope}"), "{error}");
    }

    #[test]
    fn every_substitution_of_the_real_definition_is_replaced() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(DEFINITION_FILE);
        let text = load_local_definition(&path).expect("definition loads");
        assert!(placeholders(&text).is_empty());
        assert!(text.contains(":function:ensure-cluster"));
    }
}
