//! How a step runs locally: the s3 mapping, the command-runner.jar commands
//! (spark-submit, hadoop-streaming, s3-dist-cp, hive-script/pig-script, any command),
//! script-runner.jar, custom JARs via `java`, and the spark-submit shim.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use flate2::write::GzEncoder;
use flate2::Compression;
use regex::Regex;
use tokio::process::Command;
use tokio::sync::Notify;

/// Where a local EMR keeps things, derived from its root directory.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub root: PathBuf,
    /// Explicit spark-submit (config), else env EMRFLOW_SPARK_SUBMIT, else PATH.
    pub spark_submit: Option<PathBuf>,
}

impl Layout {
    pub fn s3_root(&self) -> PathBuf {
        self.root.join("s3")
    }

    pub fn shim_dir(&self) -> PathBuf {
        self.root.join(".emrflow").join("bin")
    }

    pub fn work_dir(&self, cluster_id: &str, name: &str) -> PathBuf {
        self.root.join("work").join(cluster_id).join(name)
    }

    /// `s3://bucket/key` (also s3a://, s3n://) → `<root>/s3/bucket/key`, anywhere inside
    /// `text` (so `--src=s3://…` and comma lists are mapped too).
    pub fn map_s3(&self, text: &str) -> String {
        let prefix = format!("{}/", self.s3_root().display());
        text.replace("s3://", &prefix)
            .replace("s3a://", &prefix)
            .replace("s3n://", &prefix)
    }

    /// A URI (s3://, file:// or a plain path) as a local path.
    pub fn uri_to_path(&self, uri: &str) -> PathBuf {
        match uri.strip_prefix("file://") {
            Some(path) => PathBuf::from(path),
            None => PathBuf::from(self.map_s3(uri)),
        }
    }

    /// The spark-submit that steps and the shim delegate to.
    pub fn real_spark_submit(&self) -> Option<PathBuf> {
        if let Some(path) = &self.spark_submit {
            return Some(path.clone());
        }
        if let Some(path) = std::env::var_os("EMRFLOW_SPARK_SUBMIT").filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(path));
        }
        find_on_path("spark-submit", std::env::var_os("PATH").as_deref())
    }

    /// PATH, EMRFLOW_LOCAL_S3_ROOT and the spark-submit settings every step process gets.
    pub fn step_env(&self, extra_path: Option<&Path>) -> Vec<(String, String)> {
        let mut path_entries: Vec<PathBuf> = vec![self.shim_dir()];
        path_entries.extend(extra_path.map(Path::to_path_buf));
        if let Some(path) = std::env::var_os("PATH") {
            path_entries.extend(std::env::split_paths(&path));
        }
        let joined = std::env::join_paths(path_entries)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut env = vec![
            ("PATH".to_string(), joined),
            (
                "EMRFLOW_LOCAL_S3_ROOT".to_string(),
                self.s3_root().display().to_string(),
            ),
        ];
        if let Some(spark) = self.real_spark_submit() {
            // pip's pyspark runs the driver with `python3` from PATH, which may lack
            // pyspark: prefer the python installed next to spark-submit (a venv).
            let sibling_python = spark.with_file_name("python3");
            if std::env::var_os("PYSPARK_PYTHON").is_none() && sibling_python.exists() {
                env.push((
                    "PYSPARK_PYTHON".into(),
                    sibling_python.display().to_string(),
                ));
            }
            env.push((
                "EMRFLOW_REAL_SPARK_SUBMIT".into(),
                spark.display().to_string(),
            ));
        }
        env
    }

    /// Writes the spark-submit shim (atomically: running steps may be executing it).
    pub fn install_shim(&self) -> std::io::Result<()> {
        let dir = self.shim_dir();
        fs::create_dir_all(&dir)?;
        let temporary = dir.join(format!(".spark-submit.{}", std::process::id()));
        fs::write(&temporary, SPARK_SUBMIT_SHIM)?;
        fs::set_permissions(&temporary, fs::Permissions::from_mode(0o755))?;
        fs::rename(&temporary, dir.join("spark-submit"))
    }
}

/// Put first on every step's PATH so scripts calling `spark-submit --master yarn
/// --deploy-mode cluster s3://…` run on local Spark; same rewriting as [`rewrite_spark_submit_args`].
const SPARK_SUBMIT_SHIM: &str = r#"#!/usr/bin/env bash
# emrflow local EMR: spark-submit shim. Rewrites --master yarn -> local[2],
# --deploy-mode cluster -> client, s3:// paths -> $EMRFLOW_LOCAL_S3_ROOT, then runs the
# real spark-submit ($EMRFLOW_REAL_SPARK_SUBMIT).
set -euo pipefail
if [ -z "${EMRFLOW_REAL_SPARK_SUBMIT:-}" ]; then
  echo "emrflow local EMR: no spark-submit found (set EMRFLOW_SPARK_SUBMIT or put spark-submit on PATH, e.g. pip install pyspark)" >&2
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

fn local_master(master: &str) -> String {
    if master.starts_with("yarn") {
        "local[2]".to_string()
    } else {
        master.to_string()
    }
}

/// spark-submit options for local Spark: `--master yarn` (or none) → `--master local[2]`,
/// `--deploy-mode cluster` → `client`. Only options before the application are touched.
pub(crate) fn rewrite_spark_submit_args(args: &[String]) -> Vec<String> {
    let mut rewritten = Vec::with_capacity(args.len() + 2);
    let mut saw_master = false;
    let mut index = 0;
    while index < args.len() {
        let arg = &args[index];
        if !arg.starts_with('-') {
            break;
        }
        if let Some(master) = arg.strip_prefix("--master=") {
            saw_master = true;
            rewritten.push(format!("--master={}", local_master(master)));
        } else if arg == "--master" {
            saw_master = true;
            rewritten.push(arg.clone());
            if let Some(master) = args.get(index + 1) {
                rewritten.push(local_master(master));
                index += 1;
            }
        } else if arg.starts_with("--deploy-mode=") {
            rewritten.push("--deploy-mode=client".to_string());
        } else if arg == "--deploy-mode" {
            rewritten.push(arg.clone());
            if index + 1 < args.len() {
                rewritten.push("client".to_string());
                index += 1;
            }
        } else if SPARK_FLAGS_WITHOUT_VALUE.contains(&arg.as_str()) || arg.contains('=') {
            rewritten.push(arg.clone());
        } else {
            rewritten.push(arg.clone());
            if let Some(value) = args.get(index + 1) {
                rewritten.push(value.clone());
                index += 1;
            }
        }
        index += 1;
    }
    rewritten.extend(args[index.min(args.len())..].iter().cloned());
    if !saw_master {
        rewritten.splice(0..0, ["--master".to_string(), "local[2]".to_string()]);
    }
    rewritten
}

pub(crate) fn find_on_path(name: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// What a step's HadoopJarStep config says to run.
#[derive(Debug, Clone)]
pub(crate) struct StepCommand {
    pub jar: String,
    pub main_class: Option<String>,
    pub args: Vec<String>,
    pub properties: Vec<(String, String)>,
}

/// A step the local EMR refuses to run, with EMR-style FailureDetails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub reason: String,
    pub message: String,
}

impl Refusal {
    fn new(reason: impl Into<String>, message: impl Into<String>) -> Self {
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

#[derive(Debug)]
pub(crate) enum Plan {
    Process(ProcessSpec),
    DistCp(DistCp),
}

/// Turns a step's config into what to run locally; prepares the work dir.
pub(crate) fn plan_step(
    layout: &Layout,
    command: &StepCommand,
    work_dir: &Path,
) -> Result<Plan, Refusal> {
    let jar = command.jar.as_str();
    if jar == "command-runner.jar" || jar.ends_with("/command-runner.jar") {
        return plan_command_runner(layout, &command.args, work_dir);
    }
    let mapped_args: Vec<String> = command.args.iter().map(|a| layout.map_s3(a)).collect();
    if jar.ends_with("script-runner.jar") {
        let Some((script, script_args)) = mapped_args.split_first() else {
            return Err(Refusal::new(
                "Step failed: script-runner.jar needs the script as its first argument",
                "script-runner.jar was given no arguments",
            ));
        };
        if !Path::new(script).exists() {
            let original = command.args.first().cloned().unwrap_or_default();
            return Err(Refusal::new(
                "Step failed: script not found",
                format!("script-runner.jar: {original} does not exist (looked at {script})"),
            ));
        }
        let (program, args) = if is_executable(Path::new(script)) {
            (script.clone(), script_args.to_vec())
        } else {
            let mut args = vec![script.clone()];
            args.extend_from_slice(script_args);
            ("bash".to_string(), args)
        };
        return Ok(Plan::Process(ProcessSpec {
            program,
            args,
            env: layout.step_env(None),
            on_success_touch: vec![],
        }));
    }
    // A custom JAR: EMR runs it with `hadoop jar`; locally plain java does.
    let local_jar = layout.uri_to_path(jar);
    if !local_jar.exists() {
        return Err(Refusal::new(
            "Step failed: JAR not found",
            format!("{jar} does not exist (looked at {})", local_jar.display()),
        ));
    }
    let mut args: Vec<String> = command
        .properties
        .iter()
        .map(|(key, value)| format!("-D{key}={}", layout.map_s3(value)))
        .collect();
    match &command.main_class {
        Some(main_class) if !main_class.is_empty() => {
            args.extend(["-cp".to_string(), local_jar.display().to_string()]);
            args.push(main_class.clone());
        }
        _ => args.extend(["-jar".to_string(), local_jar.display().to_string()]),
    }
    args.extend(mapped_args);
    Ok(Plan::Process(ProcessSpec {
        program: "java".to_string(),
        args,
        env: layout.step_env(None),
        on_success_touch: vec![],
    }))
}

fn plan_command_runner(layout: &Layout, args: &[String], work_dir: &Path) -> Result<Plan, Refusal> {
    let Some((command, rest)) = args.split_first() else {
        return Err(Refusal::new(
            "Step failed: command-runner.jar needs a command",
            "command-runner.jar was given no arguments",
        ));
    };
    match command.as_str() {
        "spark-submit" => {
            let Some(spark_submit) = layout.real_spark_submit() else {
                return Err(Refusal::new(
                    "Step failed: no local spark-submit",
                    "spark-submit was not found: set EMRFLOW_SPARK_SUBMIT or put spark-submit on PATH (pip install pyspark)",
                ));
            };
            let mapped: Vec<String> = rest.iter().map(|a| layout.map_s3(a)).collect();
            Ok(Plan::Process(ProcessSpec {
                program: spark_submit.display().to_string(),
                args: rewrite_spark_submit_args(&mapped),
                env: layout.step_env(None),
                on_success_touch: vec![],
            }))
        }
        "hadoop-streaming" => plan_streaming(layout, rest, work_dir).map(Plan::Process),
        "s3-dist-cp" => parse_distcp(layout, rest).map(Plan::DistCp),
        "hive-script" => Err(Refusal::new(
            "no local engine for Hive",
            "The local EMR has no Hive engine: hive-script steps only run on Amazon EMR.",
        )),
        "pig-script" => Err(Refusal::new(
            "no local engine for Pig",
            "The local EMR has no Pig engine: pig-script steps only run on Amazon EMR.",
        )),
        _ => Ok(Plan::Process(ProcessSpec {
            program: layout.map_s3(command),
            args: rest.iter().map(|a| layout.map_s3(a)).collect(),
            env: layout.step_env(None),
            on_success_touch: vec![],
        })),
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn file_name_of(path: &str) -> Option<String> {
    Path::new(path)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
}

/// Copies `source` into the work dir under its own name, executable (Hadoop's `-files`).
fn ship_file(source: &Path, work_dir: &Path) -> Result<String, Refusal> {
    let Some(name) = file_name_of(&source.display().to_string()) else {
        return Err(Refusal::new(
            "Step failed: bad -files entry",
            format!("{} has no file name", source.display()),
        ));
    };
    let target = work_dir.join(&name);
    fs::copy(source, &target)
        .and_then(|_| fs::set_permissions(&target, fs::Permissions::from_mode(0o755)))
        .map_err(|err| {
            Refusal::new(
                "Step failed: could not ship file",
                format!("{}: {err}", source.display()),
            )
        })?;
    Ok(name)
}

/// Hadoop's rule for job input: names starting with `_` or `.` (_SUCCESS, .crc) are not data.
fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .map(|name| name.to_string_lossy().starts_with(['_', '.']))
        .unwrap_or(true)
}

/// hadoop-streaming as `cat inputs | mapper | sort | reducer > output/part-00000`.
fn plan_streaming(
    layout: &Layout,
    args: &[String],
    work_dir: &Path,
) -> Result<ProcessSpec, Refusal> {
    let usage =
        |message: String| Refusal::new("Step failed: bad hadoop-streaming arguments", message);
    let mut mapper = None;
    let mut reducer = None;
    let mut inputs = Vec::new();
    let mut output = None;
    let mut files = Vec::new();
    let mut env = Vec::new();
    let mut map_only = false;
    let mut index = 0;
    while index < args.len() {
        let option = args[index].as_str();
        let value = args.get(index + 1).cloned();
        let takes_value = matches!(
            option,
            "-files"
                | "-mapper"
                | "-reducer"
                | "-input"
                | "-output"
                | "-cmdenv"
                | "-D"
                | "-numReduceTasks"
                | "-combiner"
                | "-inputformat"
                | "-outputformat"
                | "-partitioner"
                | "-archives"
                | "-libjars"
        );
        if !takes_value {
            return Err(usage(format!(
                "unsupported hadoop-streaming option {option}"
            )));
        }
        let Some(value) = value else {
            return Err(usage(format!("{option} needs a value")));
        };
        match option {
            "-files" => files.extend(value.split(',').map(str::to_string)),
            "-mapper" => mapper = Some(value),
            "-reducer" => reducer = Some(value),
            "-input" => inputs.extend(value.split(',').map(str::to_string)),
            "-output" => output = Some(value),
            "-cmdenv" => {
                if let Some((key, val)) = value.split_once('=') {
                    env.push((key.to_string(), layout.map_s3(val)));
                }
            }
            "-numReduceTasks" => map_only = value.trim() == "0",
            // Hadoop tuning (-D, formats, partitioners) has no local meaning.
            _ => {}
        }
        index += 2;
    }
    let mapper = mapper.ok_or_else(|| usage("-mapper is required".into()))?;
    let output = output.ok_or_else(|| usage("-output is required".into()))?;
    if inputs.is_empty() {
        return Err(usage("-input is required".into()));
    }
    for file in &files {
        ship_file(&layout.uri_to_path(file), work_dir)?;
    }
    // A mapper/reducer given as a path (s3:// or local) is shipped like -files too.
    let resolve_command = |command: &str| -> Result<String, Refusal> {
        let mapped = layout.map_s3(command);
        let mut words = mapped.splitn(2, ' ');
        let program = words.next().unwrap_or_default();
        let rest = words.next();
        if program.contains('/') && Path::new(program).is_file() {
            let name = ship_file(Path::new(program), work_dir)?;
            return Ok(match rest {
                Some(rest) => format!("./{name} {rest}"),
                None => format!("./{name}"),
            });
        }
        Ok(mapped)
    };
    let mapper = resolve_command(&mapper)?;
    let reducer = match reducer {
        Some(reducer) if !map_only && reducer != "NONE" => Some(resolve_command(&reducer)?),
        _ => None,
    };
    let mut input_files = Vec::new();
    for input in &inputs {
        let path = layout.uri_to_path(input);
        if !path.exists() {
            return Err(Refusal::new(
                "Step failed with exit code 1",
                format!("Input path does not exist: {input}"),
            ));
        }
        walk_files(&path, &mut input_files, &|entry| !is_hidden(entry)).map_err(|err| {
            Refusal::new("Step failed with exit code 1", format!("{input}: {err}"))
        })?;
    }
    let output_dir = layout.uri_to_path(&output);
    if output_dir.exists() {
        return Err(Refusal::new(
            "Step failed with exit code 1",
            format!("Output directory {output} already exists"),
        ));
    }
    fs::create_dir_all(&output_dir)
        .map_err(|err| Refusal::new("Step failed with exit code 1", format!("{output}: {err}")))?;
    let part = shell_quote(&output_dir.join("part-00000").display().to_string());
    let inputs_quoted: Vec<String> = input_files
        .iter()
        .map(|file| shell_quote(&file.display().to_string()))
        .collect();
    let cat = format!("cat -- {}", inputs_quoted.join(" "));
    let pipeline = match reducer {
        Some(reducer) => format!("{cat} | ( {mapper} ) | LC_ALL=C sort | ( {reducer} ) > {part}"),
        None => format!("{cat} | ( {mapper} ) > {part}"),
    };
    let mut step_env = layout.step_env(Some(work_dir));
    step_env.extend(env);
    Ok(ProcessSpec {
        program: "bash".to_string(),
        args: vec!["-c".into(), format!("set -o pipefail\n{pipeline}")],
        env: step_env,
        on_success_touch: vec![output_dir.join("_SUCCESS")],
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputCodec {
    Keep,
    Gzip,
}

/// A local `s3-dist-cp`: copies `--src` to `--dest`, filtered by `--srcPattern`.
#[derive(Debug)]
pub(crate) struct DistCp {
    src_uri: String,
    src: PathBuf,
    dest: PathBuf,
    pattern: Option<Regex>,
    codec: OutputCodec,
    ignored: Vec<String>,
}

fn parse_distcp(layout: &Layout, args: &[String]) -> Result<DistCp, Refusal> {
    let usage = |message: String| Refusal::new("Step failed: bad s3-dist-cp arguments", message);
    let mut options: Vec<(String, String)> = Vec::new();
    let mut ignored = Vec::new();
    let mut index = 0;
    while index < args.len() {
        let arg = &args[index];
        if let Some((key, value)) = arg.split_once('=').filter(|_| arg.starts_with("--")) {
            options.push((key.to_string(), value.to_string()));
        } else if arg.starts_with("--") {
            match args.get(index + 1).filter(|next| !next.starts_with("--")) {
                Some(value) => {
                    options.push((arg.clone(), value.clone()));
                    index += 1;
                }
                None => options.push((arg.clone(), String::new())),
            }
        } else {
            return Err(usage(format!("unexpected argument {arg}")));
        }
        index += 1;
    }
    let mut src_uri = None;
    let mut dest_uri = None;
    let mut pattern = None;
    let mut codec = OutputCodec::Keep;
    for (key, value) in options {
        match key.as_str() {
            "--src" => src_uri = Some(value),
            "--dest" => dest_uri = Some(value),
            "--srcPattern" => {
                let regex = Regex::new(&format!("^(?:{value})$")).map_err(|err| {
                    usage(format!("--srcPattern {value} is not a valid regex: {err}"))
                })?;
                pattern = Some(regex);
            }
            "--outputCodec" => {
                codec = match value.to_ascii_lowercase().as_str() {
                    "gzip" | "gz" => OutputCodec::Gzip,
                    "none" | "keep" => OutputCodec::Keep,
                    other => {
                        return Err(Refusal::new(
                            "Step failed: unsupported outputCodec",
                            format!(
                        "the local s3-dist-cp supports --outputCodec gzip, none, keep; not {other}"
                    ),
                        ))
                    }
                }
            }
            _ => ignored.push(key),
        }
    }
    let src_uri = src_uri.ok_or_else(|| usage("--src is required".into()))?;
    let dest_uri = dest_uri.ok_or_else(|| usage("--dest is required".into()))?;
    Ok(DistCp {
        src: layout.uri_to_path(&src_uri),
        dest: layout.uri_to_path(&dest_uri),
        src_uri,
        pattern,
        codec,
        ignored,
    })
}

impl DistCp {
    /// Copies; returns the report for stdout. Runs on a blocking thread.
    pub fn run(&self) -> Result<String, String> {
        let mut files = Vec::new();
        walk_files(&self.src, &mut files, &|_| true)
            .map_err(|err| format!("cannot read --src {}: {err}", self.src_uri))?;
        let mut report = Vec::new();
        for ignored in &self.ignored {
            report.push(format!(
                "note: option {ignored} has no local effect and was ignored"
            ));
        }
        let mut copied = 0usize;
        for file in files {
            let relative = file
                .strip_prefix(&self.src)
                .ok()
                .filter(|rel| !rel.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .or_else(|| file.file_name().map(PathBuf::from))
                .unwrap_or_default();
            // srcPattern is matched against the full source URI, as on EMR.
            let source_uri = format!(
                "{}/{}",
                self.src_uri.trim_end_matches('/'),
                relative.display()
            );
            if let Some(pattern) = &self.pattern {
                if !pattern.is_match(&source_uri) {
                    continue;
                }
            }
            let mut target = self.dest.join(&relative);
            if self.codec == OutputCodec::Gzip && target.extension().is_none_or(|ext| ext != "gz") {
                target.as_mut_os_string().push(".gz");
            }
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|err| format!("{}: {err}", parent.display()))?;
            }
            copy_file(&file, &target, self.codec)
                .map_err(|err| format!("copying {source_uri}: {err}"))?;
            report.push(format!("copied {source_uri} -> {}", target.display()));
            copied += 1;
        }
        report.push(format!("s3-dist-cp: {copied} file(s) copied"));
        Ok(report.join("\n"))
    }
}

/// `path` itself if it is a file, else the files below it (in name order) whose every folder
/// and name `include` accepts.
fn walk_files(
    path: &Path,
    files: &mut Vec<PathBuf>,
    include: &dyn Fn(&Path) -> bool,
) -> std::io::Result<()> {
    if path.is_file() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs::read_dir(path)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries.into_iter().filter(|entry| include(entry)) {
        walk_files(&entry, files, include)?;
    }
    Ok(())
}

fn copy_file(source: &Path, target: &Path, codec: OutputCodec) -> std::io::Result<()> {
    let already_gzipped = source.extension().is_some_and(|ext| ext == "gz");
    if codec == OutputCodec::Keep || already_gzipped {
        return fs::copy(source, target).map(|_| ());
    }
    let mut input = File::open(source)?;
    let mut encoder = GzEncoder::new(File::create(target)?, Compression::default());
    std::io::copy(&mut input, &mut encoder)?;
    encoder.finish()?.flush()
}

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProcessEnd {
    Exited(i32),
    Signalled,
    Killed,
    CouldNotStart(String),
}

/// Runs a process in its own process group (so kill reaches spark's JVM children),
/// stdout/stderr to files; `kill` ends it with SIGKILL to the whole group.
pub(crate) async fn run_process(
    spec: &ProcessSpec,
    work_dir: &Path,
    stdout: &Path,
    stderr: &Path,
    kill: Option<Arc<Notify>>,
) -> ProcessEnd {
    let open = |path: &Path| File::create(path);
    let (stdout_file, stderr_file) = match (open(stdout), open(stderr)) {
        (Ok(out), Ok(err)) => (out, err),
        (Err(err), _) | (_, Err(err)) => return ProcessEnd::CouldNotStart(err.to_string()),
    };
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .current_dir(work_dir)
        .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(stdout_file)
        .stderr(stderr_file)
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => return ProcessEnd::CouldNotStart(format!("{}: {err}", spec.program)),
    };
    let mut group_guard = ProcessGroupGuard(child.id().and_then(|pid| i32::try_from(pid).ok()));
    let killed = async {
        match &kill {
            Some(kill) => kill.notified().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        status = child.wait() => {
            group_guard.disarm();
            match status {
                Ok(status) => status.code().map_or(ProcessEnd::Signalled, ProcessEnd::Exited),
                Err(err) => ProcessEnd::CouldNotStart(err.to_string()),
            }
        }
        () = killed => {
            group_guard.kill();
            let _ = child.wait().await;
            ProcessEnd::Killed
        }
    }
}

/// Kills a step's whole process group (spark-submit's JVM included) when asked, or when
/// dropped before the process ended: a server shutting down must not leave steps behind.
struct ProcessGroupGuard(Option<i32>);

impl ProcessGroupGuard {
    fn kill(&mut self) {
        if let Some(group) = self.0.take() {
            // SAFETY: kill(2) with a negative pid signals the process group we created.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
        }
    }

    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for ProcessGroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The last lines of a log file: FailureDetails.Message.
pub(crate) fn tail_lines(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let kept: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    kept[kept.len().saturating_sub(lines)..].join("\n")
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
    fn given_s3_uris_when_mapped_then_every_scheme_lands_under_root_s3() {
        let layout = Layout {
            root: PathBuf::from("/tmp/r"),
            spark_submit: None,
        };
        assert_eq!(
            layout.map_s3("--src=s3://b/k,s3a://c/d s3n://e/f"),
            "--src=/tmp/r/s3/b/k,/tmp/r/s3/c/d /tmp/r/s3/e/f"
        );
        assert_eq!(layout.uri_to_path("file:///x/y"), PathBuf::from("/x/y"));
    }
}
