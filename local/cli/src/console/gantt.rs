//! A Gantt of every attempt on one time axis: a row per step, a bar per attempt from its
//! start to its end (to now while it runs), coloured by the attempt's state, so steps side
//! by side overlap, retries sit one after the other in their row, and the time an attempt
//! waited in EMR's queue shows as a pale lead-in: from the last Submit_Pipeline_Steps before
//! it started (the history says when steps were submitted, not which ones, so this is the
//! wait since the latest submission).

use chrono::{DateTime, Duration, Utc};
use emrflow_core::emr::PipelineStepState;
use emrflow_executions::events::{entered_state, parse_time, timestamp};
use emrflow_executions::StepView;
use maud::{html, Markup};
use serde_json::Value;

use super::graph::shorten;
use super::page::attempt_class;

const LABEL_WIDTH: f64 = 190.0;
const CHART_WIDTH: f64 = 760.0;
const ROW_HEIGHT: f64 = 22.0;
const AXIS_HEIGHT: f64 = 24.0;
/// The state that submits steps (README, "The state machine").
const SUBMIT_STATE: &str = "Submit_Pipeline_Steps";
/// Tick spacings to choose from, in seconds.
const TICKS: [i64; 16] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200,
];

/// When steps were submitted: each entry into Submit_Pipeline_Steps.
pub fn submissions(events: &[Value]) -> Vec<DateTime<Utc>> {
    events
        .iter()
        .filter(|event| entered_state(event) == Some(SUBMIT_STATE))
        .filter_map(timestamp)
        .collect()
}

/// One bar: an attempt placed on the axis.
struct Bar<'a> {
    row: usize,
    step: &'a str,
    attempt: u32,
    state: PipelineStepState,
    queued_from: Option<DateTime<Utc>>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// The chart of `steps` between `from` (the execution's start) and `until` (its end, or
/// now); `submitted` are the submission times.
pub fn gantt(
    steps: &[StepView],
    submitted: &[DateTime<Utc>],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Markup {
    let rows: Vec<&StepView> = steps
        .iter()
        .filter(|step| !step.attempts.is_empty())
        .collect();
    let mut bars = Vec::new();
    for (row, step) in rows.iter().enumerate() {
        for attempt in &step.attempts {
            let started = attempt.started_at.as_deref().and_then(parse_time);
            let ended = attempt.ended_at.as_deref().and_then(parse_time);
            let latest_submission =
                |before: DateTime<Utc>| submitted.iter().rev().find(|at| **at <= before).copied();
            let (queued_from, start) = match started {
                Some(start) => (latest_submission(start).filter(|at| *at < start), start),
                // Not started: waiting in EMR's queue since it was submitted.
                None => (None, latest_submission(until).unwrap_or(from)),
            };
            let end = ended.unwrap_or(until).max(start);
            bars.push(Bar {
                row,
                step: &step.name,
                attempt: attempt.attempt,
                state: attempt.state,
                queued_from,
                start,
                end,
            });
        }
    }
    let last = bars
        .iter()
        .map(|bar| bar.end)
        .max()
        .unwrap_or(until)
        .max(until);
    let span = (last - from).num_milliseconds().max(1000) as f64;
    let x = |at: DateTime<Utc>| {
        LABEL_WIDTH + ((at - from).num_milliseconds().max(0) as f64 / span * CHART_WIDTH)
    };
    let width = LABEL_WIDTH + CHART_WIDTH + 20.0;
    let height = AXIS_HEIGHT + rows.len() as f64 * ROW_HEIGHT + 6.0;
    let tick = TICKS
        .into_iter()
        .find(|seconds| span / 1000.0 / *seconds as f64 <= 8.0)
        .unwrap_or(86400);
    let ticks = (span / 1000.0 / tick as f64) as i64;
    html! {
        svg.gantt xmlns="http://www.w3.org/2000/svg" role="img"
            aria-label="every attempt on one time axis"
            width=(width) height=(height) viewBox={"0 0 " (width) " " (height)} {
            @for n in 0..=ticks {
                @let at = x(from + Duration::seconds(n * tick));
                line.tick x1=(at) x2=(at) y1=(AXIS_HEIGHT - 4.0) y2=(height) {}
                text.tick-label x=(at) y="14" text-anchor="middle" { (offset_text(n * tick)) }
            }
            @for (row, step) in rows.iter().enumerate() {
                @let y = AXIS_HEIGHT + row as f64 * ROW_HEIGHT;
                text.row-label x="4" y=(y + 15.0) { title { (step.name) } (shorten(&step.name, 26)) }
            }
            @for bar in &bars {
                @let y = AXIS_HEIGHT + bar.row as f64 * ROW_HEIGHT + 4.0;
                @if let Some(queued) = bar.queued_from {
                    rect.queued x=(x(queued)) y=(y) width=((x(bar.start) - x(queued)).max(1.0))
                        height=(ROW_HEIGHT - 8.0) {
                        title { (bar.step) " attempt " (bar.attempt) ": queued " (seconds_text(bar.start - queued)) }
                    }
                }
                rect.bar.(attempt_class(bar.state)) data-step=(bar.step) data-attempt=(bar.attempt)
                    x=(x(bar.start)) y=(y) width=((x(bar.end) - x(bar.start)).max(2.0))
                    height=(ROW_HEIGHT - 8.0) rx="2" {
                    title {
                        (bar.step) " attempt " (bar.attempt) ": " (bar.state.as_str()) ", "
                        (seconds_text(bar.end - bar.start))
                    }
                }
            }
        }
    }
}

/// `+0s`, `+30s`, `+5m`, `+1h30m`.
fn offset_text(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("+{s}s"),
        s if s < 3600 && s % 60 == 0 => format!("+{}m", s / 60),
        s if s < 3600 => format!("+{}m{:02}s", s / 60, s % 60),
        s if s % 3600 == 0 => format!("+{}h", s / 3600),
        s => format!("+{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

fn seconds_text(duration: Duration) -> String {
    crate::render::duration_text(duration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use emrflow_core::emr::StepState;
    use emrflow_core::handlers::AttemptReport;

    fn at(seconds: i64) -> DateTime<Utc> {
        parse_time("2026-11-22T06:00:00Z").expect("a time") + Duration::seconds(seconds)
    }

    fn attempt(
        number: u32,
        state: StepState,
        start: Option<i64>,
        end: Option<i64>,
    ) -> AttemptReport {
        AttemptReport {
            attempt: number,
            step_id: format!("s-{number}"),
            state: state.into(),
            started_at: start.map(|s| at(s).to_rfc3339()),
            ended_at: end.map(|s| at(s).to_rfc3339()),
            log_location: None,
            failure_details: None,
        }
    }

    #[test]
    fn every_attempt_is_one_bar_and_a_wait_after_submission_shows_as_queued() {
        // GIVEN curate failed then completed, stats ran beside it after queueing 20 s, and
        // a step skipped (no attempt)
        let steps = vec![
            StepView {
                skip_reason: None,
                name: "curate".into(),
                state: PipelineStepState::Completed,
                attempts: vec![
                    attempt(1, StepState::Failed, Some(10), Some(40)),
                    attempt(2, StepState::Completed, Some(70), Some(100)),
                ],
            },
            StepView {
                skip_reason: None,
                name: "stats".into(),
                state: PipelineStepState::Running,
                attempts: vec![attempt(1, StepState::Running, Some(30), None)],
            },
            StepView {
                skip_reason: None,
                name: "report".into(),
                state: PipelineStepState::Skipped,
                attempts: vec![],
            },
        ];
        // WHEN charted at +120 s with submissions at +10 s and +70 s
        let svg = gantt(&steps, &[at(10), at(70)], at(0), at(120)).into_string();
        // THEN three bars in two rows, coloured by attempt, and one queued lead-in (stats)
        assert_eq!(svg.matches("<rect class=\"bar ").count(), 3, "{svg}");
        assert!(svg.contains("class=\"bar st-failed\" data-step=\"curate\" data-attempt=\"1\""));
        assert!(svg.contains("class=\"bar st-running\" data-step=\"stats\""));
        assert_eq!(svg.matches("<rect class=\"queued\"").count(), 1);
        assert!(!svg.contains("report"));
    }

    #[test]
    fn ticks_are_offsets_from_the_start_in_round_steps() {
        // GIVEN spans WHEN named THEN as a person reads them
        assert_eq!(offset_text(30), "+30s");
        assert_eq!(offset_text(300), "+5m");
        assert_eq!(offset_text(5400), "+1h30m");
    }
}
