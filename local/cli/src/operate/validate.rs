//! `emrflow validate FILE|DIR…`: the pipeline files checked offline exactly as a deploy and
//! Validate_Input check them, for users' own CI. Each file is read and validated (the spec,
//! its Schedule), then no two may share a Name, then each valid one goes through the
//! validate-input handler itself, as its schedule would start it — the execution named
//! `<Name>-<date>`, its input `{"PipelineName": Name}` — so EMR's limits with the execution's
//! name and the 256 KiB worst-case state are checked too. Every problem is printed with its
//! file and key; the exit code is 0 when all are valid, 1 otherwise.
//!
//! `--input JSON|FILE` checks an execution input against those pipelines too, as
//! Validate_Input would at the start of a run (`PipelineName` with `Pipeline`, an unknown
//! PipelineName, …). `--json` prints what the deploy renders its schedules from
//! (`infra/render_template.py`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::Utc;
use clap::Args;
use emrflow_core::deployment::{pipeline_files_in, read_pipeline_files, FileProblem};
use emrflow_core::handlers::{ValidateInput, ValidateInputRequest};
use emrflow_core::naming::daily_execution_name;
use emrflow_core::{Deployment, PipelineSpec};
use serde::Serialize;
use serde_json::{json, Value};

use super::{json_text, Printed};
use crate::definition::LOCAL_REGION;
use crate::local_run::read_input;

#[derive(Args, Debug, Clone)]
pub struct ValidateArgs {
    /// Pipeline files, or folders of them (every `*.json` inside).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// An execution input to check against these pipelines (JSON text or a file).
    #[arg(long)]
    pub input: Option<String>,
    /// Print the result as JSON (the pipelines with their schedules, and the problems).
    #[arg(long)]
    pub json: bool,
}

/// A valid pipeline file, and its schedule as deployed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidPipeline {
    pub file: String,
    pub name: String,
    pub schedule: Option<DeployedSchedule>,
}

/// What `AWS::Scheduler::Schedule` gets for one pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeployedSchedule {
    /// `cron(…)` or `rate(…)`.
    pub expression: String,
    pub timezone: String,
    /// ENABLED or DISABLED.
    pub state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Problem {
    pub file: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Validation {
    pub pipelines: Vec<ValidPipeline>,
    pub problems: Vec<Problem>,
}

pub fn validate(args: &ValidateArgs) -> Result<Printed, String> {
    let input = match &args.input {
        Some(text) => Some((input_label(text), read_input(text)?)),
        None => None,
    };
    let validation = validate_files(&expand(&args.files)?, input);
    let text = if args.json {
        json_text(&validation)?
    } else {
        report(&validation)
    };
    Ok(Printed {
        stdout: text,
        code: if validation.problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    })
}

/// Folders replaced by their `*.json` files.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(pipeline_files_in(path).map_err(|error| error.to_string())?);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// `--input`'s file, or `--input` itself for JSON text.
fn input_label(text: &str) -> String {
    if Path::new(text).is_file() {
        text.to_string()
    } else {
        "--input".to_string()
    }
}

/// Every check a deploy and Validate_Input make, each problem with its file; `input` (its
/// label and value) checked against the valid pipelines last.
pub fn validate_files(paths: &[PathBuf], input: Option<(String, Value)>) -> Validation {
    let files = read_pipeline_files(paths);
    let deployment = Arc::new(
        Deployment::new(LOCAL_REGION).with_pipelines(
            files
                .valid
                .iter()
                .map(|(_, spec)| (spec.name.clone(), spec.clone()))
                .collect(),
        ),
    );
    let handler = ValidateInput { deployment };
    let mut validation = Validation {
        problems: files.problems.iter().map(Problem::from).collect(),
        ..Validation::default()
    };
    for (path, spec) in &files.valid {
        match as_started(&handler, spec).and_then(|()| deployed_schedule(spec)) {
            Ok(schedule) => validation.pipelines.push(ValidPipeline {
                file: shown(path),
                name: spec.name.clone(),
                schedule,
            }),
            Err(message) => validation.problems.push(Problem {
                file: shown(path),
                message,
            }),
        }
    }
    if let Some((label, input)) = input {
        let now = Utc::now();
        let checked = handler.validate(ValidateInputRequest {
            input,
            execution_name: format!("manual-{}", now.format("%Y%m%dT%H%M%SZ")),
            start_time: now.to_rfc3339(),
        });
        if let Err(error) = checked {
            validation.problems.push(Problem {
                file: label,
                message: error.message().to_string(),
            });
        }
    }
    validation
}

/// Validate_Input on the execution the pipeline's schedule would start today.
fn as_started(handler: &ValidateInput, spec: &PipelineSpec) -> Result<(), String> {
    let now = Utc::now();
    handler
        .validate(ValidateInputRequest {
            input: json!({"PipelineName": spec.name}),
            execution_name: daily_execution_name(&spec.name, now.date_naive()),
            start_time: now.to_rfc3339(),
        })
        .map(|_| ())
        .map_err(|error| error.message().to_string())
}

fn deployed_schedule(spec: &PipelineSpec) -> Result<Option<DeployedSchedule>, String> {
    let Some(schedule) = &spec.schedule else {
        return Ok(None);
    };
    Ok(Some(DeployedSchedule {
        expression: schedule
            .expression()
            .map_err(|error| error.message().to_string())?,
        timezone: schedule.timezone_name().to_string(),
        state: if schedule.enabled() {
            "ENABLED"
        } else {
            "DISABLED"
        },
    }))
}

impl From<&FileProblem> for Problem {
    fn from(problem: &FileProblem) -> Problem {
        Problem {
            file: shown(&problem.path),
            message: problem.message.clone(),
        }
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// One line per valid pipeline, one per problem, then the count.
fn report(validation: &Validation) -> String {
    let mut text = String::new();
    for pipeline in &validation.pipelines {
        let schedule = match &pipeline.schedule {
            Some(schedule) => format!(
                "{} {}{}",
                schedule.expression,
                schedule.timezone,
                if schedule.state == "DISABLED" {
                    " (disabled)"
                } else {
                    ""
                }
            ),
            None => "no schedule (started by hand)".to_string(),
        };
        text.push_str(&format!(
            "ok     {}  {}  {schedule}\n",
            pipeline.file, pipeline.name
        ));
    }
    for problem in &validation.problems {
        text.push_str(&format!("error  {}: {}\n", problem.file, problem.message));
    }
    text.push_str(&format!(
        "{} valid, {} problem(s)\n",
        validation.pipelines.len(),
        validation.problems.len()
    ));
    text
}
