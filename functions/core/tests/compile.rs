//! Step compilation: every Type becomes the StepConfig shape of README (the step-type table).

use emrflow_core::emr::{KeyValue, StepConfig};
use emrflow_core::pipeline::StepSpec;
use emrflow_core::PipelineSpec;
use serde_json::{json, Value};

fn compile(step: Value) -> StepConfig {
    let step: StepSpec = serde_json::from_value(step).unwrap();
    step.compile("exec-1", "eu-west-1")
}

fn args(config: &StepConfig) -> Vec<&str> {
    config
        .hadoop_jar_step
        .args
        .iter()
        .map(String::as_str)
        .collect()
}

#[test]
fn spark_with_every_option() {
    // GIVEN a Spark step with all options WHEN compiled THEN spark-submit args in contract order
    let config = compile(json!({
        "Name": "s", "Type": "Spark", "Application": "s3://b/x.py", "DeployMode": "client",
        "DriverMemory": "2g", "DriverCores": 1, "ExecutorMemory": "4g", "ExecutorCores": 2,
        "NumExecutors": 4, "SparkConf": {"spark.b": "2", "spark.a": "1"},
        "PyFiles": ["s3://b/a.py", "s3://b/b.py"], "Jars": ["s3://b/j.jar"], "Args": ["--x", "1"]
    }));
    assert_eq!(config.name, "s [exec-1]");
    assert_eq!(config.action_on_failure, "CANCEL_AND_WAIT");
    assert_eq!(config.hadoop_jar_step.jar, "command-runner.jar");
    assert_eq!(
        args(&config),
        [
            "spark-submit",
            "--deploy-mode",
            "client",
            "--driver-memory",
            "2g",
            "--driver-cores",
            "1",
            "--executor-memory",
            "4g",
            "--executor-cores",
            "2",
            "--num-executors",
            "4",
            "--conf",
            "spark.a=1",
            "--conf",
            "spark.b=2",
            "--py-files",
            "s3://b/a.py,s3://b/b.py",
            "--jars",
            "s3://b/j.jar",
            "s3://b/x.py",
            "--x",
            "1"
        ]
    );
}

#[test]
fn spark_minimal_defaults_to_cluster_mode() {
    let config = compile(json!({"Name": "s", "Type": "Spark", "Application": "s3://b/x.py"}));
    assert_eq!(
        args(&config),
        ["spark-submit", "--deploy-mode", "cluster", "s3://b/x.py"]
    );
}

#[test]
fn pig_with_variables() {
    let config = compile(
        json!({"Name": "p", "Type": "Pig", "Script": "s3://b/p.pig", "Variables": {"IN": "s3://i"}}),
    );
    assert_eq!(
        args(&config),
        [
            "pig-script",
            "--run-pig-script",
            "--args",
            "-f",
            "s3://b/p.pig",
            "-p",
            "IN=s3://i"
        ]
    );
}

#[test]
fn script_uses_the_regions_script_runner() {
    let config =
        compile(json!({"Name": "sh", "Type": "Script", "Script": "s3://b/run.sh", "Args": ["a"]}));
    assert_eq!(
        config.hadoop_jar_step.jar,
        "s3://eu-west-1.elasticmapreduce/libs/script-runner/script-runner.jar"
    );
    assert_eq!(args(&config), ["s3://b/run.sh", "a"]);
}

#[test]
fn custom_jar_with_main_class_and_properties() {
    let config = compile(json!({
        "Name": "j", "Type": "CustomJar", "Jar": "s3://b/app.jar", "MainClass": "com.x.Main",
        "Args": ["1"], "Properties": {"b": "2", "a": "1"}
    }));
    assert_eq!(config.hadoop_jar_step.jar, "s3://b/app.jar");
    assert_eq!(
        config.hadoop_jar_step.main_class.as_deref(),
        Some("com.x.Main")
    );
    assert_eq!(args(&config), ["1"]);
    assert_eq!(
        config.hadoop_jar_step.properties,
        [KeyValue::new("a", "1"), KeyValue::new("b", "2")]
    );
}

#[test]
fn s3_dist_cp_with_every_option() {
    let config = compile(json!({
        "Name": "cp", "Type": "S3DistCp", "Src": "s3://a/", "Dest": "hdfs:///b/", "SrcPattern": ".*\\.gz",
        "OutputCodec": "gzip", "TargetSize": 1024, "Args": ["--deleteOnSuccess"]
    }));
    assert_eq!(
        args(&config),
        [
            "s3-dist-cp",
            "--src=s3://a/",
            "--dest=hdfs:///b/",
            "--srcPattern=.*\\.gz",
            "--outputCodec=gzip",
            "--targetSize=1024",
            "--deleteOnSuccess"
        ]
    );
}

#[test]
fn streaming_with_files_and_two_inputs() {
    let config = compile(json!({
        "Name": "st", "Type": "Streaming", "Input": ["s3://i/1", "s3://i/2"], "Output": "s3://o/",
        "Mapper": "m.py", "Reducer": "r.py", "Files": ["s3://b/m.py", "s3://b/r.py"], "Args": ["-numReduceTasks", "2"]
    }));
    assert_eq!(
        args(&config),
        [
            "hadoop-streaming",
            "-files",
            "s3://b/m.py,s3://b/r.py",
            "-mapper",
            "m.py",
            "-reducer",
            "r.py",
            "-input",
            "s3://i/1",
            "-input",
            "s3://i/2",
            "-output",
            "s3://o/",
            "-numReduceTasks",
            "2"
        ]
    );
}

#[test]
fn command_passes_args_through() {
    let config = compile(
        json!({"Name": "c", "Type": "Command", "Args": ["spark-submit", "x.py"], "ActionOnFailure": "CONTINUE"}),
    );
    assert_eq!(config.hadoop_jar_step.jar, "command-runner.jar");
    assert_eq!(args(&config), ["spark-submit", "x.py"]);
    assert_eq!(config.action_on_failure, "CONTINUE");
}

#[test]
fn spec_round_trips_through_json() {
    // GIVEN a spec WHEN serialized and read back (validate-input → ensure-cluster) THEN equal
    let spec = PipelineSpec::from_value(json!({
        "Name": "p", "PollIntervalSeconds": 10,
        "Cluster": {"ReleaseLabel": "emr-7.5.0", "ServiceRole": "s", "JobFlowRole": "j",
            "LogUri": "s3://logs-bucket/emr/",
            "InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]},
        "Steps": [{"Name": "a", "Type": "Hive", "Script": "s3://jobs-bucket/q.hql", "Description": "d"}]
    }))
    .unwrap();
    let text = serde_json::to_string(&spec).unwrap();
    assert_eq!(PipelineSpec::from_json_str(&text).unwrap(), spec);
    assert_eq!(spec.poll_interval_seconds(), 10);
}

#[test]
fn load_reports_a_missing_file_as_invalid_input() {
    // GIVEN a path that does not exist WHEN loaded THEN InvalidInput naming the path
    let error = PipelineSpec::load("/nonexistent/pipeline.json").unwrap_err();
    assert_eq!(error.name(), emrflow_core::ErrorName::InvalidInput);
    assert!(error.to_string().contains("/nonexistent/pipeline.json"));
}

#[test]
fn the_pipelines_folder_and_the_example_input_are_valid() {
    // GIVEN the repository's pipelines folder and the example execution input
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let pipelines =
        emrflow_core::deployment::load_pipeline_folder(&repo.join("pipelines")).unwrap();
    assert!(pipelines.contains_key("daily-etl") && pipelines.contains_key("data-lake"));
    let deployment = emrflow_core::Deployment::new("us-east-1").with_pipelines(pipelines.clone());
    let input: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("examples/input.json")).unwrap())
            .unwrap();
    for name in pipelines.keys() {
        // WHEN the input, naming each pipeline in turn, is normalized against the folder
        let mut input = input.clone();
        input["PipelineName"] = Value::from(name.as_str());
        let normalized = emrflow_core::ExecutionInput::from_value(input)
            .unwrap()
            .normalize("example-run", chrono::Utc::now(), &deployment)
            .unwrap();
        // THEN that pipeline runs, every step compiles within EMR's limits, no placeholder is left
        assert_eq!(&normalized.pipeline.name, name);
        assert!(!serde_json::to_string(&normalized.pipeline)
            .unwrap()
            .contains("{{"));
        for step in &normalized.pipeline.steps {
            let compiled = step.compile("example-run", "us-east-1");
            assert!(compiled.hadoop_jar_step.total_chars() <= 10_240);
        }
    }
}
