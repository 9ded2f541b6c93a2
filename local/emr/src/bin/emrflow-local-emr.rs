//! Serves a local EMR without the emrflow CLI (the process-tree tests run it, to kill it):
//! `cargo run -p emrflow-local-emr -- [ADDR] [ROOT]` (defaults 127.0.0.1:4599 and .local;
//! loopback only, as `emrflow local emr`).
//! The first line on stdout is `local EMR on http://<addr> (root <root>)`.

use std::io::Write;
use std::process::ExitCode;

use emrflow_local_emr::{loopback, LocalEmr, LocalEmrConfig};

#[tokio::main]
async fn main() -> ExitCode {
    match serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("emrflow-local-emr: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:4599".to_string());
    let root = args.next().unwrap_or_else(|| ".local".to_string());
    let addr = loopback::parse_listen_addr(&addr)?;
    let emr = LocalEmr::new(LocalEmrConfig::new(root));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    let bound = listener.local_addr().map_err(|error| error.to_string())?;
    let root = emr.root().to_path_buf();
    let stopped = emr
        .serve_until_signalled(listener, || {
            let mut stdout = std::io::stdout();
            // A closed stdout is no reason not to serve.
            let _ = writeln!(
                stdout,
                "local EMR on http://{bound} (root {})",
                root.display()
            )
            .and_then(|()| stdout.flush());
        })
        .await
        .map_err(|error| error.to_string())?;
    let by = stopped.signal.unwrap_or("the listener failing");
    eprintln!(
        "stopped by {by}: terminated {} local cluster(s) {}",
        stopped.clusters.len(),
        stopped.clusters.join(", ")
    );
    Ok(())
}
