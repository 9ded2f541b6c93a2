//! Each step of the spec as EMR's StepConfig (the shapes in README's step-type table).

use super::steps::{S3DistCpStep, ScriptWithVariables, SparkStep, StreamingStep};
use super::{ActionOnFailure, Mode, StepKind, StepSpec};
use crate::emr::{HadoopJarStep, KeyValue, StepConfig};
use crate::naming::attempt_name;

/// The script-runner JAR of `region` (EMR hosts one per region).
pub fn script_runner_jar(region: &str) -> String {
    format!("s3://{region}.elasticmapreduce/libs/script-runner/script-runner.jar")
}

const COMMAND_RUNNER: &str = "command-runner.jar";

fn joined(values: &[String]) -> String {
    values.join(",")
}

impl StepSpec {
    /// This step as EMR's StepConfig (README: the step-type table), first attempt, as a list
    /// pipeline submits it.
    pub fn compile(&self, execution_name: &str, region: &str) -> StepConfig {
        self.compile_attempt(execution_name, region, 1, Mode::List)
    }

    /// One attempt of this step. A graph's steps go to EMR as CONTINUE: emrflow applies
    /// ActionOnFailure across the graph (EMR ignores it when steps run concurrently).
    pub fn compile_attempt(
        &self,
        execution_name: &str,
        region: &str,
        attempt: u32,
        mode: Mode,
    ) -> StepConfig {
        let command = |args: Vec<String>| HadoopJarStep {
            jar: COMMAND_RUNNER.to_string(),
            main_class: None,
            args,
            properties: Vec::new(),
        };
        let hadoop_jar_step = match &self.kind {
            StepKind::Spark(spark) => command(spark_args(spark)),
            StepKind::Hive(hive) => command(script_with_variables_args(
                ["hive-script", "--run-hive-script"],
                "-d",
                hive,
            )),
            StepKind::Pig(pig) => command(script_with_variables_args(
                ["pig-script", "--run-pig-script"],
                "-p",
                pig,
            )),
            StepKind::CustomJar(custom) => HadoopJarStep {
                jar: custom.jar.clone(),
                main_class: custom.main_class.clone(),
                args: custom.args.clone(),
                properties: custom
                    .properties
                    .iter()
                    .map(|(key, value)| KeyValue::new(key, value))
                    .collect(),
            },
            StepKind::Script(script) => HadoopJarStep {
                jar: script_runner_jar(region),
                main_class: None,
                args: std::iter::once(script.script.clone())
                    .chain(script.args.iter().cloned())
                    .collect(),
                properties: Vec::new(),
            },
            StepKind::S3DistCp(copy) => command(s3_dist_cp_args(copy)),
            StepKind::Streaming(streaming) => command(streaming_args(streaming)),
            StepKind::Command(raw) => command(raw.args.clone()),
        };
        StepConfig {
            name: attempt_name(&self.name, execution_name, attempt),
            action_on_failure: match mode {
                Mode::List => self.action_on_failure,
                Mode::Graph => ActionOnFailure::Continue,
            },
            hadoop_jar_step,
        }
    }
}

fn spark_args(spark: &SparkStep) -> Vec<String> {
    let mut args = vec![
        "spark-submit".to_string(),
        "--deploy-mode".to_string(),
        spark.deploy_mode.as_str().to_string(),
    ];
    let mut option = |flag: &str, value: Option<String>| {
        if let Some(value) = value {
            args.push(flag.to_string());
            args.push(value);
        }
    };
    option("--driver-memory", spark.driver_memory.clone());
    option("--driver-cores", spark.driver_cores.map(|n| n.to_string()));
    option("--executor-memory", spark.executor_memory.clone());
    option(
        "--executor-cores",
        spark.executor_cores.map(|n| n.to_string()),
    );
    option(
        "--num-executors",
        spark.num_executors.map(|n| n.to_string()),
    );
    for (key, value) in &spark.spark_conf {
        option("--conf", Some(format!("{key}={value}")));
    }
    if !spark.py_files.is_empty() {
        option("--py-files", Some(joined(&spark.py_files)));
    }
    if !spark.jars.is_empty() {
        option("--jars", Some(joined(&spark.jars)));
    }
    args.push(spark.application.clone());
    args.extend(spark.args.iter().cloned());
    args
}

fn script_with_variables_args(
    runner: [&str; 2],
    variable_flag: &str,
    step: &ScriptWithVariables,
) -> Vec<String> {
    let mut args: Vec<String> = runner.iter().map(|s| s.to_string()).collect();
    args.extend(["--args", "-f"].map(String::from));
    args.push(step.script.clone());
    for (key, value) in &step.variables {
        args.push(variable_flag.to_string());
        args.push(format!("{key}={value}"));
    }
    args
}

fn s3_dist_cp_args(copy: &S3DistCpStep) -> Vec<String> {
    let mut args = vec![
        "s3-dist-cp".to_string(),
        format!("--src={}", copy.src),
        format!("--dest={}", copy.dest),
    ];
    if let Some(pattern) = &copy.src_pattern {
        args.push(format!("--srcPattern={pattern}"));
    }
    if let Some(codec) = &copy.output_codec {
        args.push(format!("--outputCodec={codec}"));
    }
    if let Some(size) = copy.target_size {
        args.push(format!("--targetSize={size}"));
    }
    args.extend(copy.args.iter().cloned());
    args
}

fn streaming_args(streaming: &StreamingStep) -> Vec<String> {
    let mut args = vec!["hadoop-streaming".to_string()];
    if !streaming.files.is_empty() {
        args.push("-files".to_string());
        args.push(joined(&streaming.files));
    }
    args.extend([
        "-mapper".to_string(),
        streaming.mapper.clone(),
        "-reducer".to_string(),
        streaming.reducer.clone(),
    ]);
    for input in &streaming.input {
        args.push("-input".to_string());
        args.push(input.clone());
    }
    args.push("-output".to_string());
    args.push(streaming.output.clone());
    args.extend(streaming.args.iter().cloned());
    args
}
