//! `emrflow start [NAME] [--date D | --input JSON|FILE]`: StartExecution of pipeline NAME
//! (the input's PipelineName) named `manual-<UTC time>` (as `make start` names it: never a
//! schedule's `<PipelineName>-<date>`; a second start within the same second gets `…-2`), or
//! `--name`: a name that exists is refused (ExecutionAlreadyExists) unless it is the same
//! input on a running execution, which is then the answer. With `--local`, the run goes to
//! the background (`emrflow local run`, reading the pipelines folder; its output in the
//! execution's `run.log`).

use chrono::NaiveDate;
use clap::Args;
use emrflow_executions::console_url;
use serde_json::json;

use super::{json_text, Backend, Printed, Target};
use crate::local_run::{read_input, with_pipeline_name};

#[derive(Args, Debug, Clone)]
pub struct StartArgs {
    /// The deployed pipeline to run (the input's PipelineName); required when more than one
    /// is deployed.
    pub pipeline: Option<String>,
    /// The processing date (YYYY-MM-DD): input {"ProcessingDate": D}.
    #[arg(long, conflicts_with = "input")]
    pub date: Option<String>,
    /// The execution input: a JSON file, or JSON text (default {}).
    #[arg(long)]
    pub input: Option<String>,
    /// The execution's name (default manual-<UTC time>).
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub target: Target,
    /// With --local: more options for `emrflow local run` (after `--`).
    #[arg(last = true)]
    pub local_run_args: Vec<String>,
}

pub async fn start(backend: &Backend, args: &StartArgs) -> Result<Printed, String> {
    let input = match (&args.date, &args.input) {
        (Some(date), _) => {
            NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|error| format!("--date '{date}' is not a date as YYYY-MM-DD: {error}"))?;
            json!({"ProcessingDate": date})
        }
        (None, Some(input)) => read_input(input)?,
        (None, None) => json!({}),
    };
    if !input.is_object() {
        return Err("the execution input must be a JSON object".to_string());
    }
    let input = with_pipeline_name(input, args.pipeline.as_deref())?;
    let input_text = input.to_string();
    let started = match &args.name {
        Some(name) => backend.executions.start(name, &input_text).await,
        None => backend.executions.start_new("manual", &input_text).await,
    }
    .map_err(|error| format!("{}: {error}", error.name()))?;
    let name = &started.name;
    if args.target.json {
        return json_text(&started).map(Printed::ok);
    }
    let mut text = format!(
        "started {name} with input {input}\n  execution  {}\n",
        started.execution_arn
    );
    if !backend.is_local() {
        text.push_str(&format!(
            "  console    {}\n",
            console_url(&started.execution_arn)
        ));
    }
    text.push_str(&format!(
        "  follow     emrflow watch {}{name}\n  stop       emrflow stop {}{name}\n",
        backend.options, backend.options
    ));
    Ok(Printed::ok(text))
}
