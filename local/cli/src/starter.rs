//! `emrflow init DIR`: a small working pipeline to start from, built into the binary so that
//! a person with the binary alone can run one: a graph of Script steps (bash and python3,
//! no Spark) with DependsOn, RunIf, Retry and TimeoutSeconds, an S3DistCp copy, the
//! execution input, and the local S3 (job scripts and a day of data) — under the names
//! `emrflow local run` looks for ([`crate::defaults`]), so it runs there with no option.

use std::path::Path;
use std::process::ExitCode;

use crate::defaults::{INPUT_FILE, PIPELINE_FILE, S3_FOLDER};

/// One file the starter writes: where, what, and whether it is a program.
struct StarterFile {
    path: String,
    text: &'static str,
    executable: bool,
}

/// The bucket of the starter's local S3, and of every location its pipeline names.
const BUCKET: &str = "emrflow-starter";

fn files() -> Vec<StarterFile> {
    let file = |path: String, text, executable| StarterFile {
        path,
        text,
        executable,
    };
    let bucket = |key: &str| format!("{S3_FOLDER}/{BUCKET}/{key}");
    vec![
        file(
            PIPELINE_FILE.to_string(),
            include_str!("../starter/pipeline.json"),
            false,
        ),
        file(
            INPUT_FILE.to_string(),
            include_str!("../starter/input.json"),
            false,
        ),
        file(
            "README.md".to_string(),
            include_str!("../starter/README.md"),
            false,
        ),
        file(
            bucket("jobs/validate_raw.sh"),
            include_str!("../starter/s3/emrflow-starter/jobs/validate_raw.sh"),
            true,
        ),
        file(
            bucket("jobs/summarize.py"),
            include_str!("../starter/s3/emrflow-starter/jobs/summarize.py"),
            true,
        ),
        file(
            bucket("jobs/count_customers.sh"),
            include_str!("../starter/s3/emrflow-starter/jobs/count_customers.sh"),
            true,
        ),
        file(
            bucket("jobs/run_report.sh"),
            include_str!("../starter/s3/emrflow-starter/jobs/run_report.sh"),
            true,
        ),
        file(
            bucket("raw/orders/date=2026-11-21/orders.csv"),
            include_str!("../starter/s3/emrflow-starter/raw/orders/date=2026-11-21/orders.csv"),
            false,
        ),
    ]
}

/// `emrflow init DIR [--force]`: writes the starter into `dir` (created if need be) and prints
/// the commands to run next. A folder that exists and holds anything is refused unless
/// `force` (then files of the same names are replaced, others left alone).
pub fn init(dir: &Path, force: bool) -> Result<ExitCode, String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!("{} exists and is not a folder", dir.display()));
    }
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied && !force {
        return Err(format!(
            "{} is not empty: emrflow init writes into a new or empty folder (pass --force to write the starter into it anyway, replacing files of the same names)",
            dir.display()
        ));
    }
    for file in files() {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
        }
        std::fs::write(&path, file.text)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        if file.executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(|error| format!("cannot make {} executable: {error}", path.display()))?;
        }
    }
    print!("{}", next_steps(dir));
    Ok(ExitCode::SUCCESS)
}

/// What was written and the exact commands to run next.
fn next_steps(dir: &Path) -> String {
    let cd = crate::render::shell_word(&dir.display().to_string());
    format!(
        "wrote a starter pipeline to {dir}:
  {:<14}  validate_raw → summarize ∥ count_customers → publish → run_report (Script, S3DistCp)
  {:<14}  the execution input: ProcessingDate 2026-11-21, the day of the sample data
  {:<14}  the local S3: the job scripts (bash, python3) and that day's raw orders
  {:<14}  what each file is

Run it, offline (emrflow local run uses {PIPELINE_FILE}, {INPUT_FILE} and {S3_FOLDER}/ of the folder it runs in):
  cd {cd}
  emrflow local run
See a failure explained (a day without data):
  emrflow local run --input '{{\"ProcessingDate\":\"2026-11-20\"}}'
Then:
  emrflow runs --local
  emrflow diagram --pipeline {PIPELINE_FILE}
",
        PIPELINE_FILE,
        INPUT_FILE,
        format!("{S3_FOLDER}/"),
        "README.md",
        dir = dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_pipeline_is_valid_and_names_only_its_own_bucket() {
        // GIVEN the starter's pipeline WHEN validated THEN accepted, a graph with every key
        let spec =
            emrflow_core::PipelineSpec::from_json_str(include_str!("../starter/pipeline.json"))
                .expect("valid pipeline");
        assert_eq!(
            emrflow_core::pipeline::Mode::of(&spec),
            emrflow_core::pipeline::Mode::Graph
        );
        let text = serde_json::to_string(&spec).expect("JSON");
        for key in ["DependsOn", "RunIf", "Retry", "TimeoutSeconds", "S3DistCp"] {
            assert!(text.contains(key), "{key}");
        }
        for engine in ["\"Type\":\"Spark\"", "\"Type\":\"Hive\""] {
            assert!(
                !text.contains(engine),
                "the starter must run without Spark: {text}"
            );
        }
        // AND every S3 location is in the bucket the starter writes
        assert!(text
            .match_indices("s3://")
            .all(|(at, _)| text[at..].starts_with(&format!("s3://{BUCKET}/"))));
    }

    #[test]
    fn init_refuses_a_folder_that_holds_anything_unless_forced() {
        // GIVEN a folder with one file in it
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("mine.txt"), "keep").expect("write");
        // WHEN init is asked to write there THEN refused, saying how to force it
        let error = init(dir.path(), false).unwrap_err();
        assert!(
            error.contains("is not empty") && error.contains("--force"),
            "{error}"
        );
        assert!(!dir.path().join(PIPELINE_FILE).exists());
        // AND with force the starter is written beside the file, scripts executable
        init(dir.path(), true).expect("forced");
        assert!(dir.path().join(PIPELINE_FILE).is_file());
        assert!(dir.path().join("mine.txt").is_file());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("s3/emrflow-starter/jobs/summarize.py"))
            .expect("script")
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111);
    }
}
