//! Static checks of the state machine definition against the code and the SAM template:
//! a typo in an error name or a missing substitution fails here, not in production.

use std::collections::BTreeSet;
use std::path::PathBuf;

use emrflow::definition::{local_substitutions, placeholders, DEFINITION_FILE};
use emrflow_core::ErrorName;
use serde_json::Value;

const DOCUMENTED_STATES: [&str; 7] = [
    "Should_Create_Cluster",
    "Create_A_Cluster",
    "Enable_Termination_Protection",
    "Disable_Termination_Protection",
    "Should_Terminate_Cluster",
    "Terminate_Cluster",
    "Wrapping_Up",
];

fn repo_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

fn definition_text() -> String {
    std::fs::read_to_string(repo_file(DEFINITION_FILE)).expect("definition readable")
}

fn definition() -> Value {
    serde_json::from_str(&definition_text()).expect("definition is JSON")
}

/// Every state, including those inside Parallel branches and Map processors.
fn all_states(states: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for (name, state) in states.as_object().expect("States is an object") {
        found.push((name.clone(), state.clone()));
        for branch in state["Branches"].as_array().into_iter().flatten() {
            found.extend(all_states(&branch["States"]));
        }
        for key in ["Iterator", "ItemProcessor"] {
            if let Some(inner) = state.get(key) {
                found.extend(all_states(&inner["States"]));
            }
        }
    }
    found
}

fn tasks() -> Vec<(String, Value)> {
    all_states(&definition()["States"])
        .into_iter()
        .filter(|(_, state)| state["Type"] == "Task")
        .collect()
}

fn error_equals(state: &Value, key: &str) -> Vec<String> {
    state[key]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rule| rule["ErrorEquals"].as_array().cloned().unwrap_or_default())
        .filter_map(|name| name.as_str().map(str::to_string))
        .collect()
}

#[test]
fn the_documented_state_names_are_all_there() {
    let names: BTreeSet<String> = all_states(&definition()["States"])
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    for documented in DOCUMENTED_STATES {
        assert!(names.contains(documented), "state {documented} is missing");
    }
}

#[test]
fn every_custom_error_name_in_retry_and_catch_is_one_the_handlers_raise() {
    let known: BTreeSet<&str> = ErrorName::ALL.iter().map(|name| name.as_str()).collect();
    for (state, task) in tasks() {
        for name in error_equals(&task, "Retry")
            .into_iter()
            .chain(error_equals(&task, "Catch"))
        {
            let builtin = name.starts_with("States.") || name.starts_with("Lambda.");
            assert!(
                builtin || known.contains(name.as_str()),
                "{state} matches {name}, which no handler raises (known: {known:?})"
            );
        }
    }
}

#[test]
fn every_retryable_error_is_retried_by_every_task() {
    for (state, task) in tasks() {
        let retried = error_equals(&task, "Retry");
        for name in ErrorName::ALL.iter().filter(|name| name.is_retryable()) {
            assert!(
                retried.iter().any(|r| r == name.as_str()),
                "{state} does not retry {}",
                name.as_str()
            );
        }
        assert!(
            retried.iter().any(|r| r == "Lambda.ServiceException"),
            "{state} does not retry Lambda service errors"
        );
    }
}

#[test]
fn no_non_retryable_error_is_retried() {
    for (state, task) in tasks() {
        for name in ErrorName::ALL.iter().filter(|name| !name.is_retryable()) {
            assert!(
                !error_equals(&task, "Retry").contains(&name.as_str().to_string()),
                "{state} retries {}, which would repeat a failure",
                name.as_str()
            );
        }
    }
}

#[test]
fn every_task_catches_every_error() {
    for (state, task) in tasks() {
        assert!(
            error_equals(&task, "Catch")
                .iter()
                .any(|name| name == "States.ALL"),
            "{state} has no Catch for States.ALL: a failure there would skip cleanup"
        );
    }
}

#[test]
fn every_substitution_has_a_local_value() {
    let local = local_substitutions();
    for name in placeholders(&definition_text()) {
        assert!(local.contains_key(&name), "${{{name}}} has no local value");
    }
}

/// The keys under the state machine's DefinitionSubstitutions in the SAM template.
fn template_substitutions(template: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut block_indent: Option<usize> = None;
    for line in template.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match block_indent {
            None if trimmed.starts_with("DefinitionSubstitutions:") => block_indent = Some(indent),
            Some(outer) if indent > outer => {
                if let Some((key, _)) = trimmed.split_once(':') {
                    keys.insert(key.trim().to_string());
                }
            }
            Some(_) => block_indent = None,
            None => {}
        }
    }
    keys
}

#[test]
fn every_substitution_has_a_value_in_the_sam_template_and_back() {
    let template = std::fs::read_to_string(repo_file("infra/template.yaml")).expect("template");
    let in_template = template_substitutions(&template);
    let in_definition: BTreeSet<String> = placeholders(&definition_text()).into_iter().collect();
    assert_eq!(in_definition, in_template);
}

#[test]
fn every_error_name_is_documented_in_the_readme() {
    // GIVEN the README's error table WHEN every contract name is looked up THEN it has a row
    let readme = std::fs::read_to_string(repo_file("README.md")).expect("README readable");
    for name in ErrorName::ALL {
        let row = format!("| {} ", name.as_str());
        let retryable_row = format!("| {} (retryable) ", name.as_str());
        assert!(
            readme.contains(&row) || readme.contains(&retryable_row),
            "README's error table has no row for {}",
            name.as_str()
        );
    }
}

#[test]
fn the_definition_is_what_its_generator_writes() {
    // GIVEN statemachine/generate.py (the one place of the retry policies and the cleanup path)
    // WHEN it checks the committed JSON THEN they agree
    let status = std::process::Command::new("python3")
        .arg(repo_file("statemachine/generate.py"))
        .arg("--check")
        .status()
        .expect("python3 runs");
    assert!(status.success(), "run: python3 statemachine/generate.py");
}

#[test]
fn the_event_wait_heartbeat_is_the_one_check_steps_plans_with() {
    // GIVEN the definition's Wait_For_Step_Events WHEN its heartbeat is read THEN it is the
    // wait check-steps plans (NextCheckSeconds: the next deadline, at most
    // EVENT_HEARTBEAT_SECONDS, which the token store's TTL assumes), never a fixed one
    let wait = &definition()["States"]["Wait_For_Step_Events"];
    assert_eq!(wait["HeartbeatSecondsPath"], "$.Check.NextCheckSeconds");
    assert_eq!(wait.get("HeartbeatSeconds"), None);
}

/// The diagrams README embeds after `<!-- emrflow diagram --pipeline|--definition FILE -->`:
/// (flag, file, the mermaid block's text).
fn readme_diagrams(readme: &str) -> Vec<(String, String, String)> {
    const MARKER: &str = "<!-- emrflow diagram --";
    readme
        .match_indices(MARKER)
        .map(|(at, _)| {
            let rest = &readme[at + MARKER.len()..];
            let (command, rest) = rest.split_once(" -->").expect("marker closed");
            let (flag, file) = command
                .split_once(' ')
                .expect("marker names a flag and a file");
            let block = rest
                .split_once("```mermaid\n")
                .expect("a mermaid block follows")
                .1;
            let body = block.split_once("```").expect("mermaid block closed").0;
            (flag.to_string(), file.to_string(), body.to_string())
        })
        .collect()
}

#[test]
fn the_readme_diagrams_are_what_emrflow_diagram_prints() {
    // GIVEN the README's embedded diagrams of the sample pipeline and the state machine
    let readme = std::fs::read_to_string(repo_file("README.md")).expect("README readable");
    let diagrams = readme_diagrams(&readme);
    let flags: BTreeSet<&str> = diagrams.iter().map(|(flag, _, _)| flag.as_str()).collect();
    assert_eq!(flags, BTreeSet::from(["definition", "pipeline"]));
    for (flag, file, embedded) in &diagrams {
        // WHEN `emrflow diagram` draws the same file
        let path = repo_file(file);
        let printed = match flag.as_str() {
            "pipeline" => emrflow::diagram::pipeline_diagram(
                &emrflow_core::PipelineSpec::load(&path).expect("valid spec"),
            ),
            _ => emrflow::diagram::definition_diagram(
                &serde_json::from_str(&std::fs::read_to_string(&path).expect("readable"))
                    .expect("definition is JSON"),
            ),
        };
        // THEN README shows exactly that
        assert_eq!(
            embedded.trim_end(),
            printed.trim_end(),
            "README's diagram of {file} is out of date: paste `emrflow diagram --{flag} {file}`"
        );
    }
}

/// The lines of the crates' own source (not their tests) that hold a string matching one of
/// `patterns`, as `path:line: code`.
fn source_lines_matching(patterns: &[regex::Regex]) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![repo_file("functions"), repo_file("local")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable folder") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            if path.is_dir() {
                if !["tests", "target", "fixtures"].contains(&name) {
                    pending.push(path);
                }
                continue;
            }
            if !name.ends_with(".rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable source");
            for (number, line) in text.lines().enumerate() {
                let code = line.trim_start();
                // Comments and attributes (`#[arg(num_args = 0..=1)]`) are not messages.
                let message_line = !code.starts_with("//") && !code.starts_with("#[");
                if message_line && patterns.iter().any(|p| p.is_match(code)) {
                    found.push(format!("{}:{}: {code}", path.display(), number + 1));
                }
            }
        }
    }
    found
}

#[test]
fn messages_quote_their_keys_and_hold_no_rust_syntax_or_internal_names() {
    // GIVEN every string of the functions and the local tools
    let patterns = [
        // a key named unquoted: "key Steps[0].Name: …" (an empty one would vanish)
        r#""[^"]*\bkeys? [A-Z{][A-Za-z0-9_.\[\]{}]*[:\s"]"#,
        // a Rust range: "outside {}..={}", "1..=10"
        r#""[^"]*(\}\.\.=\{|\d\.\.=\d)"#,
        // an internal name for a person to look up: "see locate_spark_submit"
        r#""[^"]*\bsee [a-z]+_[a-z_]+"#,
    ]
    .map(|pattern| regex::Regex::new(pattern).expect("pattern"));
    // WHEN searched THEN none names a key unquoted, writes Rust, or points into the code
    let offenders = source_lines_matching(&patterns);
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}
