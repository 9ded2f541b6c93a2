//! How a step runs locally: what its HadoopJarStep becomes (a [`Plan`]), one module per
//! concern — the local S3 and folders ([`layout`]) and its sandbox ([`sandbox`]), the
//! cluster's Configurations ([`configurations`]), local Spark ([`spark`]), Hive on spark-sql
//! ([`hive`]), hadoop-streaming ([`streaming`]), s3-dist-cp ([`distcp`]), and running a
//! process ([`process`]) as a process group that never outlives the endpoint ([`groups`],
//! [`spawner`]).

mod configurations;
mod distcp;
mod files;
mod groups;
mod hive;
mod layout;
mod process;
mod sandbox;
mod spark;
mod spawner;
mod streaming;

use std::path::{Path, PathBuf};

use emrflow_vocabulary::HadoopJarStep;

pub use spark::{locate_spark_submit, nearest_in_ancestors, SPARK_SUBMIT_ENV};

pub(crate) use configurations::ClusterConfigurations;
pub(crate) use distcp::DistCp;
pub(crate) use groups::ProcessGroups;
pub(crate) use layout::Layout;
use layout::S3_SCHEMES;
pub(crate) use process::{run_process, signal_name, ProcessEnd, Supervision};
pub(crate) use sandbox::check_s3_uris;
pub(crate) use spark::{install_shim, locate_spark_sql};

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
    /// Opens the cluster's Derby metastore, which one process at a time may hold.
    pub uses_metastore: bool,
}

impl ProcessSpec {
    fn new(program: impl Into<String>, args: Vec<String>, context: &StepContext) -> Self {
        ProcessSpec {
            program: program.into(),
            args,
            env: context.step_env(None),
            on_success_touch: vec![],
            uses_metastore: false,
        }
    }
}

impl ProcessSpec {
    /// A bootstrap action's script, run with bash.
    pub fn bootstrap(args: Vec<String>, layout: &Layout) -> Self {
        ProcessSpec {
            program: "bash".into(),
            args,
            env: layout.step_env(None),
            on_success_touch: vec![],
            uses_metastore: false,
        }
    }
}

/// What a step's plan may use besides its HadoopJarStep.
pub(crate) struct StepContext<'a> {
    pub layout: &'a Layout,
    pub work_dir: &'a Path,
    /// `<root>/work/<cluster-id>`: the cluster's local disk (its Hive metastore).
    pub cluster_dir: &'a Path,
    pub configurations: &'a ClusterConfigurations,
}

impl StepContext<'_> {
    /// Where the spark-submit shim reads the cluster's Spark settings from.
    fn spark_conf_file(&self) -> PathBuf {
        self.work_dir.join(".emrflow-spark-defaults.conf")
    }

    /// The layout's step environment, plus the cluster's Spark settings for the shim.
    fn step_env(&self, extra_path: Option<&Path>) -> Vec<(String, String)> {
        let mut env = self.layout.step_env(extra_path);
        if self.spark_conf_file().is_file() {
            env.push((
                spark::SPARK_CONF_FILE_ENV.to_string(),
                self.spark_conf_file().display().to_string(),
            ));
        }
        env
    }

    fn write_spark_conf_file(&self) -> Result<(), Refusal> {
        let lines = self.configurations.spark_conf_lines();
        if lines.is_empty() {
            return Ok(());
        }
        std::fs::write(self.spark_conf_file(), lines).map_err(|err| {
            Refusal::new(
                "Step failed: cannot prepare the step",
                format!("{}: {err}", self.spark_conf_file().display()),
            )
        })
    }
}

#[derive(Debug)]
pub(crate) enum Plan {
    Process(ProcessSpec),
    DistCp(DistCp),
}

/// Turns a step's HadoopJarStep into what to run locally; prepares the work dir.
pub(crate) fn plan_step(context: &StepContext, step: &HadoopJarStep) -> Result<Plan, Refusal> {
    context.write_spark_conf_file()?;
    let jar = step.jar.as_str();
    if jar == "command-runner.jar" || jar.ends_with("/command-runner.jar") {
        return plan_command_runner(context, &step.args);
    }
    if jar.ends_with("script-runner.jar") {
        return plan_script_runner(context, &step.args).map(Plan::Process);
    }
    plan_custom_jar(context, step).map(Plan::Process)
}

/// script-runner.jar runs its first argument (a script, via bash unless executable).
fn plan_script_runner(context: &StepContext, args: &[String]) -> Result<ProcessSpec, Refusal> {
    let layout = context.layout;
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
        ProcessSpec::new(script.clone(), script_args.to_vec(), context)
    } else {
        ProcessSpec::new("bash", mapped.clone(), context)
    })
}

/// A custom JAR: EMR runs it with `hadoop jar`; locally plain java does.
fn plan_custom_jar(context: &StepContext, step: &HadoopJarStep) -> Result<ProcessSpec, Refusal> {
    let layout = context.layout;
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
    Ok(ProcessSpec::new("java", args, context))
}

/// command-runner.jar: its first argument names the command.
fn plan_command_runner(context: &StepContext, args: &[String]) -> Result<Plan, Refusal> {
    let layout = context.layout;
    let Some((command, rest)) = args.split_first() else {
        return Err(Refusal::new(
            "Step failed: command-runner.jar needs a command",
            "command-runner.jar was given no arguments",
        ));
    };
    let mapped = || rest.iter().map(|a| layout.map_s3(a)).collect::<Vec<_>>();
    match command.as_str() {
        "spark-submit" => plan_spark_submit(context, rest).map(Plan::Process),
        "hive-script" => hive::plan_hive(context, rest).map(Plan::Process),
        "hadoop-streaming" => {
            streaming::plan_streaming(context, rest).map(Plan::Process)
        }
        "s3-dist-cp" => distcp::plan_distcp(layout, rest).map(Plan::DistCp),
        "pig-script" => Err(Refusal::new(
            "no local engine for Pig",
            "The local EMR has no Pig engine (no Pig runtime is in a package registry emrflow can use): pig-script steps only run on Amazon EMR.",
        )),
        _ => Ok(Plan::Process(ProcessSpec::new(
            layout.map_s3(command),
            mapped(),
            context,
        ))),
    }
}

/// spark-submit on local Spark, the cluster's spark-defaults first so the step's own
/// options win. An application that is not there fails the step at once, as a missing JAR does.
fn plan_spark_submit(context: &StepContext, args: &[String]) -> Result<ProcessSpec, Refusal> {
    let Some(spark_submit) = &context.layout.spark_submit else {
        return Err(Refusal::new(
            "Step failed: no local spark-submit",
            format!("spark-submit was not found: set {SPARK_SUBMIT_ENV}, install the project's PySpark (make spark-env) or put spark-submit on PATH"),
        ));
    };
    if let Some(application) = spark::spark_application(args) {
        check_spark_application(context, application)?;
    }
    let mut spark_args = context.configurations.spark_conf_args();
    spark_args.extend(args.iter().map(|arg| context.layout.map_s3(arg)));
    Ok(ProcessSpec::new(
        spark_submit.display().to_string(),
        spark::rewrite_spark_submit_args(&spark_args),
        context,
    ))
}

/// The application given to spark-submit exists: an `s3://` location in the local S3, a
/// `file:` URI or an absolute path. A relative path (the step's work dir, or a file shipped
/// with `--files`), Spark's own names (`spark-internal`…) and other schemes (`hdfs://`,
/// `local:`…) are left to spark-submit.
fn check_spark_application(context: &StepContext, application: &str) -> Result<(), Refusal> {
    let not_found =
        |message: String| Refusal::new("Step failed: Spark application not found", message);
    if let Some(scheme) = S3_SCHEMES
        .iter()
        .map(|scheme| scheme.trim_end_matches('/'))
        .find(|scheme| {
            application.starts_with(scheme) && !application.starts_with(&format!("{scheme}//"))
        })
    {
        return Err(not_found(format!(
            "{application} is not an S3 location: write {scheme}//bucket/key (two slashes)"
        )));
    }
    let path = if let Some(path) = application
        .strip_prefix("file://")
        .or(application.strip_prefix("file:"))
    {
        PathBuf::from(path)
    } else if S3_SCHEMES
        .iter()
        .any(|scheme| application.starts_with(scheme))
    {
        context.layout.uri_to_path(application)
    } else if application.starts_with('/') {
        PathBuf::from(application)
    } else {
        return Ok(());
    };
    if path.exists() {
        return Ok(());
    }
    Err(not_found(format!(
        "{application} does not exist (looked at {})",
        path.display()
    )))
}
