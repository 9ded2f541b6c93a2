//! How a step runs locally: what its HadoopJarStep becomes (a [`Plan`]), one module per
//! concern — the local S3 and folders ([`layout`]) and its sandbox ([`sandbox`]), local
//! Spark ([`spark`]), hadoop-streaming ([`streaming`]), s3-dist-cp ([`distcp`]), and running
//! a process ([`process`]) as a process group that never outlives the endpoint ([`groups`],
//! [`spawner`]).

mod distcp;
mod files;
mod groups;
mod layout;
mod process;
mod sandbox;
mod spark;
mod spawner;
mod streaming;

use std::path::{Path, PathBuf};

use emrflow_vocabulary::HadoopJarStep;

pub use spark::{locate_spark_submit, nearest_in_ancestors, SPARK_SUBMIT_ENV};

pub(crate) use distcp::DistCp;
pub(crate) use groups::ProcessGroups;
pub(crate) use layout::Layout;
pub(crate) use process::{run_process, signal_name, ProcessEnd, Supervision};
pub(crate) use sandbox::check_s3_uris;
pub(crate) use spark::install_shim;

pub(crate) use files::shell_quote;

use files::is_executable;

/// A step the local EMR refuses to run, with EMR-style FailureDetails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub reason: String,
    pub message: String,
}

impl Refusal {
    pub fn new(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Refusal {
            reason: reason.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ProcessSpec {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Files to create once the process succeeded (hadoop-streaming's `_SUCCESS`).
    pub on_success_touch: Vec<PathBuf>,
}

impl ProcessSpec {
    fn new(program: impl Into<String>, args: Vec<String>, layout: &Layout) -> Self {
        ProcessSpec {
            program: program.into(),
            args,
            env: layout.step_env(None),
            on_success_touch: vec![],
        }
    }
}

#[derive(Debug)]
pub(crate) enum Plan {
    Process(ProcessSpec),
    DistCp(DistCp),
}

/// Turns a step's HadoopJarStep into what to run locally; prepares the work dir.
pub(crate) fn plan_step(
    layout: &Layout,
    step: &HadoopJarStep,
    work_dir: &Path,
) -> Result<Plan, Refusal> {
    let jar = step.jar.as_str();
    if jar == "command-runner.jar" || jar.ends_with("/command-runner.jar") {
        return plan_command_runner(layout, &step.args, work_dir);
    }
    if jar.ends_with("script-runner.jar") {
        return plan_script_runner(layout, &step.args).map(Plan::Process);
    }
    plan_custom_jar(layout, step).map(Plan::Process)
}

/// script-runner.jar runs its first argument (a script, via bash unless executable).
fn plan_script_runner(layout: &Layout, args: &[String]) -> Result<ProcessSpec, Refusal> {
    let mapped: Vec<String> = args.iter().map(|a| layout.map_s3(a)).collect();
    let Some((script, script_args)) = mapped.split_first() else {
        return Err(Refusal::new(
            "Step failed: script-runner.jar needs the script as its first argument",
            "script-runner.jar was given no arguments",
        ));
    };
    if !Path::new(script).exists() {
        let original = args.first().cloned().unwrap_or_default();
        return Err(Refusal::new(
            "Step failed: script not found",
            format!("script-runner.jar: {original} does not exist (looked at {script})"),
        ));
    }
    Ok(if is_executable(Path::new(script)) {
        ProcessSpec::new(script.clone(), script_args.to_vec(), layout)
    } else {
        ProcessSpec::new("bash", mapped.clone(), layout)
    })
}

/// A custom JAR: EMR runs it with `hadoop jar`; locally plain java does.
fn plan_custom_jar(layout: &Layout, step: &HadoopJarStep) -> Result<ProcessSpec, Refusal> {
    let local_jar = layout.uri_to_path(&step.jar);
    if !local_jar.exists() {
        return Err(Refusal::new(
            "Step failed: JAR not found",
            format!(
                "{} does not exist (looked at {})",
                step.jar,
                local_jar.display()
            ),
        ));
    }
    let mut args: Vec<String> = step
        .properties
        .iter()
        .map(|pair| format!("-D{}={}", pair.key, layout.map_s3(&pair.value)))
        .collect();
    let jar = local_jar.display().to_string();
    match &step.main_class {
        Some(main_class) => args.extend(["-cp".to_string(), jar, main_class.clone()]),
        None => args.extend(["-jar".to_string(), jar]),
    }
    args.extend(step.args.iter().map(|a| layout.map_s3(a)));
    Ok(ProcessSpec::new("java", args, layout))
}

/// command-runner.jar: its first argument names the command.
fn plan_command_runner(layout: &Layout, args: &[String], work_dir: &Path) -> Result<Plan, Refusal> {
    let Some((command, rest)) = args.split_first() else {
        return Err(Refusal::new(
            "Step failed: command-runner.jar needs a command",
            "command-runner.jar was given no arguments",
        ));
    };
    let mapped = || rest.iter().map(|a| layout.map_s3(a)).collect::<Vec<_>>();
    match command.as_str() {
        "spark-submit" => {
            let Some(spark_submit) = &layout.spark_submit else {
                return Err(Refusal::new(
                    "Step failed: no local spark-submit",
                    format!("spark-submit was not found: set {SPARK_SUBMIT_ENV}, install the project's PySpark (make spark-env) or put spark-submit on PATH"),
                ));
            };
            let args = spark::rewrite_spark_submit_args(&mapped());
            Ok(Plan::Process(ProcessSpec::new(
                spark_submit.display().to_string(),
                args,
                layout,
            )))
        }
        "hadoop-streaming" => streaming::plan_streaming(layout, rest, work_dir).map(Plan::Process),
        "s3-dist-cp" => distcp::plan_distcp(layout, rest).map(Plan::DistCp),
        "hive-script" => Err(Refusal::new(
            "no local engine for Hive",
            "The local EMR has no Hive engine: hive-script steps only run on Amazon EMR.",
        )),
        "pig-script" => Err(Refusal::new(
            "no local engine for Pig",
            "The local EMR has no Pig engine: pig-script steps only run on Amazon EMR.",
        )),
        _ => Ok(Plan::Process(ProcessSpec::new(
            layout.map_s3(command),
            mapped(),
            layout,
        ))),
    }
}
