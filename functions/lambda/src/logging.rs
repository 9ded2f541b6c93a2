//! The functions' logging: one JSON object per line for CloudWatch (which stamps the time
//! itself, so none is written), level from RUST_LOG (default info) in its simple form — `info`
//! or `warn,emrflow_core=debug`, targets only, so a cold start compiles no filter expressions.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the subscriber; a second call (e.g. in tests) is a harmless no-op.
pub fn init_tracing() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| text.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .without_time()
                .with_target(false)
                .with_current_span(false),
        )
        .try_init();
}
