//! `emrflow cost --pipeline NAME --from D --to D`: what a pipeline's runs of those processing
//! days cost, summed per day and in all — each run's estimate as its output's `Cost` says
//! (README, "What a run cost"). The runs are found as `runs --pipeline` finds them
//! (`scan.rs`, the newest 500), each read whole for its last look's `Cost`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use clap::Args;
use serde::Serialize;

use super::scan::scan_executions;
use super::{json_text, Backend, Printed, Target};
use crate::render::plain_table;

#[derive(Args, Debug, Clone)]
pub struct CostArgs {
    /// The pipeline (the PipelineName in its executions' input).
    #[arg(long)]
    pub pipeline: String,
    /// The first processing date (YYYY-MM-DD).
    #[arg(long)]
    pub from: NaiveDate,
    /// The last processing date (YYYY-MM-DD), included.
    #[arg(long)]
    pub to: NaiveDate,
    #[command(flatten)]
    pub target: Target,
}

/// One processing day: its runs, what the priced ones cost, and the runs not priced.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayCost {
    pub runs: usize,
    pub estimated_usd: f64,
    pub unpriced_runs: usize,
}

/// The answer: each day with a run, and the sum.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineCost {
    pub pipeline: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: BTreeMap<NaiveDate, DayCost>,
    pub total_usd: f64,
    pub unpriced_runs: usize,
}

pub async fn cost(backend: &Backend, args: &CostArgs) -> Result<Printed, String> {
    if args.from > args.to {
        return Err(format!(
            "--from {} is after --to {}: give the first day, then the last",
            args.from, args.to
        ));
    }
    let mut matching = Vec::new();
    scan_executions(backend, None, |scanned| {
        if scanned.pipeline.as_deref() == Some(args.pipeline.as_str()) {
            matching.push(scanned);
        }
        true
    })
    .await?;
    let mut days: BTreeMap<NaiveDate, DayCost> = BTreeMap::new();
    for scanned in matching {
        let record = scanned.into_record(backend).await?;
        let Some(day) = record
            .processing_date()
            .and_then(|text| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok())
            .filter(|day| (args.from..=args.to).contains(day))
        else {
            continue;
        };
        let estimate = record
            .last_check
            .as_ref()
            .and_then(|check| check.cost.as_ref())
            .map(|cost| cost.estimated_usd);
        let entry = days.entry(day).or_default();
        entry.runs += 1;
        match estimate {
            Some(usd) => entry.estimated_usd += usd,
            None => entry.unpriced_runs += 1,
        }
    }
    let answer = PipelineCost {
        pipeline: args.pipeline.clone(),
        from: args.from,
        to: args.to,
        total_usd: days.values().map(|day| day.estimated_usd).sum(),
        unpriced_runs: days.values().map(|day| day.unpriced_runs).sum(),
        days,
    };
    if args.target.json {
        return json_text(&answer).map(Printed::ok);
    }
    Ok(Printed::ok(cost_text(&answer)))
}

/// The table a person reads: a line per day with a run, then the sum.
pub fn cost_text(answer: &PipelineCost) -> String {
    let mut table = plain_table(["DATE", "RUNS", "ESTIMATED", "NOT PRICED"]);
    for (day, cost) in &answer.days {
        table.add_row([
            day.to_string(),
            cost.runs.to_string(),
            format!("${:.2}", cost.estimated_usd),
            cost.unpriced_runs.to_string(),
        ]);
    }
    let runs: usize = answer.days.values().map(|day| day.runs).sum();
    let unpriced = match answer.unpriced_runs {
        0 => String::new(),
        count => format!(" ({count} run(s) without a cost estimate: not in the sum)"),
    };
    format!(
        "{}\n{}: ${:.2} estimated over {runs} run(s) of {} to {}{unpriced}; EC2 and EMR list prices only (see each run's Cost basis)\n",
        table.trim_fmt(),
        answer.pipeline,
        answer.total_usd,
        answer.from,
        answer.to
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_listed_and_summed_and_unpriced_runs_said() {
        // GIVEN two priced runs of one day and an unpriced run of the next
        let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date");
        let answer = PipelineCost {
            pipeline: "daily-etl".into(),
            from: day("2026-11-20"),
            to: day("2026-11-21"),
            days: BTreeMap::from([
                (
                    day("2026-11-20"),
                    DayCost {
                        runs: 2,
                        estimated_usd: 2.5,
                        unpriced_runs: 0,
                    },
                ),
                (
                    day("2026-11-21"),
                    DayCost {
                        runs: 1,
                        estimated_usd: 0.0,
                        unpriced_runs: 1,
                    },
                ),
            ]),
            total_usd: 2.5,
            unpriced_runs: 1,
        };
        // WHEN written THEN a line per day and the sum, saying what is not in it
        let text = cost_text(&answer);
        assert!(text.contains("2026-11-20  2     $2.50"), "{text}");
        assert!(text.contains(
            "daily-etl: $2.50 estimated over 3 run(s) of 2026-11-20 to 2026-11-21 (1 run(s) without a cost estimate: not in the sum)"
        ), "{text}");
    }
}
