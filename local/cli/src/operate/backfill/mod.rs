//! `emrflow backfill PIPELINE --from D --to D`: one execution per processing day, named by
//! the rule the schedule uses (`emrflow_core::naming::daily_attempt_name`), so running the
//! same command again never starts a second execution of a day: a SUCCEEDED day is skipped
//! and listed, a running one followed, a failed one re-run (as its next attempt) only with
//! `--retry-failed`. `--parallel N` executions at a time, oldest day first, never more than
//! the pipeline's MaxConcurrentRuns. Ctrl-C stops starting days; a second Ctrl-C stops the
//! running ones. The plan is `plan.rs`, the run `run.rs`, their words `render/backfill.rs`.

mod plan;
mod run;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use clap::Args;
use emrflow_core::deployment::load_pipeline_folder;
use emrflow_core::naming::split_daily_execution_name;
use emrflow_core::PipelineSpec;
use emrflow_executions::{ExecutionStatus, ListFilter};

use super::{Backend, Printed, Target};
use crate::render::backfill::{parallel_note, plan_table};
pub use plan::{days_of, plan, Action, Day};
pub use run::DayResult;

/// The pipelines folder read by default, as `emrflow pipelines` and `make deploy` do.
const DEFAULT_PIPELINES: &str = "pipelines";

#[derive(Args, Debug, Clone)]
pub struct BackfillArgs {
    /// The deployed pipeline (its Name); with --local also a pipeline spec file.
    pub pipeline: String,
    /// The first processing date (YYYY-MM-DD).
    #[arg(long)]
    pub from: String,
    /// The last processing date (YYYY-MM-DD), included.
    #[arg(long)]
    pub to: String,
    /// Executions at a time, oldest day first; never more than the pipeline's
    /// MaxConcurrentRuns (days it is following count).
    #[arg(long, default_value_t = 1)]
    pub parallel: usize,
    /// Print what would be done with each day, and start nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run exactly the days with no successful run: a day counts as done when any
    /// execution of the pipeline for that date SUCCEEDED (a manual `emrflow start --date`
    /// too, read from its input), and a failed day is re-run as with --retry-failed.
    #[arg(long)]
    pub missing: bool,
    /// Re-run the days whose latest execution failed, timed out or was aborted, as the
    /// day's next attempt (`<pipeline>-<date>-r2`, `-r3`…).
    #[arg(long)]
    pub retry_failed: bool,
    /// The pipelines folder as deployed: MaxConcurrentRuns is read there (and the local runs
    /// deploy it) [default: pipelines].
    #[arg(long)]
    pub pipelines: Option<PathBuf>,
    /// Seconds between looks at the running executions [default: 10, with --local 1].
    #[arg(long)]
    pub poll_seconds: Option<f64>,
    #[command(flatten)]
    pub target: Target,
    /// With --local: more options for `emrflow local run` (after `--`).
    #[arg(last = true)]
    pub local_run_args: Vec<String>,
}

/// The pipeline backfilled: its Name, and its spec when one was found (for its
/// MaxConcurrentRuns).
struct Subject {
    name: String,
    spec: Option<PipelineSpec>,
}

impl BackfillArgs {
    /// The spec file PIPELINE names, when it is one.
    fn spec_file(&self) -> Option<&Path> {
        Some(Path::new(&self.pipeline)).filter(|path| path.is_file())
    }

    /// What the local runs are started with before `--name` and `--input`: the spec file or
    /// the folder given, then the options after `--`.
    pub fn local_run_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(file) = self.spec_file() {
            args.extend(["--pipeline".to_string(), file.display().to_string()]);
        } else if let Some(folder) = &self.pipelines {
            args.extend(["--pipelines".to_string(), folder.display().to_string()]);
        }
        args.extend(self.local_run_args.iter().cloned());
        args
    }

    fn subject(&self) -> Result<Subject, String> {
        if let Some(file) = self.spec_file() {
            if !self.target.local {
                return Err(format!(
                    "{} is a pipeline file: a backfill on AWS takes a deployed pipeline's name (a file runs with --local)",
                    file.display()
                ));
            }
            let text = std::fs::read_to_string(file)
                .map_err(|error| format!("cannot read {}: {error}", file.display()))?;
            let spec = PipelineSpec::from_json_str(&text)
                .map_err(|error| format!("{}: {error}", file.display()))?;
            return Ok(Subject {
                name: spec.name.clone(),
                spec: Some(spec),
            });
        }
        let folder = self
            .pipelines
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_PIPELINES));
        let spec = if folder.is_dir() {
            let mut specs = load_pipeline_folder(&folder).map_err(|error| error.to_string())?;
            let spec = specs.remove(&self.pipeline).ok_or_else(|| {
                format!(
                    "no pipeline named '{}' in {} (its pipelines: {}): give a deployed pipeline's Name",
                    self.pipeline,
                    folder.display(),
                    specs.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            })?;
            Some(spec)
        } else {
            None
        };
        Ok(Subject {
            name: self.pipeline.clone(),
            spec,
        })
    }

    fn poll(&self, local: bool) -> Result<Duration, String> {
        let seconds = self.poll_seconds.unwrap_or(if local { 1.0 } else { 10.0 });
        Duration::try_from_secs_f64(seconds)
            .ok()
            .filter(|poll| !poll.is_zero())
            .ok_or_else(|| format!("--poll-seconds {seconds}: give a number of seconds above 0"))
    }
}

fn date_of(option: &str, text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|error| format!("--{option} '{text}' is not a date as YYYY-MM-DD: {error}"))
}

/// How many executions run at once: `--parallel`, within MaxConcurrentRuns when the spec is
/// known.
pub fn parallel_of(asked: usize, max_concurrent_runs: Option<u32>) -> usize {
    let asked = asked.max(1);
    match max_concurrent_runs {
        Some(max) => asked.min(max.max(1) as usize),
        None => asked,
    }
}

/// `emrflow backfill`: plans the days, prints the plan (`--dry-run`) or runs it, printing an
/// event per line on `out` (JSON lines with `--json`), and returns the final table.
pub async fn backfill(
    backend: &Backend,
    args: &BackfillArgs,
    out: &mut dyn Write,
) -> Result<Printed, String> {
    let (from, to) = (date_of("from", &args.from)?, date_of("to", &args.to)?);
    if from > to {
        return Err(format!(
            "--from {from} is after --to {to}: give the first day, then the last"
        ));
    }
    let subject = args.subject()?;
    let max = subject.spec.as_ref().map(PipelineSpec::max_concurrent_runs);
    let parallel = parallel_of(args.parallel, max);
    let poll = args.poll(backend.is_local())?;
    let days = days_of(from, to);
    let listed = backend
        .executions
        .list(ListFilter {
            status: None,
            limit: usize::MAX,
        })
        .await
        .map_err(|error| error.to_string())?;
    let elsewhere = if args.missing {
        succeeded_elsewhere(backend, &subject.name, &days, &listed).await?
    } else {
        BTreeMap::new()
    };
    // --missing runs every day with no successful run: a failed one too.
    let retry = args.retry_failed || args.missing;
    let planned = plan(&subject.name, &days, &listed, &elsewhere, retry);
    let note = parallel_note(&subject.name, args.parallel, parallel, max);
    if args.dry_run {
        if args.target.json {
            let text = serde_json::to_string_pretty(&planned)
                .map_err(|error| format!("the plan could not be written as JSON: {error}"))?;
            return Ok(Printed::ok(text + "\n"));
        }
        return Ok(Printed::ok(format!("{note}\n{}", plan_table(&planned))));
    }
    if !args.target.json {
        writeln!(out, "{note}").map_err(|error| error.to_string())?;
    }
    let results = run::Runner {
        backend,
        pipeline: &subject.name,
        parallel,
        poll,
        json: args.target.json,
        out,
    }
    .run(&planned, &listed)
    .await?;
    let all_succeeded = results
        .iter()
        .all(|result| result.status == Some(ExecutionStatus::Succeeded));
    let text = if args.target.json {
        let summary = serde_json::json!({"event": "finished", "days": results});
        format!("{summary}\n")
    } else {
        crate::render::backfill::results_table(&results)
    };
    Ok(if all_succeeded {
        Printed::ok(text)
    } else {
        Printed::failed(text)
    })
}

/// `--missing`: the days of `days` that a SUCCEEDED execution not named by the daily rule
/// (a manual start) ran for `pipeline`, read from their inputs (DescribeExecution where the
/// listing has none). Other pipelines' daily executions are not read.
async fn succeeded_elsewhere(
    backend: &Backend,
    pipeline: &str,
    days: &[NaiveDate],
    listed: &[emrflow_executions::ExecutionDescription],
) -> Result<BTreeMap<NaiveDate, String>, String> {
    let mut found = BTreeMap::new();
    let candidates = listed.iter().filter(|execution| {
        execution.status == ExecutionStatus::Succeeded
            && split_daily_execution_name(&execution.name).is_none()
    });
    for execution in candidates {
        let described = match execution.input {
            Some(_) => execution.clone(),
            None => backend
                .executions
                .describe(&execution.execution_arn)
                .await
                .map_err(|error| error.to_string())?,
        };
        if described.pipeline_in_input().as_deref() != Some(pipeline) {
            continue;
        }
        let date = described
            .input
            .as_deref()
            .and_then(|input| serde_json::from_str::<serde_json::Value>(input).ok())
            .and_then(|input| {
                input
                    .get("ProcessingDate")
                    .and_then(serde_json::Value::as_str)
                    .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
            });
        if let Some(date) = date.filter(|date| days.contains(date)) {
            found.entry(date).or_insert(described.name.clone());
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_stays_within_max_concurrent_runs() {
        // GIVEN --parallel asks WHEN the pipeline allows 2 at once, or is not known
        // THEN never more than it allows, and at least one
        assert_eq!(parallel_of(3, Some(2)), 2);
        assert_eq!(parallel_of(1, Some(2)), 1);
        assert_eq!(parallel_of(0, Some(2)), 1);
        assert_eq!(parallel_of(5, None), 5);
    }
}
