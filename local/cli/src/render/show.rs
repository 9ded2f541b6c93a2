//! `emrflow show`: one execution as the console shows it — what it was asked to do, its
//! cluster, each state with its times, each step with its attempts, states and log
//! locations (skipped steps with their reason), the error and cause, and what the logs of the
//! step that explains a failed or stopped run say.

use anstyle::AnsiColor;
use chrono::{DateTime, Utc};
use emrflow_core::cost::Cost;
use emrflow_core::emr::FailureDetails;
use emrflow_core::handlers::EnsureClusterResponse;
use emrflow_executions::{ExecutionDescription, ExecutionRecord, StepView};
use serde::Serialize;

use super::{duration_text, paint, paint_status, plain_table};
use crate::operate::cause::Explanation;

/// One execution as `show` prints it (its JSON shape with `--json`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionView {
    pub execution: ExecutionDescription,
    pub processing_date: Option<String>,
    pub pipeline: Option<String>,
    pub create_cluster: Option<bool>,
    pub terminate_cluster: Option<bool>,
    pub cluster: Option<EnsureClusterResponse>,
    pub states: Vec<StateRow>,
    /// Each step with its attempts; None when no cluster is known yet.
    pub steps: Option<Vec<StepView>>,
    /// What the last look saw running (while the execution runs).
    pub running: Vec<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// What the run cost (check-steps' estimate at its last look).
    pub cost: Option<Cost>,
    pub console_url: Option<String>,
    /// For a failed or stopped run: what the logs of the step that explains it say.
    pub why: Option<Why>,
    /// Results of this history that could not be read, in words.
    pub unreadable: Vec<String>,
}

/// The step whose logs explain how a run ended, and what they say.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Why {
    pub step: String,
    pub attempt: u32,
    pub logs: Explanation,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateRow {
    pub name: String,
    pub visits: u32,
    pub first_entered: Option<DateTime<Utc>>,
    pub last_exited: Option<DateTime<Utc>>,
    pub open: bool,
}

impl ExecutionView {
    pub fn of(
        record: &ExecutionRecord,
        steps: Option<Vec<StepView>>,
        console_url: Option<String>,
    ) -> ExecutionView {
        let failure = record.failure();
        let summary = record.summary.as_ref();
        ExecutionView {
            execution: record.execution.clone(),
            processing_date: record.processing_date(),
            pipeline: summary.map(|summary| summary.pipeline_name.clone()),
            create_cluster: summary.map(|summary| summary.create_cluster),
            terminate_cluster: summary.map(|summary| summary.terminate_cluster),
            cluster: record.cluster.clone(),
            states: record
                .states
                .iter()
                .map(|state| StateRow {
                    name: state.name.clone(),
                    visits: state.visits,
                    first_entered: state.first_entered,
                    last_exited: state.last_exited,
                    open: state.open,
                })
                .collect(),
            steps,
            running: record
                .last_check
                .as_ref()
                .map(|check| check.running.clone())
                .unwrap_or_default(),
            error: failure.as_ref().and_then(|failure| failure.error.clone()),
            cause: failure.and_then(|failure| failure.cause),
            cost: record
                .last_check
                .as_ref()
                .and_then(|check| check.cost.clone()),
            console_url,
            why: None,
            unreadable: record.unreadable.clone(),
        }
    }

    /// The text `show` prints; `next` is the command that shows the failed step's log.
    pub fn text(&self, now: DateTime<Utc>, next: Option<String>) -> String {
        let mut text = self.header(now);
        text.push_str("\nStates\n");
        text.push_str(&self.states_table());
        text.push_str("\nSteps\n");
        text.push_str(&self.steps_text());
        if let Some(error) = &self.error {
            let label = paint(AnsiColor::Red.on_default().bold(), "Error");
            text.push_str(&format!("\n{label}  {error}\n"));
        }
        if let Some(cause) = &self.cause {
            text.push_str(&format!("Cause  {cause}\n"));
        }
        // A log without a telling line adds nothing to the cause above (its JSON says so).
        let telling = self
            .why
            .as_ref()
            .filter(|why| why.logs != Explanation::NotFound);
        if let Some(why) = telling {
            text.push_str(&format!(
                "Why    step '{}' attempt {}: {}\n",
                why.step,
                why.attempt,
                why.logs.text()
            ));
        }
        for problem in &self.unreadable {
            text.push_str(&format!("Note   {problem}\n"));
        }
        if let Some(next) = next {
            text.push_str(&format!("\nNext   {next}\n"));
        }
        text
    }

    fn header(&self, now: DateTime<Utc>) -> String {
        let execution = &self.execution;
        let ran = duration_text(execution.stop_date.unwrap_or(now) - execution.start_date);
        let mut text = format!(
            "{}  {}\n  execution  {}\n",
            execution.name,
            paint_status(execution.status),
            execution.execution_arn
        );
        if let Some(url) = &self.console_url {
            text.push_str(&format!("  console    {url}\n"));
        }
        text.push_str(&format!(
            "  started    {}   ran {ran}\n",
            execution.start_date.format("%Y-%m-%d %H:%M:%S UTC")
        ));
        let plan = match (self.create_cluster, self.terminate_cluster) {
            (Some(true), Some(true)) => "create a cluster, terminate it at the end",
            (Some(true), Some(false)) => "create a cluster and keep it",
            (Some(false), Some(true)) => "reuse a cluster and terminate it",
            (Some(false), Some(false)) => "reuse a cluster and keep it",
            _ => "(input not validated)",
        };
        text.push_str(&format!(
            "  date       {}   pipeline {}   {plan}\n",
            self.processing_date.as_deref().unwrap_or("-"),
            self.pipeline.as_deref().unwrap_or("-")
        ));
        if let Some(cluster) = &self.cluster {
            let whose = if cluster.created {
                "created by this execution"
            } else {
                "reused"
            };
            let protection = if cluster.termination_protected {
                "on"
            } else {
                "off"
            };
            text.push_str(&format!(
                "  cluster    {} ({whose}; termination protection before: {protection})   logs {}\n",
                cluster.cluster_id,
                cluster.log_uri.as_deref().unwrap_or("(no LogUri)")
            ));
        }
        if let Some(cost) = &self.cost {
            text.push_str(&format!("  cost       {}\n", cost.in_words()));
        }
        text
    }

    fn states_table(&self) -> String {
        let clock = |time: Option<DateTime<Utc>>| {
            time.map(|time| time.format("%H:%M:%S").to_string())
                .unwrap_or_default()
        };
        let mut table = plain_table(["STATE", "VISITS", "FIRST ENTERED", "LAST LEFT"]);
        for state in &self.states {
            let left = if state.open && self.execution.status.has_ended() {
                "(ended here)".to_string()
            } else if state.open {
                "(in it)".to_string()
            } else {
                clock(state.last_exited)
            };
            table.add_row([
                state.name.clone(),
                state.visits.to_string(),
                clock(state.first_entered),
                left,
            ]);
        }
        table.trim_fmt() + "\n"
    }

    fn steps_text(&self) -> String {
        let Some(steps) = &self.steps else {
            return "  (no cluster yet)\n".to_string();
        };
        if steps.is_empty() {
            return if self.running.is_empty() {
                "  (no step submitted)\n".to_string()
            } else {
                format!("  running {}\n", self.running.join(", "))
            };
        }
        let mut table = plain_table([
            "STEP", "STATE", "ATTEMPT", "EMR STEP", "STARTED", "ENDED", "LOGS",
        ]);
        let mut details = String::new();
        for step in steps {
            if step.attempts.is_empty() {
                table.add_row([step.name.as_str(), step.state.as_str(), "", "", "", "", ""]);
            }
            if let Some(reason) = &step.skip_reason {
                details.push_str(&format!("  └ {} {}: {reason}\n", step.name, step.state));
            }
            for (index, attempt) in step.attempts.iter().enumerate() {
                let (name, state) = if index == 0 {
                    (step.name.clone(), step.state.to_string())
                } else {
                    (String::new(), String::new())
                };
                table.add_row([
                    name,
                    state,
                    format!("{} ({})", attempt.attempt, attempt.state),
                    attempt.step_id.clone(),
                    time_of_day(attempt.started_at.as_deref()),
                    time_of_day(attempt.ended_at.as_deref()),
                    attempt.log_location.clone().unwrap_or_default(),
                ]);
                if let Some(failure) = &attempt.failure_details {
                    details.push_str(&format!(
                        "  └ {} attempt {}: {}\n",
                        step.name,
                        attempt.attempt,
                        FailureDetails::describe(Some(failure))
                    ));
                }
            }
        }
        table.trim_fmt() + "\n" + &details
    }
}

/// `06:05:00` of an RFC 3339 time (the text as it is when it is not one).
fn time_of_day(time: Option<&str>) -> String {
    time.map(|text| {
        emrflow_executions::events::parse_time(text)
            .map(|time| time.format("%H:%M:%S").to_string())
            .unwrap_or_else(|| text.to_string())
    })
    .unwrap_or_default()
}
