//! From an empty folder to a successful local run with the installed binary alone: the
//! `emrflow` binary copied out of the repository, run with a working directory and a HOME
//! outside it, so nothing of the repository (its definition, its examples, its .venv) can be
//! reached.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary, copied into `dir` as an installed one would be.
fn installed_binary(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    let installed = bin.join("emrflow");
    std::fs::copy(env!("CARGO_BIN_EXE_emrflow"), &installed).expect("binary copied");
    installed
}

/// `emrflow ARGS` in `cwd`, with HOME in the sandbox and only the system's PATH (bash, python3).
fn run(emrflow: &Path, sandbox: &Path, cwd: &Path, args: &[&str]) -> Output {
    Command::new(emrflow)
        .current_dir(cwd)
        .args(args)
        .env_clear()
        .env("HOME", sandbox.join("home"))
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .output()
        .expect("emrflow runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn init_then_local_run_succeeds_with_the_installed_binary_alone() {
    // GIVEN the binary installed outside the repository, and an empty working folder
    let sandbox = tempfile::tempdir().expect("temp dir");
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let repository = repository.canonicalize().expect("repository path");
    assert!(!sandbox.path().starts_with(&repository));
    let emrflow = installed_binary(sandbox.path());
    let work = sandbox.path().join("work");
    std::fs::create_dir_all(&work).expect("work folder");
    std::fs::create_dir_all(sandbox.path().join("home")).expect("home folder");
    // WHEN `emrflow init demo` is run there
    let init = run(&emrflow, sandbox.path(), &work, &["init", "demo"]);
    // THEN it writes the starter and prints the exact commands to run next
    assert!(init.status.success(), "{}", text(&init));
    let printed = String::from_utf8_lossy(&init.stdout);
    assert!(
        printed.contains("cd demo\n  emrflow local run\n"),
        "{printed}"
    );
    let demo = work.join("demo");
    for file in [
        "pipeline.json",
        "input.json",
        "s3/emrflow-starter/jobs/summarize.py",
    ] {
        assert!(demo.join(file).is_file(), "{file} missing");
    }
    // AND a second init into the same folder is refused, naming --force
    let again = run(&emrflow, sandbox.path(), &work, &["init", "demo"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again).contains("--force"), "{}", text(&again));
    // WHEN `emrflow local run` is run in it, with no option
    let output = run(&emrflow, sandbox.path(), &demo, &["local", "run"]);
    // THEN the execution SUCCEEDED, every step completed, and its files were used
    let all = text(&output);
    assert!(output.status.success(), "{all}");
    assert!(all.contains("Status: SUCCEEDED"), "{all}");
    assert!(
        all.contains(
            "using the pipeline pipeline.json, the input input.json, the local S3 folder s3/"
        ),
        "{all}"
    );
    for step in [
        "validate_raw",
        "summarize",
        "count_customers",
        "publish",
        "run_report",
    ] {
        assert!(all.contains(&format!("{step} COMPLETED")), "{step}: {all}");
    }
    let published = demo.join(".local/s3/emrflow-starter/published/date=2026-11-21/summary.csv");
    assert!(published.is_file(), "{all}");
    // AND the runs are listed where the run kept them, the failure demo fails saying why
    let runs = run(&emrflow, sandbox.path(), &demo, &["runs", "--local"]);
    assert!(
        String::from_utf8_lossy(&runs.stdout).contains("SUCCEEDED"),
        "{}",
        text(&runs)
    );
    let failed = run(
        &emrflow,
        sandbox.path(),
        &demo,
        &[
            "local",
            "run",
            "--input",
            r#"{"ProcessingDate":"2026-11-20"}"#,
        ],
    );
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    assert!(
        text(&failed).contains("the day's raw data has not arrived"),
        "{}",
        text(&failed)
    );
}

#[test]
fn local_run_in_an_empty_folder_says_how_to_start() {
    // GIVEN the installed binary and an empty folder
    let sandbox = tempfile::tempdir().expect("temp dir");
    let emrflow = installed_binary(sandbox.path());
    let empty = sandbox.path().join("empty");
    std::fs::create_dir_all(&empty).expect("folder");
    // WHEN local run is asked for THEN it names the missing pipeline and `emrflow init`
    let output = run(&emrflow, sandbox.path(), &empty, &["local", "run"]);
    assert_eq!(output.status.code(), Some(2));
    let all = text(&output);
    assert!(
        all.contains("no pipeline spec") && all.contains("emrflow init DIR"),
        "{all}"
    );
    assert!(!all.contains("statemachine/emrflow.asl.json"), "{all}");
}
