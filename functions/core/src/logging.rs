//! The one logging set-up: JSON for Lambda (CloudWatch stamps the time itself, so none is
//! written; level from RUST_LOG, default info), readable lines on stderr for the CLI (level
//! from EMRFLOW_LOG, default warn, so progress output stays clean).

/// Where the logs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Every Lambda function: one JSON object per line.
    Lambda,
    /// The `emrflow` command: human-readable lines on stderr.
    Terminal,
}

/// Installs the subscriber; a second call (e.g. in tests) is a harmless no-op.
pub fn init_tracing(format: LogFormat) {
    let (variable, default) = match format {
        LogFormat::Lambda => ("RUST_LOG", "info"),
        LogFormat::Terminal => ("EMRFLOW_LOG", "warn"),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env(variable)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match format {
        LogFormat::Lambda => builder
            .json()
            .without_time()
            .with_target(false)
            .with_current_span(false)
            .try_init(),
        LogFormat::Terminal => builder.with_writer(std::io::stderr).try_init(),
    };
}
