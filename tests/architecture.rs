//! ARCHITECTURE.md's arrows held against the crates' manifests (`cargo metadata`): a crate
//! that gains a dependency on a workspace crate its row does not allow, a Lambda binary that
//! calls an AWS SDK itself, or a core that gains the Lambda runtime's wiring fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The row that stands for every Lambda binary under `functions/`.
const EACH_FUNCTION: &str = "(each function)";
/// What no Lambda binary uses: its handler calls AWS through a port.
const SDK_PREFIX: &str = "aws-sdk-";
/// The Lambda runtime's wiring, which belongs to emrflow-lambda, not to the core.
const NOT_IN_CORE: [&str; 4] = [
    "lambda_runtime",
    "aws-config",
    "aws-smithy-http-client",
    "tracing-subscriber",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One workspace crate: its name, whether it is a Lambda binary, and its normal (not dev)
/// dependencies.
#[derive(Debug)]
struct Crate {
    name: String,
    is_function: bool,
    dependencies: BTreeSet<String>,
}

fn workspace_crates() -> Vec<Crate> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "cargo metadata failed");
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
    let functions = root().join("functions").canonicalize().expect("functions/");
    metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|package| {
            let manifest = PathBuf::from(package["manifest_path"].as_str().expect("manifest"));
            let folder = manifest.parent().expect("crate folder").to_path_buf();
            let has_bin = package["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|target| {
                    target["kind"]
                        .as_array()
                        .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"))
                });
            Crate {
                name: package["name"].as_str().expect("name").to_string(),
                is_function: has_bin && folder.parent() == Some(functions.as_path()),
                dependencies: package["dependencies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|dependency| dependency["kind"].is_null())
                    .filter_map(|dependency| dependency["name"].as_str().map(str::to_string))
                    .collect(),
            }
        })
        .collect()
}

/// The "may use" column of ARCHITECTURE.md's table, by its "crate" column.
fn allowed_arrows(document: &str) -> BTreeMap<String, BTreeSet<String>> {
    let table = document
        .split("<!-- arrows:")
        .nth(1)
        .expect("ARCHITECTURE.md has the arrows table");
    table
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let uses = cells[4]
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty() && *name != "—")
                .map(str::to_string)
                .collect();
            (cells[1].to_string(), uses)
        })
        .collect()
}

/// Every arrow the document does not allow, and every rule broken, in words.
fn violations(crates: &[Crate], allowed: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let members: BTreeSet<&str> = crates.iter().map(|c| c.name.as_str()).collect();
    let mut found = Vec::new();
    for krate in crates {
        let row = if krate.is_function {
            EACH_FUNCTION
        } else {
            krate.name.as_str()
        };
        let Some(may_use) = allowed.get(row) else {
            found.push(format!("{} has no row in ARCHITECTURE.md", krate.name));
            continue;
        };
        for dependency in &krate.dependencies {
            if members.contains(dependency.as_str()) && !may_use.contains(dependency) {
                found.push(format!(
                    "{} → {dependency}: an arrow ARCHITECTURE.md does not allow",
                    krate.name
                ));
            }
            if krate.is_function && dependency.starts_with(SDK_PREFIX) {
                found.push(format!(
                    "{} uses {dependency}: a Lambda binary calls AWS only through its handler's ports",
                    krate.name
                ));
            }
            if krate.name == "emrflow-core" && NOT_IN_CORE.contains(&dependency.as_str()) {
                found.push(format!(
                    "emrflow-core uses {dependency}: the Lambda runtime's wiring belongs to emrflow-lambda"
                ));
            }
        }
    }
    found
}

#[test]
fn every_crate_depends_only_on_what_architecture_md_allows() {
    // GIVEN the document's arrows and the crates' manifests
    let document =
        std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let allowed = allowed_arrows(&document);
    // WHEN every dependency is held against them THEN none is out of place
    let crates = workspace_crates();
    assert!(crates.len() >= 19, "the workspace's crates: {crates:?}");
    assert_eq!(violations(&crates, &allowed), Vec::<String>::new());
}

#[test]
fn a_new_arrow_an_sdk_in_a_binary_and_wiring_in_the_core_are_each_caught() {
    // GIVEN a document that lets the core use the vocabulary only
    let allowed = allowed_arrows(
        "<!-- arrows: -->\n| crate | folder | owns | may use |\n|---|---|---|---|\n\
         | emrflow-vocabulary | v | words | — |\n\
         | emrflow-core | c | domain | emrflow-vocabulary |\n\
         | (each function) | f | main | emrflow-core |\n",
    );
    let krate = |name: &str, is_function: bool, dependencies: &[&str]| Crate {
        name: name.to_string(),
        is_function,
        dependencies: dependencies.iter().map(|d| d.to_string()).collect(),
    };
    // WHEN the core gains an arrow back to a function, and wiring; a binary an SDK; and a
    // crate appears that has no row
    let crates = [
        krate("emrflow-vocabulary", false, &[]),
        krate(
            "emrflow-core",
            false,
            &["emrflow-vocabulary", "add-steps", "tracing-subscriber"],
        ),
        krate("add-steps", true, &["emrflow-core", "aws-sdk-emr"]),
        krate("emrflow-console", false, &[]),
    ];
    // THEN each is named
    let found = violations(&crates, &allowed);
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found[0].contains("emrflow-core → add-steps"), "{found:?}");
    assert!(found[1].contains("tracing-subscriber"), "{found:?}");
    assert!(found[2].contains("add-steps uses aws-sdk-emr"), "{found:?}");
    assert!(found[3].contains("emrflow-console has no row"), "{found:?}");
}
