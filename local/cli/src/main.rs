//! `emrflow`: the local EMR endpoint, the local runner of the state machine, and the
//! commands that operate executions on AWS or locally.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "emrflow",
    version,
    about = "Daily ETL on Amazon EMR with Step Functions — and all of it offline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Offline tools: a local EMR endpoint and a local Step Functions runner.
    #[command(subcommand)]
    Local(Local),
    #[command(flatten)]
    Operate(emrflow::operate::OperateCommand),
    /// Print a pipeline's step graph or the state machine as Mermaid.
    Diagram(DiagramArgs),
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct DiagramArgs {
    /// A pipeline spec: its steps and their dependencies.
    #[arg(long)]
    pipeline: Option<PathBuf>,
    /// A state machine definition: its states, choices and catches.
    #[arg(long)]
    definition: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Local {
    /// Serve an EMR-compatible endpoint that runs steps as local processes.
    Emr(EmrArgs),
    /// Run one execution of the real state machine with the real handlers, offline.
    Run(RunArgs),
}

#[derive(Args)]
struct EmrArgs {
    /// Address to listen on: loopback only (127.0.0.1:PORT, [::1]:PORT or localhost:PORT).
    #[arg(long, default_value = "127.0.0.1:4599")]
    addr: String,
    /// Folder for the local S3 (`<root>/s3/<bucket>/<key>`) and step work dirs.
    #[arg(long, default_value = ".local")]
    root: PathBuf,
    /// Throttle as EMR's API quotas do: per-operation (alone: each operation EMR's default
    /// bucket, and one for the account) or uniform (burst 5, 0.5 calls/s each).
    #[arg(long, value_name = "MODEL", num_args = 0..=1, default_missing_value = "per-operation")]
    throttle_like_emr: Option<emrflow_local_emr::EmrThrottling>,
    /// Seconds a new cluster spends STARTING and BOOTSTRAPPING together (default 1.5).
    #[arg(long, value_name = "N")]
    provisioning_seconds: Option<f64>,
}

#[derive(Args)]
struct RunArgs {
    /// Execution input: a JSON file, or JSON text.
    #[arg(long, default_value = "{}")]
    input: String,
    /// The pipeline spec deployed as the default (the input's "Pipeline" still overrides it).
    #[arg(long, default_value = "examples/pipeline.json")]
    pipeline: PathBuf,
    /// The state machine definition.
    #[arg(long, default_value = emrflow::definition::DEFINITION_FILE)]
    definition: PathBuf,
    /// Folder for the local S3 and step work dirs of the embedded local EMR.
    #[arg(long, default_value = ".local")]
    root: PathBuf,
    /// Copy this folder's tree into the local S3 first (`<dir>/<bucket>/<key>`).
    #[arg(long)]
    s3_from: Option<PathBuf>,
    /// Use a local EMR endpoint that is already running instead of an embedded one.
    #[arg(long)]
    emr_endpoint: Option<String>,
    /// Execution name (default: local-<UTC timestamp>).
    #[arg(long)]
    name: Option<String>,
    /// Multiply every Wait and Retry interval by this factor (1 = real time).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Print the history as GetExecutionHistory JSON instead of the console view.
    #[arg(long)]
    json: bool,
    /// Throttle the embedded local EMR as EMR's API quotas do: per-operation (alone) or
    /// uniform, as `emrflow local emr`.
    #[arg(long, value_name = "MODEL", num_args = 0..=1, default_missing_value = "per-operation")]
    throttle_like_emr: Option<emrflow_local_emr::EmrThrottling>,
    /// Seconds the embedded local EMR's clusters spend STARTING and BOOTSTRAPPING together
    /// (default 1.5), multiplied by --time-scale as waits are.
    #[arg(long, value_name = "N")]
    provisioning_seconds: Option<f64>,
    /// How the execution learns that steps ended: EMR's events (with a heartbeat check as the
    /// net), or polling. Pipelines that set StepCompletion keep theirs.
    #[arg(long, value_enum, default_value_t = Completion::Events)]
    step_completion: Completion,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Completion {
    Events,
    Polling,
}

#[tokio::main]
async fn main() -> ExitCode {
    emrflow::init_tracing();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Diagram(args) => emrflow::print_diagram(args.pipeline, args.definition),
        Command::Local(Local::Emr(args)) => {
            emrflow::serve_local_emr(
                &args.addr,
                args.root,
                args.throttle_like_emr,
                args.provisioning_seconds,
            )
            .await
        }
        Command::Local(Local::Run(args)) => {
            emrflow::run_from_cli(emrflow::CliRun {
                input: args.input,
                pipeline: args.pipeline,
                definition: args.definition,
                root: args.root,
                s3_from: args.s3_from,
                emr_endpoint: args.emr_endpoint,
                name: args.name,
                time_scale: args.time_scale,
                json: args.json,
                throttle_like_emr: args.throttle_like_emr,
                provisioning_seconds: args.provisioning_seconds,
                step_completion: match args.step_completion {
                    Completion::Events => emrflow_core::pipeline::StepCompletion::Events,
                    Completion::Polling => emrflow_core::pipeline::StepCompletion::Polling,
                },
            })
            .await
        }
        Command::Operate(command) => emrflow::operate::run(command).await,
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("emrflow: {error}");
            ExitCode::from(2)
        }
    }
}
