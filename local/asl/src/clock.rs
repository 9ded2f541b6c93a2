//! Clocks: where the interpreter gets "now" and how it waits.
//!
//! A clock keeps two times apart. `now` is what is recorded (history timestamps, the
//! execution's start and stop dates, the context object's times): wall-clock time, except on
//! a virtual clock. `timer_now` is the time `sleep` waits in, which deadlines are measured
//! against (TimeoutSeconds, HeartbeatSeconds, a Wait's Timestamp): a ScaledClock runs it
//! faster than the wall clock, so scaling shortens waits and never changes a record.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Source of time for an execution: event timestamps, `$$` times, Wait and Retry delays.
#[async_trait]
pub trait Clock: Send + Sync {
    /// The time to record: event timestamps, the execution's start and stop dates, `$$`
    /// times. Wall-clock time on a real or scaled clock.
    fn now(&self) -> DateTime<Utc>;
    /// The time `sleep` waits in and deadlines are measured against. It is `now` except on a
    /// ScaledClock, where it runs `1 / factor` times faster.
    fn timer_now(&self) -> DateTime<Utc> {
        self.now()
    }
    /// Waits `duration` of this clock's timer time.
    async fn sleep(&self, duration: Duration);
    /// True when `sleep` returns at once and only moves the clock forward (virtual time).
    /// Timeouts then cannot race a real timer, so the interpreter judges them after the
    /// fact from the clock time the guarded work consumed.
    fn is_virtual(&self) -> bool {
        false
    }
}

/// Wall-clock time; sleeps really sleep.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealClock;

#[async_trait]
impl Clock for RealClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Waits that run `1 / factor` times faster than real time: with factor 0.01 a 60 s Wait
/// takes 0.6 s, and `timer_now()` advances 60 s over it. What is recorded stays wall-clock
/// time: `now()` advances 0.6 s.
#[derive(Debug, Clone)]
pub struct ScaledClock {
    factor: f64,
    origin_wall: DateTime<Utc>,
    origin_instant: Instant,
}

impl ScaledClock {
    /// `factor` is real seconds per clock second; values that are not finite and positive
    /// fall back to 1.0 (real time) rather than dividing by zero.
    pub fn new(factor: f64) -> Self {
        let factor = if factor.is_finite() && factor > 0.0 {
            factor
        } else {
            1.0
        };
        Self {
            factor,
            origin_wall: Utc::now(),
            origin_instant: Instant::now(),
        }
    }

    pub fn factor(&self) -> f64 {
        self.factor
    }
}

#[async_trait]
impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn timer_now(&self) -> DateTime<Utc> {
        let real_elapsed = self.origin_instant.elapsed().as_secs_f64();
        let clock_elapsed = Duration::from_secs_f64(real_elapsed / self.factor);
        self.origin_wall + chrono::Duration::from_std(clock_elapsed).unwrap_or_default()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration.mul_f64(self.factor)).await;
    }
}

/// Virtual time: `sleep` advances the clock instantly, so long Waits and Retry back-offs
/// cost nothing in tests. Every sleep is recorded for assertions.
///
/// A callback task waiting on this clock moves it to its HeartbeatSeconds or TimeoutSeconds
/// deadline itself (a clock sleep) once nothing else can happen: no callback, no heartbeat
/// and no other sleep on this clock for a few milliseconds in which every other task had
/// its turn. Whoever answers a callback advances time by sleeping on this same clock.
#[derive(Debug)]
pub struct VirtualClock {
    state: Mutex<VirtualState>,
}

#[derive(Debug)]
struct VirtualState {
    now: DateTime<Utc>,
    sleeps: Vec<Duration>,
}

impl VirtualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            state: Mutex::new(VirtualState {
                now: start,
                sleeps: Vec::new(),
            }),
        }
    }

    /// Moves the clock forward without recording a sleep.
    pub fn advance(&self, duration: Duration) {
        let mut state = self.lock();
        state.now += chrono::Duration::from_std(duration).unwrap_or_default();
    }

    /// Every duration passed to `sleep`, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VirtualState> {
        // A panic while holding this lock cannot leave the state half-updated, so a
        // poisoned lock is still safe to use.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self::new(Utc::now())
    }
}

#[async_trait]
impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        self.lock().now
    }

    async fn sleep(&self, duration: Duration) {
        {
            let mut state = self.lock();
            state.now += chrono::Duration::from_std(duration).unwrap_or_default();
            state.sleeps.push(duration);
        }
        // Let concurrent branches make progress, as a real sleep would.
        tokio::task::yield_now().await;
    }

    fn is_virtual(&self) -> bool {
        true
    }
}
