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

impl Timings {
    /// Provisioning (STARTING and BOOTSTRAPPING together, bootstrap actions' own time aside)
    /// takes `total`: two thirds STARTING, as EC2 instances start, one third BOOTSTRAPPING —
    /// the default's split (1 s + 0.5 s). `emrflow local emr --provisioning-seconds`.
    pub fn with_provisioning(mut self, total: Duration) -> Self {
        self.bootstrap = total / 3;
        self.startup = total - self.bootstrap;
        self
    }

    /// How long STARTING and BOOTSTRAPPING take together (bootstrap actions' own time aside).
    pub fn provisioning(&self) -> Duration {
        self.startup + self.bootstrap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioning_is_split_two_thirds_starting_one_third_bootstrapping() {
        // GIVEN the default timings, 1.5 s of provisioning
        let default = Timings::default();
        assert_eq!(default.provisioning(), Duration::from_millis(1500));
        // WHEN provisioning is set to 7 minutes, or to nothing
        let slow = Timings::default().with_provisioning(Duration::from_secs(420));
        let instant = Timings::default().with_provisioning(Duration::ZERO);
        // THEN STARTING and BOOTSTRAPPING add up to it, in the default's proportion
        assert_eq!(slow.startup, Duration::from_secs(280));
        assert_eq!(slow.bootstrap, Duration::from_secs(140));
        assert_eq!(instant.provisioning(), Duration::ZERO);
        // AND the default split is the same one
        assert_eq!(
            Timings::default().with_provisioning(Duration::from_millis(1500)),
            default
        );
        // AND nothing else changes
        assert_eq!(slow.terminate, default.terminate);
    }
}
