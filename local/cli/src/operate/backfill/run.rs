//! Running a backfill's plan: starts the days oldest first, at most `parallel` executions at
//! once (the followed ones count), looks at the running ones every `poll`, and prints an
//! event per line. The first Ctrl-C stops starting days and says how to stop the running
//! ones; a second one stops them (StopExecution; locally the run's SIGTERM, as
//! `emrflow stop --local`); a third leaves them running.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Write;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use emrflow_core::ErrorName;
use emrflow_executions::handlers::DailyExecutionInput;
use emrflow_executions::{ExecutionDescription, ExecutionStatus};
use serde::Serialize;

use super::plan::{Action, Day};
use crate::operate::Backend;
use crate::render::backfill::{event_line, interrupted_notice, one_line_error, Counts, Event};

/// One day as the final table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayResult {
    pub date: NaiveDate,
    pub execution: Option<String>,
    /// The execution's status at the end; None when it was never started.
    pub status: Option<ExecutionStatus>,
    pub duration_seconds: Option<i64>,
    /// What the backfill did with the day, in words.
    pub note: String,
    pub error: Option<String>,
}

impl DayResult {
    fn of(date: NaiveDate, execution: &ExecutionDescription, note: String) -> DayResult {
        let error = one_line_error(execution.error.as_deref(), execution.cause.as_deref());
        DayResult {
            date,
            execution: Some(execution.name.clone()),
            status: Some(execution.status),
            duration_seconds: execution
                .stop_date
                .map(|stop| (stop - execution.start_date).num_seconds()),
            note,
            error,
        }
    }

    fn not_started(date: NaiveDate, execution: &str, note: String, error: Option<String>) -> Self {
        DayResult {
            date,
            execution: Some(execution.to_string()),
            status: None,
            duration_seconds: None,
            note,
            error,
        }
    }
}

/// A day's execution this backfill started or follows.
struct Running {
    date: NaiveDate,
    execution: String,
    note: &'static str,
}

pub struct Runner<'a> {
    pub backend: &'a Backend,
    pub pipeline: &'a str,
    pub parallel: usize,
    pub poll: Duration,
    pub json: bool,
    pub out: &'a mut dyn Write,
}

impl Runner<'_> {
    /// Runs `planned` (`listed`: the executions it was planned from) to the end, or to the
    /// interruption; every day of it is in the answer, oldest first.
    pub async fn run(
        mut self,
        planned: &[Day],
        listed: &[ExecutionDescription],
    ) -> Result<Vec<DayResult>, String> {
        let by_name: HashMap<&str, &ExecutionDescription> = listed
            .iter()
            .map(|execution| (execution.name.as_str(), execution))
            .collect();
        let mut results: BTreeMap<NaiveDate, DayResult> = BTreeMap::new();
        let mut waiting: VecDeque<(NaiveDate, String)> = VecDeque::new();
        let mut running: Vec<Running> = Vec::new();
        for day in planned {
            let known = by_name.get(day.action.execution()).copied();
            match (&day.action, known) {
                (Action::Start { execution, .. }, _) => {
                    waiting.push_back((day.date, execution.clone()))
                }
                (Action::Follow { execution }, _) => running.push(Running {
                    date: day.date,
                    execution: execution.clone(),
                    note: "was running: followed",
                }),
                (action, Some(execution)) => {
                    results.insert(day.date, DayResult::of(day.date, execution, action.words()));
                }
                (action, None) => {
                    let result =
                        DayResult::not_started(day.date, action.execution(), action.words(), None);
                    results.insert(day.date, result);
                }
            }
        }
        let started_at = tokio::time::Instant::now();
        let mut durations: Vec<i64> = Vec::new();
        let parallel = self.parallel;
        let counts_now = |results: &BTreeMap<NaiveDate, DayResult>,
                          running: usize,
                          waiting: usize,
                          durations: &[i64]| Counts {
            elapsed_seconds: started_at.elapsed().as_secs(),
            estimate_seconds: estimate(durations, waiting, parallel),
            ..Counts::of(results, running, waiting)
        };
        let counts = counts_now(&results, running.len(), waiting.len(), &durations);
        for following in &running {
            self.emit(
                Event::Following,
                following.date,
                &following.execution,
                None,
                &counts,
            )?;
        }
        let mut interrupts = signal_stream();
        let mut stopping: Option<String> = None;
        loop {
            while stopping.is_none() && running.len() < self.parallel {
                let Some((date, name)) = waiting.pop_front() else {
                    break;
                };
                match self.start(date, &name).await {
                    Ok(()) => running.push(Running {
                        date,
                        execution: name.clone(),
                        note: "started",
                    }),
                    Err((result, refusal)) => {
                        results.insert(date, result);
                        stopping = refusal;
                    }
                }
                let counts = counts_now(&results, running.len(), waiting.len(), &durations);
                if let Some(following) = running.last().filter(|run| run.execution == name) {
                    self.emit(Event::Started, date, &following.execution, None, &counts)?;
                }
            }
            if running.is_empty() && (waiting.is_empty() || stopping.is_some()) {
                break;
            }
            let signalled = tokio::select! {
                _ = tokio::time::sleep(self.poll) => false,
                _ = next_interrupt(&mut interrupts) => true,
            };
            if signalled {
                let names: Vec<&str> = running.iter().map(|run| run.execution.as_str()).collect();
                match stopping.as_deref() {
                    Some("Ctrl-C") => {
                        anstream::eprintln!("\nCtrl-C again: stopping {}", names.join(", "));
                        for run in &running {
                            if let Err(error) = self
                                .backend
                                .executions
                                .stop(
                                    &run.execution,
                                    Some("Interrupted"),
                                    Some("stopped by a second Ctrl-C of emrflow backfill"),
                                )
                                .await
                            {
                                anstream::eprintln!("could not stop {}: {error}", run.execution);
                            }
                        }
                        stopping = Some("Ctrl-C twice".to_string());
                    }
                    Some("Ctrl-C twice") => break,
                    _ => {
                        let notice = interrupted_notice(&names, &self.backend.options);
                        anstream::eprint!("{notice}");
                        stopping = Some("Ctrl-C".to_string());
                    }
                }
            }
            let mut still = Vec::new();
            for run in running {
                match self.backend.executions.describe(&run.execution).await {
                    Ok(execution) if execution.status.has_ended() => {
                        let result = DayResult::of(run.date, &execution, run.note.to_string());
                        durations.extend(result.duration_seconds);
                        results.insert(run.date, result.clone());
                        let counts = counts_now(&results, still.len(), waiting.len(), &durations);
                        self.emit(
                            Event::Ended,
                            run.date,
                            &run.execution,
                            Some(&result),
                            &counts,
                        )?;
                        continue;
                    }
                    Ok(_) => {}
                    Err(error) => {
                        anstream::eprintln!(
                            "could not look at {}: {error} (looking again)",
                            run.execution
                        )
                    }
                }
                still.push(run);
            }
            running = still;
        }
        for run in running {
            let note = "still running when this backfill was left".to_string();
            results.insert(
                run.date,
                DayResult::not_started(run.date, &run.execution, note, None),
            );
        }
        for (date, name) in waiting {
            let note = match stopping.as_deref() {
                Some(reason) if reason.starts_with("Ctrl-C") => "not started: interrupted",
                _ => "not started: an earlier start was refused",
            };
            results.insert(
                date,
                DayResult::not_started(date, &name, note.to_string(), None),
            );
        }
        Ok(results.into_values().collect())
    }

    /// Starts one day; on failure, the day's result and, when starting more days is useless
    /// (the start itself was refused), why.
    async fn start(
        &mut self,
        date: NaiveDate,
        name: &str,
    ) -> Result<(), (DayResult, Option<String>)> {
        let input = DailyExecutionInput {
            pipeline_name: self.pipeline.to_string(),
            create_cluster: true,
            terminate_cluster: true,
            processing_date: date.format("%Y-%m-%d").to_string(),
        };
        let input = serde_json::to_string(&input).map_err(|error| {
            let result =
                DayResult::not_started(date, name, "not started".into(), Some(error.to_string()));
            (result, Some("the input could not be written".into()))
        })?;
        match self.backend.executions.start(name, &input).await {
            Ok(_) => Ok(()),
            Err(error) if error.name() == ErrorName::ExecutionAlreadyExists => {
                // Started meanwhile (the schedule, another backfill) with another input: its
                // outcome is the day's.
                let note = "started elsewhere meanwhile: not started again".to_string();
                let result = match self.backend.executions.describe(name).await {
                    Ok(execution) => DayResult::of(date, &execution, note),
                    Err(_) => DayResult::not_started(date, name, note, Some(error.to_string())),
                };
                Err((result, None))
            }
            Err(error) => {
                let text = format!("{}: {error}", error.name());
                let result =
                    DayResult::not_started(date, name, "start refused".into(), Some(text.clone()));
                Err((result, Some(text)))
            }
        }
    }

    fn emit(
        &mut self,
        event: Event,
        date: NaiveDate,
        execution: &str,
        result: Option<&DayResult>,
        counts: &Counts,
    ) -> Result<(), String> {
        let line = event_line(
            event,
            date,
            execution,
            result,
            counts,
            self.json,
            Utc::now(),
        );
        writeln!(self.out, "{line}")
            .and_then(|()| self.out.flush())
            .map_err(|error| format!("cannot write the progress: {error}"))
    }
}

/// Seconds left: the mean duration of the days ended so far times the rounds still to run.
fn estimate(durations: &[i64], waiting: usize, parallel: usize) -> Option<i64> {
    if durations.is_empty() || waiting == 0 {
        return None;
    }
    let mean = durations.iter().sum::<i64>() / durations.len() as i64;
    let rounds = waiting.div_ceil(parallel.max(1)) as i64;
    Some(mean * rounds)
}

type Interrupts = Option<tokio::signal::unix::Signal>;

fn signal_stream() -> Interrupts {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok()
}

/// The next Ctrl-C; never, when it cannot be listened for.
async fn next_interrupt(interrupts: &mut Interrupts) {
    match interrupts {
        Some(stream) => {
            stream.recv().await;
        }
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_is_the_mean_day_times_the_rounds_left() {
        // GIVEN days of 60 and 120 s ended, 5 waiting, 2 at once WHEN estimated
        // THEN three more rounds of 90 s; nothing known before a day ended
        assert_eq!(estimate(&[60, 120], 5, 2), Some(270));
        assert_eq!(estimate(&[], 5, 2), None);
        // AND none once no day waits (the running ones' ends are not guessed)
        assert_eq!(estimate(&[60], 0, 2), None);
    }
}
