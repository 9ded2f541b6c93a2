//! Running the Wait state: how long to wait, then the clock's sleep.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Run;
use crate::definition::{State, WaitState};
use crate::error::{names, runtime, StateError};
use crate::timestamp;

impl Run<'_> {
    pub(super) async fn run_wait(
        &self,
        state: &State,
        wait: &WaitState,
        raw_input: &Value,
        context: &Value,
    ) -> Result<Value, StateError> {
        let effective = state.input_path.apply(raw_input, context, "InputPath")?;
        let duration = self.wait_duration(wait, &effective, context)?;
        self.options.clock.sleep(duration).await;
        state.output_path.apply(&effective, context, "OutputPath")
    }

    fn wait_duration(
        &self,
        wait: &WaitState,
        effective: &Value,
        context: &Value,
    ) -> Result<Duration, StateError> {
        // A scaled clock's timer runs ahead of the wall clock, so it reaches the target sooner.
        let until = |target: DateTime<Utc>| {
            (target - self.options.clock.timer_now())
                .to_std()
                .unwrap_or(Duration::ZERO)
        };
        Ok(match wait {
            WaitState::Seconds(seconds) => Duration::from_secs(*seconds),
            WaitState::Timestamp(target) => until(*target),
            WaitState::SecondsPath(path) => {
                let value = path.select_or(effective, context, names::RUNTIME, "SecondsPath")?;
                let seconds = value.as_u64().ok_or_else(|| {
                    runtime(format!(
                        "SecondsPath '{}' must select a non-negative integer, got {value}",
                        path.text()
                    ))
                })?;
                Duration::from_secs(seconds)
            }
            WaitState::TimestampPath(path) => {
                let value = path.select_or(effective, context, names::RUNTIME, "TimestampPath")?;
                let target = value.as_str().and_then(timestamp::parse).ok_or_else(|| {
                    runtime(format!(
                        "TimestampPath '{}' must select an RFC 3339 timestamp, got {value}",
                        path.text()
                    ))
                })?;
                until(target)
            }
        })
    }
}
