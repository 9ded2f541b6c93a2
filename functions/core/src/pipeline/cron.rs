//! EventBridge Scheduler's cron dialect, read strictly, and the next time it fires in a time
//! zone. No crate reads exactly this dialect (Unix cron has five fields, Quartz seven and
//! seconds, and both accept forms EventBridge refuses), so it is written here, tested against
//! the examples AWS documents (`functions/core/tests/schedule.rs`).
//!
//! Six fields: minutes (0-59), hours (0-23), day-of-month (1-31), month (1-12 or JAN-DEC),
//! day-of-week (1-7 or SUN-SAT, 1 = Sunday), year (1970-2199). Every field takes `,` `-` `*`
//! and a number's increment `n/step` (day-of-week takes no increment); exactly one of the
//! two day fields is `?`. Day-of-month also takes `L` (the last day), `LW` (the last weekday)
//! and `nW` (the weekday nearest day n); day-of-week `L` (Saturday), `dL` (the month's last
//! day d) and `d#n` (its n-th day d) — each alone in its field. A range may wrap
//! (`20-2` is 20 to 23, then 0 to 2).
//!
//! Only the documented forms pass: `*/5` (write `0/5`) and lower-case names are refused,
//! since a form EventBridge might refuse would fail the deploy instead of `emrflow validate`.
//!
//! Daylight saving time, as EventBridge Scheduler handles it: a local time that does not
//! exist that day (the clocks jump over it) is skipped; one that happens twice (the clocks go
//! back) fires once, the first time.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// The years a cron expression may name.
pub const CRON_YEARS: std::ops::RangeInclusive<u32> = 1970..=2199;

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// One field's values and spelling.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    /// The names of min, min + 1, … (months, week days).
    names: &'static [&'static str],
    /// Whether `n/step` is allowed.
    increments: bool,
}

const MINUTES: Field = Field {
    name: "minutes",
    min: 0,
    max: 59,
    names: &[],
    increments: true,
};
const HOURS: Field = Field {
    name: "hours",
    min: 0,
    max: 23,
    names: &[],
    increments: true,
};
const DAY_OF_MONTH: Field = Field {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
    increments: true,
};
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &MONTHS,
    increments: true,
};
const DAY_OF_WEEK: Field = Field {
    name: "day-of-week",
    min: 1,
    max: 7,
    names: &WEEKDAYS,
    increments: false,
};
const YEAR: Field = Field {
    name: "year",
    min: *CRON_YEARS.start(),
    max: *CRON_YEARS.end(),
    names: &[],
    increments: true,
};

/// The values a field allows, indexed by value − min.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Values {
    min: u32,
    allowed: Vec<bool>,
}

impl Values {
    fn contains(&self, value: u32) -> bool {
        value
            .checked_sub(self.min)
            .and_then(|index| self.allowed.get(index as usize))
            .copied()
            .unwrap_or(false)
    }

    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.allowed
            .iter()
            .enumerate()
            .filter(|(_, allowed)| **allowed)
            .map(|(index, _)| self.min + index as u32)
    }
}

/// Which days a cron expression fires on: one day field is `?`, the other decides.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Days {
    OfMonth(Values),
    LastOfMonth,
    LastWeekdayOfMonth,
    NearestWeekday(u32),
    OfWeek(Values),
    /// `dL`: the month's last day d (1 = Sunday).
    LastOfWeekInMonth(u32),
    /// `d#n`: the month's n-th day d.
    NthOfWeekInMonth(u32, u32),
}

/// A cron expression EventBridge Scheduler accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    /// The six fields, single-spaced: what is deployed inside `cron(…)`.
    text: String,
    minutes: Values,
    hours: Values,
    days: Days,
    months: Values,
    years: Values,
}

impl Cron {
    /// Reads the six fields (without `cron(…)` around them); the error says which field is
    /// wrong and why, in words.
    pub fn parse(text: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(format!(
                "it has {} field(s); EventBridge's cron has six: minutes hours day-of-month month day-of-week year (e.g. '0 2 * * ? *')",
                fields.len()
            ));
        }
        let days = match (fields[2] == "?", fields[4] == "?") {
            (true, true) => {
                return Err("both day fields are '?': give one of day-of-month and day-of-week, and '?' in the other".to_string())
            }
            (false, false) => {
                return Err(format!(
                    "day-of-month '{}' and day-of-week '{}' are both given: one of them must be '?'",
                    fields[2], fields[4]
                ))
            }
            (false, true) => day_of_month(fields[2])?,
            (true, false) => day_of_week(fields[4])?,
        };
        Ok(Cron {
            text: fields.join(" "),
            minutes: values(fields[0], &MINUTES)?,
            hours: values(fields[1], &HOURS)?,
            days,
            months: values(fields[3], &MONTH)?,
            years: values(fields[5], &YEAR)?,
        })
    }

    /// The six fields, single-spaced.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The first time after `after` that the expression fires in `zone` (None: never again
    /// before the end of 2199).
    pub fn next_after(&self, after: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let mut day = after.with_timezone(&zone).date_naive();
        let last_year = self.years.iter().last()? as i32;
        while day.year() <= last_year {
            if self.fires_on(day) {
                for hour in self.hours.iter() {
                    for minute in self.minutes.iter() {
                        let Some(local) = day.and_hms_opt(hour, minute, 0) else {
                            continue;
                        };
                        // A skipped local time has no instant; a repeated one fires once.
                        let Some(instant) = zone.from_local_datetime(&local).earliest() else {
                            continue;
                        };
                        if instant.with_timezone(&Utc) > after {
                            return Some(instant.with_timezone(&Utc));
                        }
                    }
                }
            }
            day = day.checked_add_signed(Duration::days(1))?;
        }
        None
    }

    fn fires_on(&self, day: NaiveDate) -> bool {
        if !(self.years.contains(day.year() as u32) && self.months.contains(day.month())) {
            return false;
        }
        let last = last_day_of_month(day);
        let weekday = day.weekday().number_from_sunday();
        match &self.days {
            Days::OfMonth(days) => days.contains(day.day()),
            Days::LastOfMonth => day.day() == last,
            Days::LastWeekdayOfMonth => day.day() == nearest_weekday(day, last),
            Days::NearestWeekday(target) => {
                *target <= last && day.day() == nearest_weekday(day, *target)
            }
            Days::OfWeek(days) => days.contains(weekday),
            Days::LastOfWeekInMonth(target) => weekday == *target && day.day() + 7 > last,
            Days::NthOfWeekInMonth(target, nth) => {
                weekday == *target && (day.day() - 1) / 7 + 1 == *nth
            }
        }
    }
}

/// The month's last day number.
fn last_day_of_month(day: NaiveDate) -> u32 {
    let (year, month) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|first| first.pred_opt())
        .map_or(28, |last| last.day())
}

/// The weekday nearest to day `target` of `day`'s month, never leaving the month (Quartz's
/// `W`, which EventBridge's cron follows): a Saturday moves to Friday, a Sunday to Monday,
/// except at the month's edges.
fn nearest_weekday(day: NaiveDate, target: u32) -> u32 {
    let last = last_day_of_month(day);
    let Some(date) = day.with_day(target) else {
        return 0;
    };
    match date.weekday() {
        Weekday::Sat if target == 1 => 3,
        Weekday::Sat => target - 1,
        Weekday::Sun if target == last => target - 2,
        Weekday::Sun => target + 1,
        _ => target,
    }
}

fn day_of_month(text: &str) -> Result<Days, String> {
    match text {
        "L" => return Ok(Days::LastOfMonth),
        "LW" => return Ok(Days::LastWeekdayOfMonth),
        _ => {}
    }
    if let Some(number) = text.strip_suffix('W') {
        let day = number_in(number, &DAY_OF_MONTH)
            .map_err(|why| format!("day-of-month '{text}': {why} ('nW' is the weekday nearest day n, alone in its field)"))?;
        return Ok(Days::NearestWeekday(day));
    }
    if text.contains(['L', 'W']) {
        return Err(format!(
            "day-of-month '{text}': L, LW and nW stand alone in their field"
        ));
    }
    values(text, &DAY_OF_MONTH).map(Days::OfMonth)
}

fn day_of_week(text: &str) -> Result<Days, String> {
    let alone = |why: &str| format!("day-of-week '{text}': {why}");
    if text == "L" {
        return Ok(Days::OfWeek(only(7, &DAY_OF_WEEK)));
    }
    if text.contains(',') && text.contains(['L', '#']) {
        return Err(alone(
            "'dL' and 'd#n' stand alone in their field (one expression only)",
        ));
    }
    if let Some(day) = text.strip_suffix('L') {
        return number_in(day, &DAY_OF_WEEK)
            .map(Days::LastOfWeekInMonth)
            .map_err(|why| alone(&why));
    }
    if let Some((day, nth)) = text.split_once('#') {
        let day = number_in(day, &DAY_OF_WEEK).map_err(|why| alone(&why))?;
        let nth = match nth {
            "1" | "2" | "3" | "4" | "5" => nth.parse::<u32>().unwrap_or(1),
            _ => {
                return Err(alone(&format!(
                    "'#{nth}' must name the 1st to 5th day of the month (#1 to #5)"
                )))
            }
        };
        return Ok(Days::NthOfWeekInMonth(day, nth));
    }
    values(text, &DAY_OF_WEEK).map(Days::OfWeek)
}

fn only(value: u32, field: &Field) -> Values {
    let mut allowed = vec![false; (field.max - field.min + 1) as usize];
    allowed[(value - field.min) as usize] = true;
    Values {
        min: field.min,
        allowed,
    }
}

/// A list field: `*`, or elements `a`, `a-b`, `a/step`, `a-b/step` separated by commas.
fn values(text: &str, field: &Field) -> Result<Values, String> {
    let wrong = |why: String| format!("{} '{text}': {why}", field.name);
    let span = field.max - field.min + 1;
    let mut allowed = vec![false; span as usize];
    if text == "*" {
        allowed.fill(true);
        return Ok(Values {
            min: field.min,
            allowed,
        });
    }
    if text == "?" {
        return Err(wrong(
            "'?' is only for one of the two day fields".to_string(),
        ));
    }
    for element in text.split(',') {
        let (range, step) = match element.split_once('/') {
            Some((_, _)) if !field.increments => {
                return Err(wrong(
                    "EventBridge takes no increment '/' in this field".to_string(),
                ))
            }
            Some(("*", step)) => {
                return Err(wrong(format!(
                    "write '{}/{step}' instead of '*/{step}' (the form AWS documents)",
                    field.min
                )))
            }
            Some((range, step)) => {
                let step = step
                    .parse::<u32>()
                    .ok()
                    .filter(|value| is_plain_number(step) && (1..=field.max).contains(value))
                    .ok_or_else(|| {
                        wrong(format!(
                            "the increment '{step}' must be a number from 1 to {}",
                            field.max
                        ))
                    })?;
                (range, step)
            }
            None => (element, 1),
        };
        let (first, last, stepped) = match range.split_once('-') {
            Some((first, last)) => (
                number_in(first, field).map_err(&wrong)?,
                number_in(last, field).map_err(&wrong)?,
                true,
            ),
            None => {
                let first = number_in(range, field).map_err(&wrong)?;
                (first, field.max, step > 1 || element.contains('/'))
            }
        };
        let last = if stepped { last } else { first };
        // A range may wrap past the field's end (hours 20-2).
        let count = if last >= first {
            last - first + 1
        } else {
            span - (first - last) + 1
        };
        let mut offset = 0;
        while offset < count {
            let value = field.min + (first - field.min + offset) % span;
            allowed[(value - field.min) as usize] = true;
            offset += step;
        }
    }
    Ok(Values {
        min: field.min,
        allowed,
    })
}

fn is_plain_number(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit())
}

/// One value of `field`: a number in its range, or (months, week days) its name in capitals.
fn number_in(text: &str, field: &Field) -> Result<u32, String> {
    if let Some(index) = field.names.iter().position(|name| *name == text) {
        return Ok(field.min + index as u32);
    }
    if field
        .names
        .iter()
        .any(|name| name.eq_ignore_ascii_case(text))
    {
        return Err(format!("write '{}' in capitals", text.to_ascii_uppercase()));
    }
    let names = if field.names.is_empty() {
        String::new()
    } else {
        format!(
            " or {}-{}",
            field.names[0],
            field.names[field.names.len() - 1]
        )
    };
    text.parse::<u32>()
        .ok()
        .filter(|value| is_plain_number(text) && (field.min..=field.max).contains(value))
        .ok_or_else(|| {
            format!(
                "'{text}' is not a value of this field ({}-{}{names})",
                field.min, field.max
            )
        })
}
