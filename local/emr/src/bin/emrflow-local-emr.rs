//! Serves a local EMR without the emrflow CLI (the process-tree tests run it, to kill it):
//! `cargo run -p emrflow-local-emr -- [ADDR] [ROOT]` (defaults 127.0.0.1:4599 and .local).
//! The first line on stdout is `local EMR on http://<addr> (root <root>)`.

use std::io::Write;

use emrflow_local_emr::{LocalEmr, LocalEmrConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:4599".to_string());
    let root = args.next().unwrap_or_else(|| ".local".to_string());
    let emr = LocalEmr::new(LocalEmrConfig::new(root));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let mut stdout = std::io::stdout();
    writeln!(
        stdout,
        "local EMR on http://{} (root {})",
        listener.local_addr()?,
        emr.root().display()
    )?;
    stdout.flush()?;
    let stopped = emr.serve_until_signalled(listener).await?;
    let by = stopped.signal.unwrap_or("the listener failing");
    eprintln!(
        "stopped by {by}: terminated {} local cluster(s) {}",
        stopped.clusters.len(),
        stopped.clusters.join(", ")
    );
    Ok(())
}
