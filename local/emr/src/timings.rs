//! How long a local cluster's phases take.

use std::time::Duration;

/// How long the simulated phases take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timings {
    /// Time in STARTING.
    pub startup: Duration,
    /// Time in BOOTSTRAPPING (after the bootstrap actions ran).
    pub bootstrap: Duration,
    /// Time in TERMINATING.
    pub terminate: Duration,
    /// How often a cluster's scheduler looks again without being woken (idle timeout checks).
    pub poll: Duration,
    /// How long one second of `AutoTerminationPolicy.IdleTimeout` lasts (tests shrink it).
    pub idle_second: Duration,
    /// How long a stopped step's processes get between SIGTERM and SIGKILL.
    pub stop_grace: Duration,
}

impl Default for Timings {
    /// Realistic-feeling but short, for a local demo (~1.5 s to a ready cluster).
    fn default() -> Self {
        Timings {
            startup: Duration::from_millis(1000),
            bootstrap: Duration::from_millis(500),
            terminate: Duration::from_millis(500),
            poll: Duration::from_millis(200),
            idle_second: Duration::from_secs(1),
            stop_grace: Duration::from_secs(2),
        }
    }
}

impl Timings {
    /// Millisecond phases for tests.
    pub fn fast() -> Self {
        Timings {
            startup: Duration::from_millis(10),
            bootstrap: Duration::from_millis(10),
            terminate: Duration::from_millis(10),
            poll: Duration::from_millis(5),
            idle_second: Duration::from_millis(1),
            stop_grace: Duration::from_millis(200),
        }
    }
}
