//! Serves a local EMR without the emrflow CLI: `cargo run -p emrflow-local-emr --example
//! serve -- [ADDR] [ROOT]` (defaults 127.0.0.1:4599 and .local).

use emrflow_local_emr::{LocalEmr, LocalEmrConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:4599".to_string());
    let root = args.next().unwrap_or_else(|| ".local".to_string());
    let emr = LocalEmr::new(LocalEmrConfig::new(root));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "local EMR on http://{} (root {})",
        listener.local_addr()?,
        emr.root().display()
    );
    emr.serve(listener).await
}
