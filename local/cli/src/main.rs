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
    /// Serve web pages of the runs on loopback: step graph, attempts in time, logs.
    Console(emrflow::console::ConsoleArgs),
    /// Write a small working pipeline, its input and a local S3 to DIR, to run with
    /// `emrflow local run` there (no Spark needed).
    Init(InitArgs),
}

#[derive(Args)]
struct InitArgs {
    /// The folder to write (created if need be; refused if it holds anything).
    dir: PathBuf,
    /// Write into a folder that is not empty, replacing files of the same names.
    #[arg(long)]
    force: bool,
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
    #[arg(long, default_value = emrflow::defaults::DEFAULT_ROOT)]
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
#[command(after_help = "\
Run in a folder written by `emrflow init DIR` (or any folder laid out the same), it needs no
option: pipeline.json, input.json and s3/ of the current directory are used when --pipeline,
--input and --s3-from are not given.")]
struct RunArgs {
    /// Execution input: a JSON file, or JSON text [default: input.json in the current
    /// directory if there is one, else {}].
    #[arg(long)]
    input: Option<String>,
    /// The pipelines folder deployed: every `*.json` in it, each with its own Name
    /// [default: pipelines/ in the current directory, unless there is a pipeline.json].
    #[arg(long)]
    pipelines: Option<PathBuf>,
    /// Deploy only this pipeline file instead of a folder [default: pipeline.json in the
    /// current directory if there is one].
    #[arg(long, conflicts_with = "pipelines")]
    pipeline: Option<PathBuf>,
    /// Run the deployed pipeline of this Name (the input's PipelineName).
    #[arg(long)]
    pipeline_name: Option<String>,
    /// The state machine definition [default: the one built into emrflow, the file SAM
    /// deploys].
    #[arg(long)]
    definition: Option<PathBuf>,
    /// Folder for the local S3, the step work dirs and the execution records.
    #[arg(long, default_value = emrflow::defaults::DEFAULT_ROOT)]
    root: PathBuf,
    /// Copy this folder's tree into the local S3 (<root>/s3) first: one folder per bucket
    /// (<dir>/<bucket>/<key>) [default: s3/ in the current directory if there is one].
    #[arg(long)]
    s3_from: Option<PathBuf>,
    /// Use a local EMR endpoint that is already running instead of an embedded one (it
    /// should serve the same --root: --s3-from copies into <root>/s3).
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
        Command::Init(args) => emrflow::starter::init(&args.dir, args.force),
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
                pipelines: args.pipelines,
                pipeline_name: args.pipeline_name,
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
        Command::Console(args) => emrflow::console::run(args).await,
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("emrflow: {error}");
            ExitCode::from(2)
        }
    }
}
