//! Local Spark: which spark-submit runs (decided here, once for the project), how EMR's
//! spark-submit options become local ones, and the shim that does the same for scripts.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::files::is_executable;
use super::layout::Layout;

/// The environment variable naming a spark-submit to use.
pub const SPARK_SUBMIT_ENV: &str = "EMRFLOW_SPARK_SUBMIT";

/// Where the project installs its PySpark (`make spark-env`), relative to the project root.
const PROJECT_SPARK_SUBMIT: &str = ".venv/bin/spark-submit";

/// Which spark-submit the local EMR runs — the one rule, for the CLI, the tests and `make`:
/// `configured` if given; else the environment variable [`SPARK_SUBMIT_ENV`]; else the
/// nearest `.venv/bin/spark-submit` in the current directory or one of its parents (so
/// `cargo test` in a crate folder and `make run` at the root both find the project's
/// PySpark); else `spark-submit` on PATH. None when there is none at all.
pub fn locate_spark_submit(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = configured {
        return Some(path.to_path_buf());
    }
    if let Some(path) = std::env::var_os(SPARK_SUBMIT_ENV).filter(|path| !path.is_empty()) {
        return Some(PathBuf::from(path));
    }
    nearest_in_ancestors(Path::new(PROJECT_SPARK_SUBMIT))
        .or_else(|| find_on_path("spark-submit", std::env::var_os("PATH").as_deref()))
}

/// The spark-sql Hive steps run: the one next to `spark_submit` (the same PySpark), else
/// `spark-sql` on PATH.
pub(crate) fn locate_spark_sql(spark_submit: Option<&Path>) -> Option<PathBuf> {
    spark_submit
        .map(|spark_submit| spark_submit.with_file_name("spark-sql"))
        .filter(|beside| is_executable(beside))
        .or_else(|| find_on_path("spark-sql", std::env::var_os("PATH").as_deref()))
}

/// The environment variable naming a step's file of the cluster's Spark settings (`k=v`
/// lines), which the shim passes as `--conf` before the script's own options.
pub(crate) const SPARK_CONF_FILE_ENV: &str = "EMRFLOW_SPARK_CONF_FILE";

/// The executable at `relative` under the current directory or the nearest of its parents
/// that has one (also how the tests find the project's own tools, e.g. the AWS CLI).
pub fn nearest_in_ancestors(relative: &Path) -> Option<PathBuf> {
    nearest_from(&std::env::current_dir().ok()?, relative)
}

fn nearest_from(start: &Path, relative: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(relative))
        .find(|candidate| is_executable(candidate))
}

fn find_on_path(name: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Writes the spark-submit shim (atomically: running steps may be executing it).
pub(crate) fn install_shim(layout: &Layout) -> std::io::Result<()> {
    let dir = layout.shim_dir();
    fs::create_dir_all(&dir)?;
    let temporary = dir.join(format!(".spark-submit.{}", std::process::id()));
    fs::write(&temporary, SPARK_SUBMIT_SHIM)?;
    fs::set_permissions(&temporary, fs::Permissions::from_mode(0o755))?;
    fs::rename(&temporary, dir.join("spark-submit"))
}

/// Put first on every step's PATH so scripts calling `spark-submit --master yarn
/// --deploy-mode cluster s3://…` run on local Spark; same rewriting as [`rewrite_spark_submit_args`].
const SPARK_SUBMIT_SHIM: &str = r#"#!/usr/bin/env bash
# emrflow local EMR: spark-submit shim. Puts the cluster's spark-defaults first (from
# $EMRFLOW_SPARK_CONF_FILE), rewrites --master yarn -> local[2], --deploy-mode cluster ->
# client, s3:// paths -> $EMRFLOW_LOCAL_S3_ROOT, then runs the real spark-submit
# ($EMRFLOW_REAL_SPARK_SUBMIT).
set -euo pipefail
defaults=()
if [ -n "${EMRFLOW_SPARK_CONF_FILE:-}" ] && [ -f "$EMRFLOW_SPARK_CONF_FILE" ]; then
  while IFS= read -r line; do
    if [ -n "$line" ]; then defaults+=(--conf "$line"); fi
  done < "$EMRFLOW_SPARK_CONF_FILE"
fi
set -- ${defaults[@]+"${defaults[@]}"} "$@"
if [ -z "${EMRFLOW_REAL_SPARK_SUBMIT:-}" ]; then
  echo "emrflow local EMR: no spark-submit found (set EMRFLOW_SPARK_SUBMIT, install the project's PySpark with make spark-env, or put spark-submit on PATH)" >&2
  exit 127
fi
s3_root="${EMRFLOW_LOCAL_S3_ROOT:-}"
map_s3() {
  local value="$1"
  if [ -n "$s3_root" ]; then
    value="${value//s3:\/\//$s3_root/}"
    value="${value//s3a:\/\//$s3_root/}"
    value="${value//s3n:\/\//$s3_root/}"
  fi
  printf '%s' "$value"
}
local_master() {
  case "$1" in yarn*) printf 'local[2]' ;; *) printf '%s' "$1" ;; esac
}
out=()
saw_master=0
while [ $# -gt 0 ]; do
  arg="$1"
  case "$arg" in
    --master) saw_master=1; out+=(--master "$(local_master "${2:-}")"); shift ;;
    --master=*) saw_master=1; out+=("--master=$(local_master "${arg#--master=}")") ;;
    --deploy-mode) out+=(--deploy-mode client); shift ;;
    --deploy-mode=*) out+=(--deploy-mode=client) ;;
    --verbose|-v|--supervise|--help|-h|--version|--usage-error|--*=*) out+=("$(map_s3 "$arg")") ;;
    -*) out+=("$arg" "$(map_s3 "${2:-}")"); shift ;;
    *) break ;;
  esac
  shift
done
for arg in "$@"; do out+=("$(map_s3 "$arg")"); done
if [ "$saw_master" = 0 ]; then out=(--master 'local[2]' "${out[@]}"); fi
exec "$EMRFLOW_REAL_SPARK_SUBMIT" "${out[@]}"
"#;

const SPARK_FLAGS_WITHOUT_VALUE: &[&str] = &[
    "--verbose",
    "-v",
    "--supervise",
    "--help",
    "-h",
    "--version",
    "--usage-error",
];

/// YARN is the cluster's resource manager on EMR; locally Spark runs in the step's process.
pub(crate) const LOCAL_MASTER: &str = "local[2]";

fn local_master(master: &str) -> String {
    if master.starts_with("yarn") {
        LOCAL_MASTER.to_string()
    } else {
        master.to_string()
    }
}

/// spark-submit's arguments split at the application: the options before it, each with its
/// value (flags and `--opt=value` have none), and the application with its own arguments.
fn split_options(args: &[String]) -> (Vec<(&String, Option<&String>)>, &[String]) {
    let mut options = Vec::new();
    let mut index = 0;
    while let Some(arg) = args.get(index).filter(|arg| arg.starts_with('-')) {
        let takes_value = !SPARK_FLAGS_WITHOUT_VALUE.contains(&arg.as_str()) && !arg.contains('=');
        let value = args.get(index + 1).filter(|_| takes_value);
        options.push((arg, value));
        index += 1 + usize::from(value.is_some());
    }
    (options, &args[index.min(args.len())..])
}

/// The application spark-submit is given (a .py, .jar or .R), if any.
pub(crate) fn spark_application(args: &[String]) -> Option<&str> {
    split_options(args).1.first().map(String::as_str)
}

/// spark-submit options for local Spark: `--master yarn` (or none) → `--master local[2]`,
/// `--deploy-mode cluster` → `client`. Only options before the application are touched.
pub(crate) fn rewrite_spark_submit_args(args: &[String]) -> Vec<String> {
    let (options, application) = split_options(args);
    let mut rewritten = Vec::with_capacity(args.len() + 2);
    let mut saw_master = false;
    for (option, value) in options {
        if let Some(master) = option.strip_prefix("--master=") {
            saw_master = true;
            rewritten.push(format!("--master={}", local_master(master)));
        } else if option.starts_with("--deploy-mode=") {
            rewritten.push("--deploy-mode=client".to_string());
        } else {
            rewritten.push(option.clone());
            rewritten.extend(value.map(|value| match option.as_str() {
                "--master" => {
                    saw_master = true;
                    local_master(value)
                }
                "--deploy-mode" => "client".to_string(),
                _ => value.clone(),
            }));
        }
    }
    rewritten.extend(application.iter().cloned());
    if !saw_master {
        rewritten.splice(0..0, ["--master".to_string(), LOCAL_MASTER.to_string()]);
    }
    rewritten
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn given_yarn_cluster_options_when_rewritten_then_local_client_and_app_args_untouched() {
        let args = strings(&[
            "--master",
            "yarn",
            "--deploy-mode",
            "cluster",
            "--conf",
            "a=b",
            "app.py",
            "--master",
            "yarn",
        ]);
        let rewritten = rewrite_spark_submit_args(&args);
        assert_eq!(
            rewritten,
            strings(&[
                "--master",
                "local[2]",
                "--deploy-mode",
                "client",
                "--conf",
                "a=b",
                "app.py",
                "--master",
                "yarn"
            ])
        );
    }

    #[test]
    fn given_no_master_when_rewritten_then_local_master_is_added() {
        let rewritten = rewrite_spark_submit_args(&strings(&["--deploy-mode=cluster", "job.py"]));
        assert_eq!(
            rewritten,
            strings(&["--master", "local[2]", "--deploy-mode=client", "job.py"])
        );
    }

    #[test]
    fn the_application_is_the_first_argument_after_the_options() {
        // GIVEN options with values, flags and key=value forms before the application
        let args = strings(&[
            "--master",
            "yarn",
            "--conf",
            "a=b",
            "--verbose",
            "--deploy-mode=cluster",
            "s3://code/app.py",
            "--date",
            "2026-11-21",
        ]);
        // WHEN the application is asked THEN the .py, not an option's value nor its own args
        assert_eq!(spark_application(&args), Some("s3://code/app.py"));
        assert_eq!(
            spark_application(&strings(&["--class", "com.example.Main", "app.jar"])),
            Some("app.jar")
        );
        // AND options alone name none
        assert_eq!(spark_application(&strings(&["--version"])), None);
    }

    #[test]
    fn given_the_project_venv_in_a_parent_when_located_then_it_is_found_before_path() {
        // GIVEN a project folder with .venv/bin/spark-submit and a crate folder below it
        let project = tempfile::tempdir().expect("project");
        let spark = project.path().join(PROJECT_SPARK_SUBMIT);
        fs::create_dir_all(spark.parent().expect("bin")).expect("mkdir");
        fs::write(&spark, "#!/bin/sh\n").expect("write");
        fs::set_permissions(&spark, fs::Permissions::from_mode(0o755)).expect("chmod");
        let crate_dir = project.path().join("local").join("emr");
        fs::create_dir_all(&crate_dir).expect("crate dir");
        // WHEN searched from the crate folder THEN the project's spark-submit is the nearest
        let found = nearest_from(&crate_dir, Path::new(PROJECT_SPARK_SUBMIT));
        assert_eq!(found, Some(spark.clone()));
        // AND a folder outside the project finds none there
        let elsewhere = tempfile::tempdir().expect("elsewhere");
        assert_eq!(
            nearest_from(elsewhere.path(), Path::new(PROJECT_SPARK_SUBMIT)),
            None
        );
        // AND a configured one wins over everything
        let configured = PathBuf::from("/opt/spark/bin/spark-submit");
        assert_eq!(
            locate_spark_submit(Some(&configured)),
            Some(configured.clone())
        );
    }
}
