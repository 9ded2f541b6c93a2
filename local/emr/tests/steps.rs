//! Steps really run: scripts, spark-submit, custom JARs, s3-dist-cp, hadoop-streaming,
//! and the refusal of Hive/Pig; logs and FailureDetails land where EMR puts them.

mod common;

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use aws_sdk_emr::types::{
    ActionOnFailure, Configuration, HadoopJarStepConfig, KeyValue, StepConfig, StepState,
};
use common::{failure_details, step, Harness, MINUTE, WAIT};
use emrflow_vocabulary::logs::{read_log, LogStream};

const SCRIPT_RUNNER: &str = "s3://us-east-1.elasticmapreduce/libs/script-runner/script-runner.jar";

#[tokio::test]
async fn given_a_failing_script_step_when_it_runs_then_failure_details_and_logs_are_in_place() {
    let harness = Harness::start().await;
    // GIVEN a script in the mapped bucket that reads an s3:// argument, then fails
    harness.put("s3://data/in.txt", "payload\n");
    harness.put(
        "s3://code/run.sh",
        "echo \"read: $(cat \"$1\")\"\necho \"s3 root: $EMRFLOW_LOCAL_S3_ROOT\"\necho first problem >&2\necho final problem >&2\nexit 2\n",
    );
    let cluster_id = harness.run_cluster("script", vec![]).await;
    // WHEN it runs through script-runner.jar
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![step(
                "run",
                ActionOnFailure::Continue,
                SCRIPT_RUNNER,
                &["s3://code/run.sh", "s3://data/in.txt"],
            )],
        )
        .await;
    let done = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    // THEN it FAILED with EMR-style FailureDetails
    let details = failure_details(&done);
    assert_eq!(
        details.reason.as_deref(),
        Some("Step failed with exit code 2")
    );
    assert_eq!(
        details.message.as_deref(),
        Some("first problem\nfinal problem")
    );
    let expected_log = format!(
        "s3://logs-bucket/emr/{cluster_id}/steps/{}/stderr.gz",
        ids[0]
    );
    assert_eq!(details.log_file.as_deref(), Some(expected_log.as_str()));
    // AND stdout, stderr and controller are gzipped under the mapped LogUri, as EMR lays them
    let logs = harness.log_dir(&cluster_id, &ids[0]);
    for stream in LogStream::ALL {
        assert!(logs.join(stream.file_name()).is_file(), "{stream:?}");
        assert!(!logs.join(stream.name()).exists(), "plain {stream:?} left");
    }
    let stdout = harness.step_log(&cluster_id, &ids[0], LogStream::Stdout);
    assert!(stdout.contains("read: payload"), "{stdout}");
    assert!(
        stdout.contains(&format!("s3 root: {}", harness.emr().s3_root().display())),
        "{stdout}"
    );
    let stderr = std::fs::read(harness.emr().local_path(&expected_log)).expect("stderr.gz");
    assert!(read_log(&stderr).contains("final problem"));
    let controller = harness.step_log(&cluster_id, &ids[0], LogStream::Controller);
    assert!(
        controller.contains(&ids[0]) && controller.contains("The process exited with code 2"),
        "{controller}"
    );
}

#[tokio::test]
async fn given_no_log_uri_when_a_step_runs_then_logs_go_under_root_logs() {
    let harness = Harness::start().await;
    let cluster_id = harness
        .run_cluster_with("nolog", vec![], |r| r.set_log_uri(None))
        .await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![step(
                "echo",
                ActionOnFailure::Continue,
                "command-runner.jar",
                &["echo", "hi"],
            )],
        )
        .await;
    let done = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    assert_eq!(
        done.status.and_then(|s| s.state),
        Some(StepState::Completed)
    );
    let stdout = harness
        .emr()
        .root()
        .join("logs")
        .join(&cluster_id)
        .join("steps")
        .join(&ids[0])
        .join("stdout");
    assert_eq!(std::fs::read_to_string(stdout).expect("stdout"), "hi\n");
}

/// Runs `config` on the cluster, expects it COMPLETED, and returns its id and the arguments
/// the [`recording_spark_submit`] was called with.
async fn recorded_args_of(
    harness: &Harness,
    cluster_id: &str,
    config: StepConfig,
) -> (String, Vec<String>) {
    let ids = harness.add_steps(cluster_id, vec![config]).await;
    let done = harness.wait_step_done(cluster_id, &ids[0], WAIT).await;
    assert_eq!(
        done.status.and_then(|s| s.state),
        Some(StepState::Completed)
    );
    let recorded = harness.emr().s3_root().join("recorded-args");
    let args = std::fs::read_to_string(recorded)
        .expect("args")
        .lines()
        .map(str::to_string)
        .collect();
    (ids[0].clone(), args)
}

/// A local EMR whose spark-submit records its arguments (kept in the returned folder).
async fn with_recording_spark_submit() -> (tempfile::TempDir, Harness) {
    let tools = tempfile::tempdir().expect("tools");
    let fake = recording_spark_submit(tools.path());
    let harness = Harness::start_with(|mut config| {
        config.spark_submit = Some(fake);
        config
    })
    .await;
    (tools, harness)
}

/// A stand-in spark-submit that records its arguments, for the rewriting tests.
fn recording_spark_submit(dir: &Path) -> PathBuf {
    let path = dir.join("fake-spark-submit");
    std::fs::write(
        &path,
        "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > \"$EMRFLOW_LOCAL_S3_ROOT/recorded-args\"\n",
    )
    .expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[tokio::test]
async fn given_yarn_cluster_options_when_spark_steps_run_then_spark_gets_local_client_and_local_paths(
) {
    let (_tools, harness) = with_recording_spark_submit().await;
    harness.put("s3://code/job.py", "print('job')\n");
    let cluster_id = harness.run_cluster("spark-args", vec![]).await;
    let s3 = harness.emr().s3_root().display().to_string();
    // WHEN a command-runner spark-submit step runs with EMR's options
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![step(
                "spark",
                ActionOnFailure::Continue,
                "command-runner.jar",
                &[
                    "spark-submit",
                    "--deploy-mode",
                    "cluster",
                    "--master",
                    "yarn",
                    "--conf",
                    "spark.x=1",
                    "s3://code/job.py",
                    "s3://input/",
                ],
            )],
        )
        .await;
    harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    // THEN spark-submit got client mode, local master and mapped paths
    let recorded = std::fs::read_to_string(format!("{s3}/recorded-args")).expect("args");
    assert_eq!(
        recorded.lines().collect::<Vec<_>>(),
        [
            "--deploy-mode",
            "client",
            "--master",
            "local[2]",
            "--conf",
            "spark.x=1",
            &format!("{s3}/code/job.py"),
            &format!("{s3}/input/")
        ]
    );
    // WHEN a script calls spark-submit itself (the seed's bash-script style)
    harness.put(
        "s3://code/submit.sh",
        "spark-submit --master yarn --deploy-mode cluster s3://code/job.py --out s3://out/x\n",
    );
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![step(
                "script",
                ActionOnFailure::Continue,
                SCRIPT_RUNNER,
                &["s3://code/submit.sh"],
            )],
        )
        .await;
    let done = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    assert_eq!(
        done.status.and_then(|s| s.state),
        Some(StepState::Completed)
    );
    // THEN the shim rewrote it the same way
    let recorded = std::fs::read_to_string(format!("{s3}/recorded-args")).expect("args");
    assert_eq!(
        recorded.lines().collect::<Vec<_>>(),
        [
            "--master",
            "local[2]",
            "--deploy-mode",
            "client",
            &format!("{s3}/code/job.py"),
            "--out",
            &format!("{s3}/out/x")
        ]
    );
}

#[tokio::test]
async fn given_cluster_configurations_when_spark_steps_run_then_spark_defaults_come_first_and_the_rest_is_noted(
) {
    let (_tools, harness) = with_recording_spark_submit().await;
    // GIVEN a cluster with spark-defaults, spark's maximizeResourceAllocation and yarn-site
    let cluster_id = harness
        .run_cluster_with("configured", vec![], |request| {
            request
                .configurations(
                    Configuration::builder()
                        .classification("spark-defaults")
                        .properties("spark.executor.memory", "2g")
                        .build(),
                )
                .configurations(
                    Configuration::builder()
                        .classification("spark")
                        .properties("maximizeResourceAllocation", "true")
                        .build(),
                )
                .configurations(
                    Configuration::builder()
                        .classification("yarn-site")
                        .properties("yarn.nodemanager.vmem-check-enabled", "false")
                        .build(),
                )
        })
        .await;
    harness.put(
        "s3://code/submit.sh",
        "spark-submit --conf spark.executor.memory=1g job.py\n",
    );
    // WHEN a spark-submit step and a script calling spark-submit run
    let runs = [
        step(
            "direct",
            ActionOnFailure::Continue,
            "command-runner.jar",
            &[
                "spark-submit",
                "--conf",
                "spark.executor.memory=1g",
                "job.py",
            ],
        ),
        step(
            "script",
            ActionOnFailure::Continue,
            SCRIPT_RUNNER,
            &["s3://code/submit.sh"],
        ),
    ];
    for run in runs {
        // THEN spark-submit got the cluster's default before the step's own setting (which wins)
        let (step_id, args) = recorded_args_of(&harness, &cluster_id, run).await;
        assert_eq!(
            args,
            [
                "--master",
                "local[2]",
                "--conf",
                "spark.executor.memory=2g",
                "--conf",
                "spark.executor.memory=1g",
                "job.py"
            ]
        );
        // AND the controller log lists what is not applied locally, once each
        let controller = harness.step_log(&cluster_id, &step_id, LogStream::Controller);
        for note in [
            "Configuration spark: maximizeResourceAllocation=true is ignored locally",
            "Configuration classification yarn-site is not applied locally",
        ] {
            assert_eq!(controller.matches(note).count(), 1, "{controller}");
        }
    }
}

#[tokio::test]
async fn given_local_spark_when_a_spark_step_converts_csv_then_parquet_is_written() {
    // GIVEN a spark-submit found as the local EMR finds it; skip only without one
    let Some(spark_submit) = emrflow_local_emr::locate_spark_submit(None) else {
        println!("SKIPPED: no spark-submit (make spark-env installs the project's PySpark)");
        return;
    };
    println!("using spark-submit {}", spark_submit.display());
    let harness = Harness::start().await;
    harness.put(
        "s3://raw/sales/2024-01-01.csv",
        "id,amount\n1,10.5\n2,20.0\n3,7.25\n",
    );
    harness.put(
        "s3://code/csv_to_parquet.py",
        "import sys\nfrom pyspark.sql import SparkSession\nspark = SparkSession.builder.appName('csv2parquet').getOrCreate()\n\
         df = spark.read.option('header', True).option('inferSchema', True).csv(sys.argv[1])\n\
         df.write.mode('overwrite').parquet(sys.argv[2])\nprint('rows', df.count())\n\
         print('marker', spark.conf.get('spark.emrflow.marker'))\n\
         print('shuffle', spark.conf.get('spark.sql.shuffle.partitions'))\nspark.stop()\n",
    );
    // AND a cluster whose spark-defaults set a marker and a shuffle the step overrides
    let cluster_id = harness
        .run_cluster_with("spark", vec![], |request| {
            request.configurations(
                Configuration::builder()
                    .classification("spark-defaults")
                    .properties("spark.emrflow.marker", "from-spark-defaults")
                    .properties("spark.sql.shuffle.partitions", "7")
                    .build(),
            )
        })
        .await;
    // WHEN the compiled Spark step shape runs (deploy-mode cluster, no master)
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![step(
                "csv to parquet",
                ActionOnFailure::Continue,
                "command-runner.jar",
                &[
                    "spark-submit",
                    "--deploy-mode",
                    "cluster",
                    "--driver-memory",
                    "512m",
                    "--conf",
                    "spark.sql.shuffle.partitions=1",
                    "s3://code/csv_to_parquet.py",
                    "s3://raw/sales/",
                    "s3://curated/sales/",
                ],
            )],
        )
        .await;
    let done = harness
        .wait_step_done(&cluster_id, &ids[0], Duration::from_secs(300))
        .await;
    // THEN it COMPLETED and Parquet files are in the mapped bucket
    let stderr = harness.step_log(&cluster_id, &ids[0], LogStream::Stderr);
    assert_eq!(
        done.status.and_then(|s| s.state),
        Some(StepState::Completed),
        "stderr:\n{stderr}"
    );
    let output = harness.emr().local_path("s3://curated/sales");
    assert!(output.join("_SUCCESS").exists());
    let parquet_files = std::fs::read_dir(&output)
        .expect("output dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".parquet"))
        .count();
    assert!(parquet_files >= 1);
    let stdout = harness.step_log(&cluster_id, &ids[0], LogStream::Stdout);
    assert!(stdout.contains("rows 3"), "{stdout}");
    // AND the job saw the cluster's spark-defaults, with the step's own --conf winning
    assert!(stdout.contains("marker from-spark-defaults"), "{stdout}");
    assert!(stdout.contains("shuffle 1"), "{stdout}");
}

/// Compiles a tiny Java main into `app.jar` (with a manifest Main-Class).
fn build_jar(dir: &Path) -> PathBuf {
    let source = dir.join("Hello.java");
    std::fs::write(
        &source,
        "import java.nio.file.*;\npublic class Hello {\n  public static void main(String[] args) throws Exception {\n\
         String text = System.getProperty(\"greeting\", \"none\") + \" \" + String.join(\",\", args);\n\
         Files.writeString(Path.of(args[0]), text);\n\
         if (args.length > 1 && args[1].equals(\"fail\")) { System.err.println(\"java says no\"); System.exit(4); }\n  }\n}\n",
    )
    .expect("source");
    let status = Command::new("javac")
        .arg("-d")
        .arg(dir)
        .arg(&source)
        .status()
        .expect("javac");
    assert!(status.success());
    let jar = dir.join("app.jar");
    let status = Command::new("jar")
        .current_dir(dir)
        .args(["cfe", "app.jar", "Hello", "Hello.class"])
        .status()
        .expect("jar");
    assert!(status.success());
    jar
}

fn jar_step(
    name: &str,
    jar: &str,
    main_class: Option<&str>,
    args: &[&str],
    properties: &[(&str, &str)],
) -> StepConfig {
    let mut config = HadoopJarStepConfig::builder()
        .jar(jar)
        .set_main_class(main_class.map(str::to_string))
        .set_args(Some(args.iter().map(|a| a.to_string()).collect()));
    for (key, value) in properties {
        config = config.properties(KeyValue::builder().key(*key).value(*value).build());
    }
    StepConfig::builder()
        .name(name)
        .action_on_failure(ActionOnFailure::Continue)
        .hadoop_jar_step(config.build())
        .build()
}

#[tokio::test]
async fn given_a_custom_jar_when_its_steps_run_then_java_gets_main_class_properties_and_mapped_args(
) {
    let harness = Harness::start().await;
    let build = tempfile::tempdir().expect("build dir");
    let jar = build_jar(build.path());
    let jar_uri = "s3://code/app.jar";
    std::fs::create_dir_all(harness.emr().local_path("s3://code")).expect("mkdir");
    std::fs::copy(&jar, harness.emr().local_path(jar_uri)).expect("copy jar");
    std::fs::create_dir_all(harness.emr().local_path("s3://out")).expect("mkdir");
    let cluster_id = harness.run_cluster("jar", vec![]).await;
    // WHEN a step with MainClass + Properties, one without MainClass, and a failing one run
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![
                jar_step(
                    "main class",
                    jar_uri,
                    Some("Hello"),
                    &["s3://out/a.txt"],
                    &[("greeting", "hi")],
                ),
                jar_step("manifest", jar_uri, None, &["s3://out/b.txt"], &[]),
                jar_step(
                    "failing",
                    jar_uri,
                    Some("Hello"),
                    &["s3://out/c.txt", "fail"],
                    &[],
                ),
            ],
        )
        .await;
    let states = [
        harness.wait_step_done(&cluster_id, &ids[0], MINUTE).await,
        harness.wait_step_done(&cluster_id, &ids[1], MINUTE).await,
        harness.wait_step_done(&cluster_id, &ids[2], MINUTE).await,
    ];
    // THEN the outputs prove -D, the main class, the manifest and the s3 mapping
    let a_path = harness
        .emr()
        .local_path("s3://out/a.txt")
        .display()
        .to_string();
    assert_eq!(harness.read("s3://out/a.txt"), format!("hi {a_path}"));
    assert!(harness.read("s3://out/b.txt").starts_with("none "));
    assert_eq!(
        states[0].status.as_ref().and_then(|s| s.state.clone()),
        Some(StepState::Completed)
    );
    assert_eq!(
        states[1].status.as_ref().and_then(|s| s.state.clone()),
        Some(StepState::Completed)
    );
    let details = failure_details(&states[2]);
    assert_eq!(
        details.reason.as_deref(),
        Some("Step failed with exit code 4")
    );
    assert_eq!(details.message.as_deref(), Some("java says no"));
}

#[tokio::test]
async fn given_s3_dist_cp_with_src_pattern_and_gzip_when_it_runs_then_matching_files_are_gzipped() {
    let harness = Harness::start().await;
    harness.put("s3://raw/logs/2024/a.log", "line a\n");
    harness.put("s3://raw/logs/2024/deep/c.log", "line c\n");
    harness.put("s3://raw/logs/2024/b.csv", "not a log\n");
    let cluster_id = harness.run_cluster("distcp", vec![]).await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![step(
                "copy",
                ActionOnFailure::Continue,
                "command-runner.jar",
                &[
                    "s3-dist-cp",
                    "--src=s3://raw/logs/",
                    "--dest=s3://curated/logs/",
                    "--srcPattern=.*\\.log",
                    "--outputCodec=gzip",
                ],
            )],
        )
        .await;
    let done = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    assert_eq!(
        done.status.and_then(|s| s.state),
        Some(StepState::Completed)
    );
    // THEN the .log files are copied gzipped, keeping their relative paths; the csv is not
    let gunzip = |uri: &str| {
        let file = std::fs::File::open(harness.emr().local_path(uri)).expect("gz file");
        let mut text = String::new();
        flate2::read::GzDecoder::new(file)
            .read_to_string(&mut text)
            .expect("gunzip");
        text
    };
    assert_eq!(gunzip("s3://curated/logs/2024/a.log.gz"), "line a\n");
    assert_eq!(gunzip("s3://curated/logs/2024/deep/c.log.gz"), "line c\n");
    assert!(!harness
        .emr()
        .local_path("s3://curated/logs/2024/b.csv")
        .exists());
    assert!(!harness
        .emr()
        .local_path("s3://curated/logs/2024/b.csv.gz")
        .exists());
}

#[tokio::test]
async fn given_hadoop_streaming_with_mapper_and_reducer_when_it_runs_then_part_file_and_success() {
    let harness = Harness::start().await;
    harness.put("s3://input/words/one.txt", "b a\nc a\n");
    harness.put("s3://input/words/two.txt", "a b\n");
    harness.put("s3://code/mapper.py", "#!/usr/bin/env python3\nimport sys\nfor line in sys.stdin:\n    for word in line.split():\n        print(f'{word}\\t1')\n");
    harness.put("s3://code/reducer.sh", "#!/usr/bin/env bash\nawk -F'\\t' '{c[$1]+=$2} END {for (w in c) print w\"\\t\"c[w]}' | sort\n");
    let cluster_id = harness.run_cluster("streaming", vec![]).await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![step(
                "wordcount",
                ActionOnFailure::Continue,
                "command-runner.jar",
                &[
                    "hadoop-streaming",
                    "-files",
                    "s3://code/mapper.py,s3://code/reducer.sh",
                    "-mapper",
                    "mapper.py",
                    "-reducer",
                    "reducer.sh",
                    "-input",
                    "s3://input/words/",
                    "-output",
                    "s3://out/wordcount",
                ],
            )],
        )
        .await;
    let done = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    let stderr = harness.step_log(&cluster_id, &ids[0], LogStream::Stderr);
    assert_eq!(
        done.status.and_then(|s| s.state),
        Some(StepState::Completed),
        "{stderr}"
    );
    // THEN the word counts are in part-00000, with _SUCCESS
    assert_eq!(
        harness.read("s3://out/wordcount/part-00000"),
        "a\t3\nb\t2\nc\t1\n"
    );
    assert!(harness
        .emr()
        .local_path("s3://out/wordcount/_SUCCESS")
        .exists());
    // AND running it again fails because the output exists, as Hadoop does
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![step(
                "again",
                ActionOnFailure::Continue,
                "command-runner.jar",
                &[
                    "hadoop-streaming",
                    "-mapper",
                    "cat",
                    "-input",
                    "s3://input/words/",
                    "-output",
                    "s3://out/wordcount",
                ],
            )],
        )
        .await;
    let again = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    let details = again
        .status
        .and_then(|s| s.failure_details)
        .expect("details");
    assert!(details
        .message
        .unwrap_or_default()
        .contains("already exists"));
}

#[tokio::test]
async fn given_a_pig_step_when_it_runs_then_it_fails_saying_no_local_engine() {
    let harness = Harness::start().await;
    let cluster_id = harness.run_cluster("pig", vec![]).await;
    let ids = harness
        .add_steps(
            &cluster_id,
            vec![step(
                "pig",
                ActionOnFailure::Continue,
                "command-runner.jar",
                &[
                    "pig-script",
                    "--run-pig-script",
                    "--args",
                    "-f",
                    "s3://code/p.pig",
                ],
            )],
        )
        .await;
    let done = harness.wait_step_done(&cluster_id, &ids[0], WAIT).await;
    let status = done.status.expect("status");
    assert_eq!(status.state, Some(StepState::Failed));
    let reason = status
        .failure_details
        .and_then(|d| d.reason)
        .expect("reason");
    assert_eq!(reason, "no local engine for Pig");
}
