//! `emrflow runs [--limit N] [--status S] [--pipeline NAME]`: the newest executions, each
//! read whole (its history names the processing date, the cluster and the failing error).
//! With `--pipeline`, only that pipeline's, as their input names it (`scan.rs`), looked for
//! among the newest 500.

use chrono::Utc;
use clap::Args;
use emrflow_executions::{ExecutionStatus, ListFilter};

use super::scan::scan_executions;
use super::{json_text, Backend, Printed, Target};
use crate::render::runs::{runs_table, RunRow};

#[derive(Args, Debug, Clone)]
pub struct RunsArgs {
    /// How many executions, newest first.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Only executions with this status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED.
    #[arg(long, value_parser = parse_status)]
    pub status: Option<ExecutionStatus>,
    /// Only executions of this pipeline (the PipelineName in their input).
    #[arg(long)]
    pub pipeline: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

fn parse_status(text: &str) -> Result<ExecutionStatus, String> {
    ExecutionStatus::from_name(text).ok_or_else(|| {
        let known: Vec<&str> = ExecutionStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!("'{text}' is not an execution status ({})", known.join(", "))
    })
}

pub async fn runs(backend: &Backend, args: &RunsArgs) -> Result<Printed, String> {
    let now = Utc::now();
    let mut rows = Vec::new();
    match &args.pipeline {
        None => {
            let listed = backend
                .executions
                .list(ListFilter {
                    status: args.status,
                    limit: args.limit,
                })
                .await
                .map_err(|error| error.to_string())?;
            for summary in &listed {
                let record = backend
                    .executions
                    .record(&summary.execution_arn)
                    .await
                    .map_err(|error| error.to_string())?;
                rows.push(RunRow::of(&record, now));
            }
        }
        Some(pipeline) => {
            let mut matching = Vec::new();
            scan_executions(backend, args.status, |scanned| {
                if scanned.pipeline.as_deref() == Some(pipeline.as_str()) {
                    matching.push(scanned);
                }
                matching.len() < args.limit
            })
            .await?;
            for scanned in matching {
                let record = scanned.into_record(backend).await?;
                rows.push(RunRow::of(&record, now));
            }
        }
    }
    if args.target.json {
        return json_text(&rows).map(Printed::ok);
    }
    if rows.is_empty() {
        let which = args
            .status
            .map(|status| format!("{status} "))
            .unwrap_or_default();
        let of = args
            .pipeline
            .as_ref()
            .map(|pipeline| format!(" of pipeline {pipeline}"))
            .unwrap_or_default();
        return Ok(Printed::ok(format!("no {which}executions{of}\n")));
    }
    let mut text = runs_table(&rows);
    if let Some(failed) = rows
        .iter()
        .find(|row| row.status == ExecutionStatus::Failed)
    {
        text.push_str(&format!(
            "\nwhy {} ended {}: emrflow logs {}{}\n",
            failed.name, failed.status, backend.options, failed.name
        ));
    }
    Ok(Printed::ok(text))
}
