//! The commands that operate executions — `start`, `runs`, `show`, `watch`, `logs`, `stop`
//! — and pipelines — `pipelines`, `validate`, `backfill`, `cost` — on AWS or, with `--local`, on the local
//! runner's records. One file per command, each a function of a [`Backend`] (`validate`
//! needs none: it is offline) that returns what it prints (so tests read the same text);
//! this file holds their command line and the dispatch.

mod aws;
mod backend;
pub mod backfill;
pub mod cause;
mod cost;
mod locate;
pub mod logs;
mod pipelines;
pub mod rerun;
mod runs;
mod scan;
mod show;
mod start;
mod stop;
pub mod validate;
mod watch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

pub use backend::{Backend, BackendKind, LiveStep, LogStore, S3Logs, StepSource};
pub use backfill::{backfill, BackfillArgs};
pub use cost::{cost, CostArgs};
pub use locate::state_machine_of_stack;
pub use logs::{logs, LogsArgs};
pub use pipelines::{pipelines, PipelinesArgs};
pub use rerun::{rerun, Plan, RerunArgs};
pub use runs::{runs, RunsArgs};
pub use show::{show, ShowArgs};
pub use start::{start, StartArgs};
pub use stop::{stop, StopArgs};
pub use validate::{validate, ValidateArgs};
pub use watch::{watch, WatchArgs};

/// The stack name `make deploy` uses.
pub const DEFAULT_STACK: &str = "emrflow";

/// The commands of this module, flattened into `emrflow`'s own.
#[derive(Subcommand)]
pub enum OperateCommand {
    /// The deployed pipelines: schedule in its time zone, next start, last run and status.
    Pipelines(PipelinesArgs),
    /// Check pipeline files offline as a deploy and Validate_Input do (exit 1 on a problem).
    Validate(ValidateArgs),
    /// Start an execution of a pipeline (StartExecution), named manual-<UTC time>.
    Start(StartArgs),
    /// Run an execution again as a new one (its next attempt): everything, only what did not
    /// complete (--from-failure), or some steps and what waits for them (--steps).
    Rerun(RerunArgs),
    /// Recent executions: status, processing date, duration, cluster, error.
    Runs(RunsArgs),
    /// One execution as the console shows it: states, steps and attempts, logs, the error.
    Show(ShowArgs),
    /// Follow a running execution live, as `emrflow local run` shows it.
    Watch(WatchArgs),
    /// A step's logs (stderr by default): the failed step's stderr tail when no --step.
    Logs(LogsArgs),
    /// Stop an execution (StopExecution); the reaper cleans up its cluster.
    Stop(StopArgs),
    /// Run a pipeline for each day of a range, once: succeeded days skipped, running ones
    /// followed, failed ones re-run with --retry-failed.
    Backfill(BackfillArgs),
    /// What a pipeline's runs of a range of processing days cost, per day and in all.
    Cost(CostArgs),
}

/// Where the executions are, and how to print: every operate command takes these.
#[derive(Args, Debug, Clone)]
pub struct Target {
    /// Read the local runner's executions (`<root>/executions/`) instead of AWS.
    #[arg(long)]
    pub local: bool,
    /// With --local: the local runner's folder (as `emrflow local run --root`).
    #[arg(long, default_value = crate::defaults::DEFAULT_ROOT)]
    pub root: PathBuf,
    /// The state machine's ARN (else it is looked up in the stack).
    #[arg(long, env = "EMRFLOW_STATE_MACHINE_ARN")]
    pub state_machine: Option<String>,
    /// The CloudFormation stack emrflow was deployed as (its EmrflowStateMachine).
    #[arg(long, env = "EMRFLOW_STACK", default_value = DEFAULT_STACK)]
    pub stack: String,
    /// AWS Region (else the standard chain: AWS_REGION, the profile's region).
    #[arg(long)]
    pub region: Option<String>,
    /// AWS profile of the shared config and credentials files.
    #[arg(long)]
    pub profile: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl Target {
    /// The options a command this one suggests must repeat to reach the same executions
    /// (`--local --root '/my runs' `, `--region eu-west-1 --profile prod `): every one given
    /// that is not the default, each quoted for the shell, with a trailing space.
    pub fn repeated_options(&self) -> String {
        if self.local {
            return local_options(&self.root);
        }
        let quoted = crate::render::shell_word;
        let mut options = Vec::new();
        match &self.state_machine {
            Some(arn) => options.push(format!("--state-machine {}", quoted(arn))),
            None if self.stack != DEFAULT_STACK => {
                options.push(format!("--stack {}", quoted(&self.stack)))
            }
            None => {}
        }
        if let Some(region) = &self.region {
            options.push(format!("--region {}", quoted(region)));
        }
        if let Some(profile) = &self.profile {
            options.push(format!("--profile {}", quoted(profile)));
        }
        options.into_iter().map(|option| option + " ").collect()
    }
}

/// `--local ` and, for a root other than the default, `--root DIR `: what a suggested command
/// repeats to read the same local runs.
pub fn local_options(root: &Path) -> String {
    if root == Path::new(crate::defaults::DEFAULT_ROOT) {
        "--local ".to_string()
    } else {
        format!(
            "--local --root {} ",
            crate::render::shell_word(&root.display().to_string())
        )
    }
}

/// What a command prints on stdout, and how the process ends.
#[derive(Debug)]
pub struct Printed {
    pub stdout: String,
    pub code: ExitCode,
}

impl Printed {
    pub fn ok(stdout: String) -> Printed {
        Printed {
            stdout,
            code: ExitCode::SUCCESS,
        }
    }

    /// Printed, but the thing looked at failed (a failed execution, a missing log).
    pub fn failed(stdout: String) -> Printed {
        Printed {
            stdout,
            code: ExitCode::FAILURE,
        }
    }
}

/// Runs one operate command as `emrflow` does.
pub async fn run(command: OperateCommand) -> Result<ExitCode, String> {
    let target = match &command {
        OperateCommand::Validate(args) => {
            let printed = validate(args)?;
            anstream::print!("{}", printed.stdout);
            return Ok(printed.code);
        }
        OperateCommand::Pipelines(args) => &args.target,
        OperateCommand::Start(args) => &args.target,
        OperateCommand::Rerun(args) => &args.target,
        OperateCommand::Runs(args) => &args.target,
        OperateCommand::Show(args) => &args.target,
        OperateCommand::Watch(args) => &args.target,
        OperateCommand::Logs(args) => &args.target,
        OperateCommand::Stop(args) => &args.target,
        OperateCommand::Backfill(args) => &args.target,
        OperateCommand::Cost(args) => &args.target,
    };
    let backend = match &command {
        OperateCommand::Start(args) if args.target.local => {
            Backend::local_with(&args.target.root, &args.local_run_args)
        }
        OperateCommand::Rerun(args) if args.target.local => {
            Backend::local_with(&args.target.root, &args.local_run_args())
        }
        OperateCommand::Backfill(args) if args.target.local => {
            Backend::local_with(&args.target.root, &args.local_run_args())
        }
        _ => Backend::for_target(target).await?,
    };
    let printed = match &command {
        OperateCommand::Validate(args) => validate(args)?,
        OperateCommand::Pipelines(args) => pipelines(&backend, args).await?,
        OperateCommand::Start(args) => start(&backend, args).await?,
        OperateCommand::Rerun(args) => rerun(&backend, args).await?,
        OperateCommand::Runs(args) => runs(&backend, args).await?,
        OperateCommand::Cost(args) => cost(&backend, args).await?,
        OperateCommand::Show(args) => show(&backend, args).await?,
        OperateCommand::Watch(args) => {
            let mut out = anstream::stdout();
            watch(&backend, args, &mut out).await?
        }
        OperateCommand::Logs(args) => logs(&backend, args).await?,
        OperateCommand::Stop(args) => stop(&backend, args).await?,
        OperateCommand::Backfill(args) => {
            let mut out = anstream::stdout();
            backfill(&backend, args, &mut out).await?
        }
    };
    anstream::print!("{}", printed.stdout);
    Ok(printed.code)
}

/// `value` as pretty JSON with a final newline.
fn json_text(value: &impl serde::Serialize) -> Result<String, String> {
    serde_json::to_string_pretty(value)
        .map(|text| text + "\n")
        .map_err(|error| format!("the output could not be written as JSON: {error}"))
}
