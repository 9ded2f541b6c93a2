//! A pipeline's `Schedule` (README, "A schedule per pipeline"): when EventBridge Scheduler
//! starts it — a cron expression or a rate, in an IANA time zone — whether it is on, and
//! which data day a start processes. Deployed as one EventBridge Scheduler schedule per
//! pipeline (`infra/render_template.py`), whose target is start-daily.

use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::cron::Cron;
use crate::{words, EmrflowError};

/// Schedules without a Timezone run in UTC, as EventBridge Scheduler's do.
pub const DEFAULT_TIMEZONE: &str = "UTC";
/// Yesterday: a daily ETL processes the day that has just ended in its time zone.
pub const DEFAULT_PROCESSING_DAY_OFFSET: u32 = 1;
/// A larger offset is almost certainly a typo.
pub const PROCESSING_DAY_OFFSET_LIMIT: u32 = 366;

/// `Schedule` as the pipeline file writes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ScheduleSpec {
    /// EventBridge's six cron fields, without `cron(…)`: `"0 2 * * ? *"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// `"<n> minute(s)|hour(s)|day(s)"`, without `rate(…)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    /// An IANA time zone (`Europe/Berlin`); default UTC. The cron is read in it, and the
    /// processing date is the scheduled time's date in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// false deploys the schedule DISABLED; default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The processing date is the scheduled time's date minus this many days; default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_day_offset: Option<u32>,
}

/// When a schedule fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    Cron(Cron),
    Rate(Rate),
}

/// `rate(value unit)`: every `value` minutes, hours or days (a day is 24 hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub value: u32,
    pub unit: RateUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    Minutes,
    Hours,
    Days,
}

impl Rate {
    /// `"12 hours"`: a positive whole number (no leading zero) and its unit, singular for 1
    /// and plural otherwise, as EventBridge documents it.
    pub fn parse(text: &str) -> Result<Rate, String> {
        let usage = "write '<n> minute(s)|hour(s)|day(s)', e.g. '12 hours' or '1 day'";
        let (number, unit) = text
            .split_once(' ')
            .ok_or_else(|| format!("no unit ({usage})"))?;
        let value = number
            .parse::<u32>()
            .ok()
            .filter(|value| {
                *value >= 1
                    && number.chars().all(|c| c.is_ascii_digit())
                    && !number.starts_with('0')
            })
            .ok_or_else(|| format!("'{number}' is not a whole number of at least 1 ({usage})"))?;
        let (unit, singular) = match unit {
            "minute" => (RateUnit::Minutes, true),
            "minutes" => (RateUnit::Minutes, false),
            "hour" => (RateUnit::Hours, true),
            "hours" => (RateUnit::Hours, false),
            "day" => (RateUnit::Days, true),
            "days" => (RateUnit::Days, false),
            other => return Err(format!("'{other}' is not a unit ({usage})")),
        };
        if singular != (value == 1) {
            return Err(format!(
                "'{text}': EventBridge wants the singular unit for 1 and the plural otherwise ({usage})"
            ));
        }
        Ok(Rate { value, unit })
    }
}

impl ScheduleSpec {
    /// Every check, naming the key: one of Cron and Rate, each in EventBridge's dialect, a
    /// real IANA time zone, the offset in range.
    pub fn validate(&self) -> Result<(), EmrflowError> {
        self.when()?;
        self.zone()?;
        let offset = self.processing_day_offset();
        if offset > PROCESSING_DAY_OFFSET_LIMIT {
            return Err(invalid(format!(
                "key 'Schedule.ProcessingDayOffset': {offset} is outside {}",
                words::range(&(0..=PROCESSING_DAY_OFFSET_LIMIT))
            )));
        }
        Ok(())
    }

    /// The cron expression or the rate.
    pub fn when(&self) -> Result<When, EmrflowError> {
        match (&self.cron, &self.rate) {
            (Some(cron), None) => Cron::parse(unwrapped(cron, "cron", "Cron")?)
                .map(When::Cron)
                .map_err(|why| {
                    invalid(format!(
                        "key 'Schedule.Cron': '{cron}' is not a cron expression EventBridge Scheduler accepts: {why}"
                    ))
                }),
            (None, Some(rate)) => Rate::parse(unwrapped(rate, "rate", "Rate")?)
                .map(When::Rate)
                .map_err(|why| {
                    invalid(format!(
                        "key 'Schedule.Rate': '{rate}' is not a rate EventBridge Scheduler accepts: {why}"
                    ))
                }),
            (Some(_), Some(_)) => Err(invalid(
                "key 'Schedule': give Cron or Rate, not both".to_string(),
            )),
            (None, None) => Err(invalid(
                "key 'Schedule': give Cron (e.g. \"0 2 * * ? *\") or Rate (e.g. \"12 hours\")"
                    .to_string(),
            )),
        }
    }

    /// The time zone the schedule runs in.
    pub fn zone(&self) -> Result<Tz, EmrflowError> {
        let name = self.timezone_name();
        Tz::from_str(name).map_err(|_| {
            invalid(format!(
                "key 'Schedule.Timezone': '{name}' is not an IANA time zone name (e.g. Europe/Berlin, America/New_York, UTC)"
            ))
        })
    }

    pub fn timezone_name(&self) -> &str {
        self.timezone.as_deref().unwrap_or(DEFAULT_TIMEZONE)
    }

    /// `cron(…)` or `rate(…)`: the ScheduleExpression deployed.
    pub fn expression(&self) -> Result<String, EmrflowError> {
        Ok(match self.when()? {
            When::Cron(cron) => format!("cron({})", cron.text()),
            When::Rate(_) => format!("rate({})", self.rate.as_deref().unwrap_or_default()),
        })
    }

    pub fn enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }

    pub fn processing_day_offset(&self) -> u32 {
        self.processing_day_offset
            .unwrap_or(DEFAULT_PROCESSING_DAY_OFFSET)
    }

    /// The data day a start scheduled for `scheduled` processes: its date in the schedule's
    /// time zone minus ProcessingDayOffset.
    pub fn processing_date(&self, scheduled: DateTime<Utc>) -> Result<NaiveDate, EmrflowError> {
        let local = scheduled.with_timezone(&self.zone()?).date_naive();
        let offset = self.processing_day_offset();
        local
            .checked_sub_days(Days::new(offset.into()))
            .ok_or_else(|| {
                invalid(format!(
                    "the processing date of {scheduled} minus {offset} day(s) is out of range"
                ))
            })
    }

    /// The next start after `after`, for a cron schedule that is on (a rate counts from when
    /// the schedule was deployed, which only EventBridge knows).
    pub fn next_start(&self, after: DateTime<Utc>) -> Result<Option<DateTime<Tz>>, EmrflowError> {
        let zone = self.zone()?;
        Ok(match self.when()? {
            When::Cron(cron) if self.enabled() => cron
                .next_after(after, zone)
                .map(|next| next.with_timezone(&zone)),
            _ => None,
        })
    }
}

/// The fields without `cron(…)` / `rate(…)` around them, which the key already says.
fn unwrapped<'a>(text: &'a str, word: &str, key: &str) -> Result<&'a str, EmrflowError> {
    if text.trim_start().starts_with(&format!("{word}(")) {
        return Err(invalid(format!(
            "key 'Schedule.{key}': write '{}' without '{word}( )' around it",
            text.trim()
                .trim_start_matches(&format!("{word}("))
                .trim_end_matches(')')
        )));
    }
    Ok(text)
}

fn invalid(message: String) -> EmrflowError {
    EmrflowError::invalid_input(format!("pipeline spec: {message}"))
}
