//! What the end-to-end tests of `examples/` and `pipelines/` share: finding the files, the
//! Spark they need, and reading the execution output's step report.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// A file or folder under `examples/`.
pub fn example(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(relative)
}

/// A pipeline of the repository's `pipelines/` folder, by file name.
pub fn pipeline_json(file: &str) -> Value {
    json_file(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../pipelines")
            .join(file),
    )
}

/// An example's JSON (an input).
pub fn example_json(relative: &str) -> Value {
    json_file(&example(relative))
}

fn json_file(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// `make test` installs PySpark into .venv first; without it a Spark example must fail, not skip.
pub fn assert_spark_submit_available() {
    assert!(
        emrflow_local_emr::locate_spark_submit(None).is_some(),
        "no spark-submit: run `make spark-env` (PySpark into .venv)"
    );
}

/// (Name, State) of every step in a finished execution's output.
pub fn step_states(output: &Value) -> Vec<(&str, &str)> {
    output["Steps"]
        .as_array()
        .expect("the output reports the steps")
        .iter()
        .filter_map(|step| Some((step["Name"].as_str()?, step["State"].as_str()?)))
        .collect()
}

/// The first attempt of the step named `name` in a finished execution's output.
pub fn first_attempt(output: &Value, name: &str) -> Value {
    output["Steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|step| step["Name"] == name))
        .unwrap_or_else(|| panic!("no step {name} in the output"))["Attempts"][0]
        .clone()
}

/// An attempt's StartedAt or EndedAt, in milliseconds.
pub fn millis(attempt: &Value, key: &str) -> i64 {
    let text = attempt[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {attempt}"));
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339")
        .timestamp_millis()
}
