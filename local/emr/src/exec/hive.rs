//! Hive steps — `command-runner.jar hive-script --run-hive-script --args …`, what emrflow's
//! Hive steps and the AWS CLI's `--steps Type=Hive` send — run on `spark-sql` from the
//! project's PySpark (Spark SQL with Hive support), with Hive's CLI options.
//!
//! Each cluster has one Derby metastore and warehouse under its local disk
//! (`<root>/work/<cluster-id>/hive/`), so a table one step creates is there for the cluster's
//! next step, as with EMR's cluster metastore, and gone with the cluster. Scripts are read
//! from the local S3 and their `s3://` locations mapped like step arguments; the mapped copy
//! in the step's work dir is what runs.

use std::fs;
use std::path::Path;

use super::sandbox::check_s3_uris;
use super::spark::LOCAL_MASTER;
use super::{ProcessSpec, Refusal, StepContext};

fn usage(message: String) -> Refusal {
    Refusal::new("Step failed: bad hive-script arguments", message)
}

/// Hive CLI options that take a value, and those that do not.
const WITH_VALUE: &[&str] = &[
    "-f",
    "-i",
    "-e",
    "-d",
    "--define",
    "--hivevar",
    "--hiveconf",
    "--database",
];
const FLAGS: &[&str] = &["-S", "--silent", "-v", "--verbose"];

/// hive-script's own options (before Hive's): the first two say "run a script", the others
/// chose a Hive version on AMI-era clusters. None means anything locally.
const RUNNER_FLAGS: &[&str] = &["--run-hive-script", "--args"];
const RUNNER_OPTIONS: &[&str] = &["--hive-versions", "--base-path"];

/// Hive's options as (option, value) pairs, in order; hive-script's own dropped.
fn hive_options(args: &[String]) -> Result<Vec<(String, Option<String>)>, Refusal> {
    let mut options = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let arg = arg.as_str();
        if RUNNER_FLAGS.contains(&arg) {
            continue;
        }
        if RUNNER_OPTIONS.contains(&arg) {
            rest.next();
        } else if FLAGS.contains(&arg) {
            options.push((arg.to_string(), None));
        } else if WITH_VALUE.contains(&arg) {
            let value = rest
                .next()
                .ok_or_else(|| usage(format!("{arg} needs a value")))?;
            options.push((arg.to_string(), Some(value.clone())));
        } else {
            return Err(usage(format!("unsupported Hive option {arg}")));
        }
    }
    if !options
        .iter()
        .any(|(option, _)| option == "-f" || option == "-e")
    {
        return Err(usage(
            "hive-script needs a script (-f) or a query (-e)".into(),
        ));
    }
    Ok(options)
}

/// The script at `uri`, its S3 locations mapped, written into the work dir as `name`;
/// returns where.
fn local_script(context: &StepContext, uri: &str, name_prefix: &str) -> Result<String, Refusal> {
    let path = context.layout.uri_to_path(uri);
    let text = fs::read_to_string(&path).map_err(|err| {
        Refusal::new(
            "Step failed: Hive script not found",
            format!(
                "{uri} could not be read (looked at {}): {err}",
                path.display()
            ),
        )
    })?;
    check_s3_uris(&text).map_err(|why| {
        Refusal::new(
            "Step failed: the Hive script names an S3 location outside the local S3",
            format!("{uri}: {why}"),
        )
    })?;
    let name = path.file_name().map_or_else(
        || "script.hql".into(),
        |name| name.to_string_lossy().into_owned(),
    );
    let target = context.work_dir.join(format!("{name_prefix}{name}"));
    fs::write(&target, context.layout.map_s3(&text)).map_err(|err| {
        Refusal::new(
            "Step failed: cannot prepare the Hive script",
            format!("{}: {err}", target.display()),
        )
    })?;
    Ok(target.display().to_string())
}

/// A Hive step's JVM lives seconds on small data: the C1 compiler and the serial collector
/// start it in about half the time (measured here: 25 s → 15 s on two busy cores). The
/// cluster's spark-defaults may set their own.
const QUICK_START_JVM: &str =
    "spark.driver.extraJavaOptions=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

/// spark-sql's options for the cluster's metastore, lean to start (no UI, quick JVM).
fn metastore_options(hive_dir: &Path) -> Vec<String> {
    let warehouse = hive_dir.join("warehouse");
    let database = hive_dir.join("metastore_db");
    [
        "--master".to_string(),
        LOCAL_MASTER.to_string(),
        "--conf".to_string(),
        "spark.ui.enabled=false".to_string(),
        "--conf".to_string(),
        QUICK_START_JVM.to_string(),
        "--conf".to_string(),
        format!("spark.sql.warehouse.dir={}", warehouse.display()),
        "--conf".to_string(),
        format!(
            "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName={};create=true",
            database.display()
        ),
    ]
    .into()
}

/// The hive-script step as a spark-sql process: the metastore's options, the cluster's
/// Configurations, then the step's own options (so those win).
pub(crate) fn plan_hive(context: &StepContext, args: &[String]) -> Result<ProcessSpec, Refusal> {
    let Some(spark_sql) = &context.layout.spark_sql else {
        return Err(Refusal::new(
            "Step failed: no local spark-sql",
            "Hive steps run on spark-sql, next to the local spark-submit: install the project's PySpark (make spark-env)",
        ));
    };
    let options = hive_options(args)?;
    let hive_dir = context.cluster_dir.join("hive");
    fs::create_dir_all(&hive_dir).map_err(|err| {
        Refusal::new(
            "Step failed: cannot prepare the metastore",
            format!("{}: {err}", hive_dir.display()),
        )
    })?;
    let mut command = metastore_options(&hive_dir);
    command.extend(context.configurations.spark_conf_args());
    command.extend(context.configurations.hive_conf_args());
    for (option, value) in options {
        let value = match (option.as_str(), value) {
            ("-f", Some(uri)) => Some(local_script(context, &uri, "")?),
            ("-i", Some(uri)) => Some(local_script(context, &uri, "init-")?),
            (_, value) => value.map(|value| context.layout.map_s3(&value)),
        };
        command.push(option);
        command.extend(value);
    }
    let mut spec = ProcessSpec::new(spark_sql.display().to_string(), command, context);
    spec.uses_metastore = true;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hive_script_args_become_hive_options_in_order() {
        // GIVEN what the AWS CLI's Type=Hive sends, with every kind of option
        let args = strings(&[
            "--run-hive-script",
            "--args",
            "-f",
            "s3://code/q.hql",
            "-d",
            "DT=2026-11-21",
            "--hivevar",
            "m=4",
            "-S",
        ]);
        // WHEN read THEN hive-script's own flags are gone and Hive's are kept in order
        let options = hive_options(&args).expect("options");
        let flat: Vec<String> = options
            .into_iter()
            .flat_map(|(option, value)| std::iter::once(option).chain(value))
            .collect();
        assert_eq!(
            flat,
            strings(&[
                "-f",
                "s3://code/q.hql",
                "-d",
                "DT=2026-11-21",
                "--hivevar",
                "m=4",
                "-S"
            ])
        );
        // AND no script, an option without value, an unknown option are refused in words
        for (bad, says) in [
            (
                strings(&["--run-hive-script", "--args", "-d", "a=b"]),
                "needs a script (-f) or a query (-e)",
            ),
            (strings(&["-f"]), "-f needs a value"),
            (
                strings(&["-f", "x.hql", "--silly"]),
                "unsupported Hive option --silly",
            ),
        ] {
            let refusal = hive_options(&bad).expect_err("refused");
            assert!(refusal.message.contains(says), "{}", refusal.message);
        }
    }
}
