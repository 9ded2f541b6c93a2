//! Whether a run may start (README, "When a run starts"): the rule Check_Start_Conditions
//! applies and the answer it gives. Its handler, check-start, lives in emrflow-executions
//! (it reads the executions through that crate's port); the rule and the answer live here,
//! beside the other handlers' answers, because the execution state carries the answer
//! (`state_size.rs` counts it) and the rule needs no call.
//!
//! **The queue.** The slot is never stored anywhere: Step Functions' own list of the
//! pipeline's RUNNING executions, ordered by start time and then name, decides. A run may go
//! when fewer than MaxConcurrentRuns of them come before it. Every execution computes the
//! same order from the same facts, so two can never both take the last slot; and an execution
//! that ends — succeeded, failed, stopped, timed out — leaves the list by ending, so no slot
//! can leak.
//!
//! **The data.** WaitFor's objects must all exist; until then the run waits for S3's events
//! (a slow heartbeat as the net), and past the deadline ends with InputNotReady naming the
//! missing ones. No cluster exists before this answer, so nothing bills while data is late.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::input::NormalizedInput;
use crate::{EmrflowError, ErrorName};

/// How often a queued run looks at the earlier runs again.
pub const QUEUE_POLL_SECONDS: u32 = 300;
/// A run that does not yet see itself in ListExecutions (eventually consistent) looks again
/// this soon: the list it read may also miss a run that started just before it.
pub const UNLISTED_POLL_SECONDS: u32 = 10;
/// The data wait's heartbeat: with S3's events it is only the net (a lost event, a bucket
/// without EventBridge notifications), so a slow one keeps a long wait cheap — three hours
/// cost about 20 state transitions. The definition's HeartbeatSeconds must be this.
pub const DATA_HEARTBEAT_SECONDS: u32 = 1800;
/// At most this many run names are listed in a message.
const NAMED_RUNS: usize = 5;

/// Check_Start_Conditions' answer: go, or how to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StartVerdict {
    Go,
    Wait,
}

/// What a waiting run waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WaitingFor {
    EarlierRuns,
    InputData,
}

use super::WakeOn;

/// `$.StartCheck`: small and of fixed size (it stays in the execution state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartCheck {
    pub verdict: StartVerdict,
    pub waiting_for: Option<WaitingFor>,
    pub wake_on: WakeOn,
    pub next_check_seconds: u32,
    /// Runs of this pipeline that started before this one and are still going.
    pub runs_ahead: u32,
    /// WaitFor objects not there yet (0 when not looked at).
    pub missing_objects: u32,
}

/// The largest `$.StartCheck` in JSON (validate-input's state size counts it).
pub const START_CHECK_JSON_BYTES: usize = 256;

/// A RUNNING execution as the queue sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedRun {
    pub execution_arn: String,
    pub name: String,
    pub start_date: DateTime<Utc>,
}

impl QueuedRun {
    fn order_key(&self) -> (DateTime<Utc>, &str) {
        (self.start_date, self.name.as_str())
    }
}

/// Where this run stands among its pipeline's running executions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueuePlace {
    /// ListExecutions does not show this run yet.
    NotListed,
    /// These runs of the pipeline come before it (oldest first).
    Behind(Vec<QueuedRun>),
}

/// The runs of `running` (already the same pipeline's) that come before `me`.
pub fn queue_place(running: &[QueuedRun], me: &str) -> QueuePlace {
    let Some(mine) = running.iter().find(|run| run.execution_arn == me) else {
        return QueuePlace::NotListed;
    };
    let mut ahead: Vec<QueuedRun> = running
        .iter()
        .filter(|run| run.order_key() < mine.order_key())
        .cloned()
        .collect();
    ahead.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    QueuePlace::Behind(ahead)
}

/// What the run is checked against: its normalized input and the clock of the state machine.
pub struct StartFacts<'a> {
    pub normalized: &'a NormalizedInput,
    pub started: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

impl StartFacts<'_> {
    fn deadline(&self, minutes: u32) -> DateTime<Utc> {
        self.started + Duration::minutes(i64::from(minutes))
    }

    /// Whole seconds from now to `deadline`, at least 1.
    fn seconds_until(&self, deadline: DateTime<Utc>) -> u32 {
        let millis = (deadline - self.now).num_milliseconds().max(0);
        u32::try_from(((millis + 999) / 1000).max(1)).unwrap_or(u32::MAX)
    }

    /// The queue's rule: Ok(None) to go on to the data, Ok(Some(wait)) to wait for earlier
    /// runs, PipelineBusy past QueueTimeoutMinutes.
    pub fn judge_queue(&self, place: &QueuePlace) -> Result<Option<StartCheck>, EmrflowError> {
        let pipeline = &self.normalized.pipeline;
        let deadline = self.deadline(pipeline.queue_timeout_minutes());
        let (ahead, poll) = match place {
            QueuePlace::NotListed => (0, UNLISTED_POLL_SECONDS),
            QueuePlace::Behind(ahead) if ahead.len() < pipeline.max_concurrent_runs() as usize => {
                return Ok(None)
            }
            QueuePlace::Behind(ahead) => (ahead.len(), QUEUE_POLL_SECONDS),
        };
        if self.now >= deadline {
            return Err(self.busy(place));
        }
        Ok(Some(StartCheck {
            verdict: StartVerdict::Wait,
            waiting_for: Some(WaitingFor::EarlierRuns),
            wake_on: WakeOn::Timer,
            next_check_seconds: poll.min(self.seconds_until(deadline)),
            runs_ahead: u32::try_from(ahead).unwrap_or(u32::MAX),
            missing_objects: 0,
        }))
    }

    fn busy(&self, place: &QueuePlace) -> EmrflowError {
        let pipeline = &self.normalized.pipeline;
        let runs = match place {
            QueuePlace::NotListed => {
                "Step Functions' list of running executions never showed this run".to_string()
            }
            QueuePlace::Behind(ahead) => {
                let named: Vec<String> = ahead
                    .iter()
                    .take(NAMED_RUNS)
                    .map(|run| {
                        format!(
                            "{} (started {})",
                            run.name,
                            run.start_date.format("%Y-%m-%d %H:%M UTC")
                        )
                    })
                    .collect();
                let more = ahead.len().saturating_sub(NAMED_RUNS);
                let more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                format!(
                    "{} earlier run(s) are still going: {}{more}",
                    ahead.len(),
                    named.join(", ")
                )
            }
        };
        EmrflowError::new(
            ErrorName::PipelineBusy,
            format!(
                "pipeline '{}' allows {} run(s) at once (MaxConcurrentRuns) and {runs}; this run (ProcessingDate {}) waited its QueueTimeoutMinutes of {} and did not start — nothing was created. When they have ended, start it again (the input key 'WaitForEarlierRuns' false starts it beside them)",
                pipeline.name,
                pipeline.max_concurrent_runs(),
                self.normalized.processing_date,
                pipeline.queue_timeout_minutes(),
            ),
        )
    }

    /// The data's rule, given the WaitFor objects still missing: go, wait, or InputNotReady
    /// past WaitFor.TimeoutMinutes.
    pub fn judge_data(&self, missing: &[String]) -> Result<StartCheck, EmrflowError> {
        let Some(wait_for) = self.normalized.pipeline.wait_for.as_ref() else {
            return Ok(go());
        };
        if missing.is_empty() {
            return Ok(go());
        }
        let deadline = self.deadline(wait_for.timeout_minutes());
        if self.now >= deadline {
            return Err(EmrflowError::new(
                ErrorName::InputNotReady,
                format!(
                    "pipeline '{}' (ProcessingDate {}): {} of the {} WaitFor object(s) did not arrive within WaitFor.TimeoutMinutes of {}: {} — no cluster was created. Once the data is there, start the day again",
                    self.normalized.pipeline.name,
                    self.normalized.processing_date,
                    missing.len(),
                    wait_for.s3.len(),
                    wait_for.timeout_minutes(),
                    missing.join(", ")
                ),
            ));
        }
        let left = self.seconds_until(deadline);
        // A deadline within the heartbeat is met by a timer (the heartbeat is fixed in the
        // definition); else S3's events wake the run, the heartbeat as the net.
        let wake_on = if left > DATA_HEARTBEAT_SECONDS {
            WakeOn::Events
        } else {
            WakeOn::Timer
        };
        Ok(StartCheck {
            verdict: StartVerdict::Wait,
            waiting_for: Some(WaitingFor::InputData),
            wake_on,
            next_check_seconds: left.min(DATA_HEARTBEAT_SECONDS),
            runs_ahead: 0,
            missing_objects: u32::try_from(missing.len()).unwrap_or(u32::MAX),
        })
    }
}

fn go() -> StartCheck {
    StartCheck {
        verdict: StartVerdict::Go,
        waiting_for: None,
        wake_on: WakeOn::Timer,
        next_check_seconds: 0,
        runs_ahead: 0,
        missing_objects: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, minute: u32) -> QueuedRun {
        QueuedRun {
            execution_arn: format!("arn:aws:states:us-east-1:1:execution:sm:{name}"),
            name: name.to_string(),
            start_date: format!("2026-11-22T06:{minute:02}:00Z").parse().unwrap(),
        }
    }

    #[test]
    fn the_order_is_start_time_then_name_and_the_same_for_everyone() {
        // GIVEN three runs, two started in the same second
        let running = [run("c", 1), run("b", 0), run("a", 0)];
        // WHEN each asks for its place THEN the earlier (and, on a tie, lower named) come first
        let place = |me: &str| match queue_place(
            &running,
            &format!("arn:aws:states:us-east-1:1:execution:sm:{me}"),
        ) {
            QueuePlace::Behind(ahead) => ahead.into_iter().map(|r| r.name).collect::<Vec<_>>(),
            QueuePlace::NotListed => panic!("listed"),
        };
        assert!(place("a").is_empty());
        assert_eq!(place("b"), ["a"]);
        assert_eq!(place("c"), ["a", "b"]);
        // AND a run the list does not show yet is told so
        assert_eq!(queue_place(&running, "arn:x"), QueuePlace::NotListed);
    }

    #[test]
    fn waits_are_capped_by_the_deadline() {
        // GIVEN a deadline 90 s away WHEN the seconds until it are counted THEN 90, at least 1
        let started: DateTime<Utc> = "2026-11-22T06:00:00Z".parse().unwrap();
        let normalized = crate::input::ExecutionInput::default();
        let pipeline = sample();
        let normalized = normalized
            .normalize(
                "run-1",
                started,
                &crate::Deployment::new("us-east-1").with_pipeline(pipeline),
            )
            .unwrap();
        let facts = StartFacts {
            normalized: &normalized,
            started,
            now: started + Duration::seconds(10),
        };
        assert_eq!(facts.seconds_until(started + Duration::seconds(100)), 90);
        assert_eq!(facts.seconds_until(started), 1);
    }

    #[test]
    fn a_start_check_fits_its_share_of_the_state() {
        // GIVEN the largest answer WHEN written as JSON THEN within START_CHECK_JSON_BYTES
        let worst = StartCheck {
            verdict: StartVerdict::Wait,
            waiting_for: Some(WaitingFor::EarlierRuns),
            wake_on: WakeOn::Events,
            next_check_seconds: u32::MAX,
            runs_ahead: u32::MAX,
            missing_objects: u32::MAX,
        };
        assert!(serde_json::to_string(&worst).unwrap().len() <= START_CHECK_JSON_BYTES);
    }

    fn sample() -> crate::PipelineSpec {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../pipelines/daily-etl.json"
        );
        crate::PipelineSpec::load(path).expect("sample pipeline")
    }
}
