//! What a backfill does with each day of its range, decided from the executions that exist
//! (one listing, no further call): the day's executions are the ones named by the daily
//! naming rule (`emrflow_core::naming::daily_attempt_name`), so running the same backfill
//! again finds what the last one started.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use emrflow_core::naming::{daily_attempt_name, parse_daily_execution_name};
use emrflow_executions::{ExecutionDescription, ExecutionStatus};
use serde::Serialize;

/// One day of the range and what is done with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Day {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub action: Action,
}

/// What a backfill does with one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum Action {
    /// An execution of the day SUCCEEDED: listed, not run again.
    Skip { execution: String },
    /// The day's latest execution is running: followed to its end, not started again.
    Follow { execution: String },
    /// Started as `execution` (attempt 1: the day never ran; N ≥ 2: `--retry-failed`
    /// after the failed attempt N - 1).
    Start {
        execution: String,
        attempt: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        retries: Option<String>,
    },
    /// The day's latest execution ended without success and `--retry-failed` was not given.
    NotRetried {
        execution: String,
        status: ExecutionStatus,
    },
}

impl Action {
    /// The execution the day is about.
    pub fn execution(&self) -> &str {
        match self {
            Action::Skip { execution }
            | Action::Follow { execution }
            | Action::Start { execution, .. }
            | Action::NotRetried { execution, .. } => execution,
        }
    }

    /// In words, for the plan and the final table.
    pub fn words(&self) -> String {
        match self {
            Action::Skip { .. } => "succeeded before: skipped".to_string(),
            Action::Follow { .. } => "running: followed".to_string(),
            Action::Start {
                retries: Some(failed),
                ..
            } => format!("re-run of {failed}"),
            Action::Start { .. } => "start".to_string(),
            Action::NotRetried { status, .. } => {
                format!("{status} before: not re-run (--retry-failed re-runs it)")
            }
        }
    }
}

/// Every day from `from` to `to` (both included), oldest first.
pub fn days_of(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days().take_while(|day| *day <= to).collect()
}

/// What to do with each of `days` of pipeline `pipeline`, given the state machine's
/// executions `listed` and, with `--missing`, the days another execution (a manual start)
/// already ran successfully (`succeeded_elsewhere`).
pub fn plan(
    pipeline: &str,
    days: &[NaiveDate],
    listed: &[ExecutionDescription],
    succeeded_elsewhere: &BTreeMap<NaiveDate, String>,
    retry_failed: bool,
) -> Vec<Day> {
    let mut by_day: BTreeMap<NaiveDate, Vec<(u32, &ExecutionDescription)>> = BTreeMap::new();
    for execution in listed {
        if let Some((date, attempt)) = parse_daily_execution_name(&execution.name, pipeline) {
            by_day.entry(date).or_default().push((attempt, execution));
        }
    }
    days.iter()
        .map(|date| {
            let mut attempts = by_day.remove(date).unwrap_or_default();
            attempts.sort_by_key(|(attempt, _)| *attempt);
            let succeeded = attempts
                .iter()
                .rev()
                .find(|(_, execution)| execution.status == ExecutionStatus::Succeeded)
                .map(|(_, execution)| execution.name.clone())
                .or_else(|| succeeded_elsewhere.get(date).cloned());
            let action = match (succeeded, attempts.last()) {
                (Some(execution), _) => Action::Skip { execution },
                (None, None) => Action::Start {
                    execution: daily_attempt_name(pipeline, *date, 1),
                    attempt: 1,
                    retries: None,
                },
                (None, Some((_, latest))) if !latest.status.has_ended() => Action::Follow {
                    execution: latest.name.clone(),
                },
                (None, Some((attempt, latest))) if retry_failed => Action::Start {
                    execution: daily_attempt_name(pipeline, *date, attempt + 1),
                    attempt: attempt + 1,
                    retries: Some(latest.name.clone()),
                },
                (None, Some((_, latest))) => Action::NotRetried {
                    execution: latest.name.clone(),
                    status: latest.status,
                },
            };
            Day {
                date: *date,
                action,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    fn execution(name: &str, status: ExecutionStatus) -> ExecutionDescription {
        ExecutionDescription {
            execution_arn: format!("arn:aws:states:us-east-1:1:execution:emrflow:{name}"),
            state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:emrflow".into(),
            name: name.into(),
            status,
            start_date: Utc::now(),
            stop_date: None,
            input: None,
            output: None,
            error: None,
            cause: None,
        }
    }

    #[test]
    fn each_day_is_skipped_followed_started_or_left_by_its_executions() {
        // GIVEN five days: one succeeded on its second attempt, one running, one failed, one
        // never run, one run by another pipeline and a manual start only
        use ExecutionStatus::*;
        let listed = [
            execution("etl-2026-11-01", Failed),
            execution("etl-2026-11-01-r2", Succeeded),
            execution("etl-2026-11-02", Running),
            execution("etl-2026-11-03", TimedOut),
            execution("other-2026-11-04", Succeeded),
            execution("manual-20261104T060000Z", Succeeded),
        ];
        let days = days_of(day("2026-11-01"), day("2026-11-05"));
        assert_eq!(days.len(), 5);
        // WHEN planned without --retry-failed
        let planned = plan("etl", &days[..4], &listed, &BTreeMap::new(), false);
        // THEN succeeded is skipped, running followed, failed left, the others started
        let actions: Vec<Action> = planned.into_iter().map(|day| day.action).collect();
        assert_eq!(
            actions,
            [
                Action::Skip {
                    execution: "etl-2026-11-01-r2".into()
                },
                Action::Follow {
                    execution: "etl-2026-11-02".into()
                },
                Action::NotRetried {
                    execution: "etl-2026-11-03".into(),
                    status: TimedOut
                },
                Action::Start {
                    execution: "etl-2026-11-04".into(),
                    attempt: 1,
                    retries: None
                },
            ]
        );
        // AND with --retry-failed the failed day is its next attempt
        let retried = plan("etl", &days[2..3], &listed, &BTreeMap::new(), true);
        assert_eq!(
            retried[0].action,
            Action::Start {
                execution: "etl-2026-11-03-r2".into(),
                attempt: 2,
                retries: Some("etl-2026-11-03".into())
            }
        );
        // AND with --missing a day a manual start ran successfully is skipped
        let elsewhere = BTreeMap::from([(day("2026-11-04"), "manual-20261104T060000Z".into())]);
        let missing = plan("etl", &days[3..], &listed, &elsewhere, false);
        assert_eq!(
            missing[0].action,
            Action::Skip {
                execution: "manual-20261104T060000Z".into()
            }
        );
        assert_eq!(missing[1].action.execution(), "etl-2026-11-05");
    }
}
