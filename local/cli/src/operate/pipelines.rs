//! `emrflow pipelines [--pipelines DIR]`: the deployed pipelines — each one's schedule in its
//! time zone, its next start, its last run and that run's status. The pipelines are the
//! folder's (`pipelines/` by default: what `make deploy` deploys); the runs are the
//! backend's (AWS, or `--local`), each assigned to its pipeline by its input (`scan.rs`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::Utc;
use clap::Args;
use emrflow_core::deployment::load_pipeline_folder;

use super::scan::scan_executions;
use super::{json_text, Backend, Printed, Target};
use crate::render::pipelines::{pipelines_table, PipelineRow};

#[derive(Args, Debug, Clone)]
pub struct PipelinesArgs {
    /// The pipelines folder, as deployed.
    #[arg(long, default_value = "pipelines")]
    pub pipelines: PathBuf,
    #[command(flatten)]
    pub target: Target,
}

pub async fn pipelines(backend: &Backend, args: &PipelinesArgs) -> Result<Printed, String> {
    let specs = load_pipeline_folder(&args.pipelines).map_err(|error| error.to_string())?;
    let now = Utc::now();
    let mut rows: BTreeMap<String, PipelineRow> = BTreeMap::new();
    for (name, spec) in &specs {
        let schedule = spec.schedule.as_ref();
        let next = match schedule {
            Some(schedule) => schedule
                .next_start(now)
                .map_err(|error| error.to_string())?,
            None => None,
        };
        rows.insert(
            name.clone(),
            PipelineRow {
                name: name.clone(),
                schedule: schedule
                    .map(|schedule| schedule.expression())
                    .transpose()
                    .map_err(|error| error.to_string())?,
                timezone: schedule.map(|schedule| schedule.timezone_name().to_string()),
                enabled: schedule.is_some_and(|schedule| schedule.enabled()),
                next_start: next.map(|at| at.to_rfc3339()),
                next_start_text: next.map(|at| at.format("%Y-%m-%d %H:%M %Z").to_string()),
                last_run: None,
                last_status: None,
                last_started: None,
            },
        );
    }
    let mut waiting = rows.len();
    if waiting > 0 {
        scan_executions(backend, None, |scanned| {
            if let Some(row) = scanned
                .pipeline
                .and_then(|name| rows.get_mut(&name))
                .filter(|row| row.last_run.is_none())
            {
                row.last_run = Some(scanned.execution.name.clone());
                row.last_status = Some(scanned.execution.status);
                row.last_started = Some(scanned.execution.start_date);
                waiting -= 1;
            }
            waiting > 0
        })
        .await?;
    }
    let rows: Vec<PipelineRow> = rows.into_values().collect();
    if args.target.json {
        return json_text(&rows).map(Printed::ok);
    }
    if rows.is_empty() {
        return Ok(Printed::ok(format!(
            "no pipeline in {}\n",
            args.pipelines.display()
        )));
    }
    Ok(Printed::ok(pipelines_table(&rows)))
}
