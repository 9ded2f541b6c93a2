//! The one logging set-up: JSON for Lambda (CloudWatch stamps the time itself, so none is
//! written; level from RUST_LOG, default info), readable lines on stderr for the CLI (level
//! from EMRFLOW_LOG, default warn, so progress output stays clean).

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Where the logs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Every Lambda function: one JSON object per line.
    Lambda,
    /// The `emrflow` command: human-readable lines on stderr.
    Terminal,
}

/// Installs the subscriber; a second call (e.g. in tests) is a harmless no-op. The level
/// comes as RUST_LOG's simple form: `info`, or `warn,emrflow_core=debug` (targets, no span or
/// field filters, so the functions' cold start compiles no filter expressions).
pub fn init_tracing(format: LogFormat) {
    let (variable, default) = match format {
        LogFormat::Lambda => ("RUST_LOG", LevelFilter::INFO),
        LogFormat::Terminal => ("EMRFLOW_LOG", LevelFilter::WARN),
    };
    let filter = std::env::var(variable)
        .ok()
        .and_then(|text| text.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(default));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Lambda => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .without_time()
                    .with_target(false)
                    .with_current_span(false),
            )
            .try_init(),
        LogFormat::Terminal => registry
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .try_init(),
    };
}
