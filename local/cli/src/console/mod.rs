//! `emrflow console`: a web page of the executions on loopback — the runs, one run as a data
//! engineer thinks of it (the step graph coloured by state, every attempt in time, the
//! failure and its logs, the path the state machine took) and a pipeline — read through the
//! same [`Backend`] as `runs`, `show` and `logs`, so it works locally and on AWS alike.
//!
//! - this file: the command line, the server and its routes;
//! - [`address`]: loopback only; [`guard`]: Host and Origin checks, the actions' token;
//! - [`data`]: an execution, its steps and the pipeline it ran;
//! - pages: [`runs_page`], [`run_page`] (with [`steps_section`] and [`logs`]),
//!   [`pipeline_page`], [`actions`] (Stop, Re-run);
//! - drawings: [`layout`] (a layered DAG layout), [`graph`] (the step graph as SVG),
//!   [`gantt`] (every attempt on one axis), [`path`] (the state machine's path, compact);
//! - [`page`]: the HTML shell, the error page, states' colours; `assets/`: the one
//!   stylesheet and script, compiled into the binary (no CDN, nothing fetched).

pub mod actions;
pub mod address;
pub mod data;
pub mod gantt;
pub mod graph;
pub mod guard;
pub mod layout;
pub mod logs;
pub mod page;
pub mod path;
pub mod pipeline_page;
pub mod run_page;
pub mod runs_page;
pub mod steps_section;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use clap::Args;
use emrflow_core::PipelineSpec;

use crate::defaults::find_pipelines;

use crate::operate::{Backend, Target};
use page::{secure, Problem};

#[derive(Args, Debug, Clone)]
pub struct ConsoleArgs {
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = 8686)]
    pub port: u16,
    /// The address to listen on: loopback only (127.0.0.1, ::1 or localhost).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Show Stop and Re-run buttons (POST, guarded by a token made at launch).
    #[arg(long)]
    pub allow_actions: bool,
    /// The pipelines folder deployed, to draw the graphs of runs whose input names a
    /// deployed pipeline (default: pipelines/ in the current directory, unless there is a
    /// pipeline.json).
    #[arg(long)]
    pub pipelines: Option<PathBuf>,
    /// One pipeline file deployed instead of a folder.
    #[arg(long, conflicts_with = "pipelines")]
    pub pipeline: Option<PathBuf>,
    #[command(flatten)]
    pub target: Target,
}

/// What every page reads from.
pub struct Console {
    pub backend: Backend,
    /// The deployed (or local) pipelines by Name, for runs whose input names one.
    pub pipelines: BTreeMap<String, PipelineSpec>,
    /// This launch's token when actions are allowed.
    pub token: Option<String>,
    /// The Host values requests must name.
    pub hosts: Vec<String>,
}

/// The routes, behind the Host and Origin guard.
pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(runs_page::runs_page))
        .route("/runs/{name}", get(run_page::run_page))
        .route("/runs/{name}/log", get(logs::step_log))
        .route("/runs/{name}/stop", post(actions::stop))
        .route("/runs/{name}/rerun", post(actions::rerun))
        .route("/pipelines/{name}", get(pipeline_page::pipeline_page))
        .route(
            "/assets/console.css",
            get(|| asset(page::STYLESHEET, "text/css")),
        )
        .route(
            "/assets/console.js",
            get(|| asset(page::SCRIPT, "text/javascript")),
        )
        // Browsers ask for it on every page: nothing, rather than a 404 in their console.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .fallback(|| async {
            Problem::not_found(
                "No such page",
                "the console has the runs (/), a run (/runs/NAME) and a pipeline (/pipelines/NAME)",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            console.clone(),
            guard::guard,
        ))
        .with_state(console)
}

async fn asset(body: &'static str, kind: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    secure(&mut response);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    response
}

/// Serves `console` on `listener` until the process is stopped.
pub async fn serve(listener: tokio::net::TcpListener, console: Arc<Console>) -> Result<(), String> {
    axum::serve(listener, router(console))
        .await
        .map_err(|error| format!("the console stopped: {error}"))
}

/// `emrflow console`.
pub async fn run(args: ConsoleArgs) -> Result<ExitCode, String> {
    let addr = address::listen_addr(&args.host, args.port)?;
    let here = std::env::current_dir()
        .map_err(|error| format!("cannot read the current directory: {error}"))?;
    let pipelines = match find_pipelines(
        &here,
        args.pipeline.clone(),
        args.pipelines.clone(),
        &mut Vec::new(),
    ) {
        Some(deployed) => deployed.load()?,
        None => BTreeMap::new(),
    };
    let backend = Backend::for_target(&args.target).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    let bound: SocketAddr = listener
        .local_addr()
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    let token = if args.allow_actions {
        Some(guard::launch_token()?)
    } else {
        None
    };
    let what = if backend.is_local() {
        format!("local executions under {}", args.target.root.display())
    } else {
        "executions on AWS".to_string()
    };
    let mode = if token.is_some() {
        "Stop and Re-run allowed"
    } else {
        "read-only"
    };
    println!("emrflow console on http://{bound}/ ({what}; {mode}); Ctrl-C stops it");
    let console = Arc::new(Console {
        backend,
        pipelines,
        token,
        hosts: guard::allowed_hosts(bound),
    });
    serve(listener, console).await?;
    Ok(ExitCode::SUCCESS)
}
