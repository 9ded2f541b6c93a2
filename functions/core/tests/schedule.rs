//! A pipeline's Schedule: EventBridge Scheduler's cron dialect against the examples AWS
//! documents, rates, time zones and daylight saving time, the processing day — and every
//! form EventBridge would refuse, refused naming the key.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use emrflow_core::pipeline::{Cron, Rate, RateUnit, ScheduleSpec};
use emrflow_core::{ErrorName, PipelineSpec};
use serde_json::{json, Value};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// The next `count` times `cron` fires after `after`, in `zone`, as UTC RFC 3339 text.
fn next(cron: &str, zone: Tz, after: &str, count: usize) -> Vec<String> {
    let cron = Cron::parse(cron).unwrap_or_else(|why| panic!("{cron}: {why}"));
    let mut at = utc(after);
    let mut times = Vec::new();
    for _ in 0..count {
        at = cron.next_after(at, zone).expect("fires again");
        times.push(at.format("%Y-%m-%dT%H:%MZ").to_string());
    }
    times
}

#[test]
fn the_examples_aws_documents_fire_when_aws_says() {
    // GIVEN AWS's documented examples (UTC) WHEN asked for their next times after
    // Friday 2026-11-20 THEN each fires as its documented meaning says
    let friday = "2026-11-20T12:00:00Z";
    // Run at 10:00 am every day.
    assert_eq!(
        next("0 10 * * ? *", Tz::UTC, friday, 2),
        ["2026-11-21T10:00Z", "2026-11-22T10:00Z"]
    );
    // Run at 12:15 pm every day.
    assert_eq!(
        next("15 12 * * ? *", Tz::UTC, friday, 1),
        ["2026-11-20T12:15Z"]
    );
    // Run at 6:00 pm Monday through Friday.
    assert_eq!(
        next("0 18 ? * MON-FRI *", Tz::UTC, friday, 2),
        ["2026-11-20T18:00Z", "2026-11-23T18:00Z"]
    );
    // Run at 8:00 am every first day of the month.
    assert_eq!(
        next("0 8 1 * ? *", Tz::UTC, friday, 2),
        ["2026-12-01T08:00Z", "2027-01-01T08:00Z"]
    );
    // Run every 15 minutes.
    assert_eq!(
        next("0/15 * * * ? *", Tz::UTC, friday, 3),
        [
            "2026-11-20T12:15Z",
            "2026-11-20T12:30Z",
            "2026-11-20T12:45Z"
        ]
    );
    // Run every 10 minutes Monday through Friday.
    assert_eq!(
        next("0/10 * ? * MON-FRI *", Tz::UTC, "2026-11-20T23:55:00Z", 1),
        ["2026-11-23T00:00Z"]
    );
    // Run every 5 minutes Monday through Friday between 8:00 am and 5:55 pm.
    assert_eq!(
        next("0/5 8-17 ? * MON-FRI *", Tz::UTC, "2026-11-20T17:52:00Z", 2),
        ["2026-11-20T17:55Z", "2026-11-23T08:00Z"]
    );
    // Run every 30 minutes Monday through Friday between 10:00 pm and 2:00 am (a range
    // that wraps past midnight).
    assert_eq!(
        next(
            "0/30 20-2 ? * MON-FRI *",
            Tz::UTC,
            "2026-11-20T02:00:00Z",
            3
        ),
        [
            "2026-11-20T02:30Z",
            "2026-11-20T20:00Z",
            "2026-11-20T20:30Z"
        ]
    );
    // Run at 9:00 am on the first Monday of each month.
    assert_eq!(
        next("0 9 ? * 2#1 *", Tz::UTC, friday, 1),
        ["2026-12-07T09:00Z"]
    );
}

#[test]
fn last_days_and_nearest_weekdays_follow_the_calendar() {
    // GIVEN L, LW, nW and dL WHEN asked for their next times THEN the calendar decides
    // The last day of the month.
    assert_eq!(
        next("0 23 L * ? *", Tz::UTC, "2026-11-20T00:00:00Z", 2),
        ["2026-11-30T23:00Z", "2026-12-31T23:00Z"]
    );
    // The last weekday of May 2026 (the 31st is a Sunday: Friday the 29th).
    assert_eq!(
        next("0 12 LW * ? *", Tz::UTC, "2026-05-01T00:00:00Z", 1),
        ["2026-05-29T12:00Z"]
    );
    // The weekday nearest the 1st of August 2026 (a Saturday: Monday the 3rd, never July).
    assert_eq!(
        next("0 6 1W * ? *", Tz::UTC, "2026-07-15T00:00:00Z", 1),
        ["2026-08-03T06:00Z"]
    );
    // The last Friday of the month.
    assert_eq!(
        next("15 10 ? * 6L *", Tz::UTC, "2026-11-01T00:00:00Z", 1),
        ["2026-11-27T10:15Z"]
    );
    // Months and years by name and range.
    assert_eq!(
        next(
            "0 0 1 JAN,JUL ? 2027-2028",
            Tz::UTC,
            "2026-01-01T00:00:00Z",
            3
        ),
        [
            "2027-01-01T00:00Z",
            "2027-07-01T00:00Z",
            "2028-01-01T00:00Z"
        ]
    );
    // A year that has passed never fires again.
    let past = Cron::parse("0 0 1 1 ? 2020").unwrap();
    assert_eq!(past.next_after(utc("2026-01-01T00:00:00Z"), Tz::UTC), None);
}

#[test]
fn a_cron_in_a_time_zone_follows_its_clocks_through_daylight_saving_time() {
    // GIVEN 02:00 every day in Berlin WHEN the clocks jump from 02:00 to 03:00 (29 March 2026)
    // THEN that day has no 02:00 and is skipped, as EventBridge Scheduler skips it
    assert_eq!(
        next("0 2 * * ? *", Tz::Europe__Berlin, "2026-03-27T12:00:00Z", 3),
        [
            "2026-03-28T01:00Z",
            "2026-03-30T00:00Z",
            "2026-03-31T00:00Z"
        ]
    );
    // AND WHEN 02:30 happens twice (25 October 2026) THEN it fires once, the first time
    assert_eq!(
        next(
            "30 2 * * ? *",
            Tz::Europe__Berlin,
            "2026-10-24T12:00:00Z",
            2
        ),
        ["2026-10-25T00:30Z", "2026-10-26T01:30Z"]
    );
    // AND a UTC cron does not move with the seasons, a Berlin one does
    assert_eq!(
        next("0 6 * * ? *", Tz::Europe__Berlin, "2026-07-01T00:00:00Z", 1),
        ["2026-07-01T04:00Z"]
    );
    assert_eq!(
        next("0 6 * * ? *", Tz::Europe__Berlin, "2026-12-01T00:00:00Z", 1),
        ["2026-12-01T05:00Z"]
    );
}

#[test]
fn crons_eventbridge_would_refuse_are_refused_saying_why() {
    // GIVEN expressions EventBridge refuses (or does not document) WHEN parsed THEN each is
    // an error naming the field and the problem
    for (bad, why) in [
        ("0 2 * * ?", "six"),
        ("0 2 * * ? * *", "six"),
        ("0 2 * * * *", "one of them must be '?'"),
        ("0 2 ? * ? *", "both day fields are '?'"),
        ("60 2 * * ? *", "minutes '60'"),
        ("0 24 * * ? *", "hours '24'"),
        ("0 2 32 * ? *", "day-of-month '32'"),
        ("0 2 0 * ? *", "day-of-month '0'"),
        ("0 2 * 13 ? *", "month '13'"),
        ("0 2 ? * 8 *", "day-of-week '8'"),
        ("0 2 ? * 0 *", "day-of-week '0'"),
        ("0 2 * * ? 1969", "year '1969'"),
        ("0 2 * * ? 2200", "year '2200'"),
        ("*/5 * * * ? *", "'0/5'"),
        ("0/0 * * * ? *", "increment '0'"),
        ("0/60 * * * ? *", "increment '60'"),
        ("0 2 ? * MON/2 *", "no increment"),
        ("0 2 ? * mon *", "capitals"),
        ("0 2 * jan ? *", "capitals"),
        ("0 2 ? * 2#6 *", "#1 to #5"),
        ("0 2 ? * 2#1,3#2 *", "stand alone"),
        ("0 2 L,15 * ? *", "stand alone"),
        ("0 2 32W * ? *", "day-of-month '32W'"),
        ("0 2 ? * 9L *", "day-of-week '9L'"),
        ("0 2 * * ? +2027", "year '+2027'"),
        ("x 2 * * ? *", "minutes 'x'"),
        ("0 2-x * * ? *", "hours '2-x'"),
    ] {
        let error = Cron::parse(bad).expect_err(bad);
        assert!(error.contains(why), "{bad}: '{why}' not in: {error}");
    }
}

#[test]
fn rates_take_a_whole_number_and_its_unit() {
    // GIVEN rates as EventBridge documents them WHEN parsed THEN the value and unit come back
    assert_eq!(
        Rate::parse("12 hours").unwrap(),
        Rate {
            value: 12,
            unit: RateUnit::Hours
        }
    );
    assert_eq!(Rate::parse("1 day").unwrap().unit, RateUnit::Days);
    assert_eq!(Rate::parse("5 minutes").unwrap().unit, RateUnit::Minutes);
    // AND anything else is refused, saying why
    for (bad, why) in [
        ("12", "no unit"),
        ("0 hours", "at least 1"),
        ("-1 hours", "at least 1"),
        ("05 minutes", "at least 1"),
        ("1.5 hours", "at least 1"),
        ("1 hours", "singular"),
        ("5 hour", "singular"),
        ("2 weeks", "not a unit"),
        ("2  hours", "not a unit"),
    ] {
        let error = Rate::parse(bad).expect_err(bad);
        assert!(error.contains(why), "{bad}: '{why}' not in: {error}");
    }
}

fn schedule(value: Value) -> ScheduleSpec {
    serde_json::from_value(value).unwrap()
}

#[test]
fn the_processing_day_is_the_scheduled_date_in_the_pipelines_zone_minus_the_offset() {
    // GIVEN a Berlin schedule WHEN a start is scheduled 23:30 UTC on 22 November, already the
    // 23rd in Berlin THEN it processes the 22nd (the day before, in Berlin), where UTC would
    // have said the 21st
    let berlin = schedule(json!({"Cron": "30 0 * * ? *", "Timezone": "Europe/Berlin"}));
    let scheduled = utc("2026-11-22T23:30:00Z");
    assert_eq!(
        berlin.processing_date(scheduled).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    );
    let in_utc = schedule(json!({"Cron": "30 23 * * ? *"}));
    assert_eq!(
        in_utc.processing_date(scheduled).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    );
    // AND an offset of 0 processes the scheduled day itself
    let same_day = schedule(json!({"Rate": "12 hours", "ProcessingDayOffset": 0}));
    assert_eq!(
        same_day.processing_date(scheduled).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    );
}

#[test]
fn the_next_start_is_in_the_zone_and_none_when_paused_or_a_rate() {
    // GIVEN a cron schedule, the same paused, and a rate
    let on = schedule(json!({"Cron": "0 6 * * ? *", "Timezone": "Europe/Berlin"}));
    let paused = schedule(json!({"Cron": "0 6 * * ? *", "Enabled": false}));
    let rate = schedule(json!({"Rate": "1 day"}));
    let now = utc("2026-11-22T12:00:00Z");
    // WHEN asked for the next start THEN only the cron that is on has one, in its zone
    let next = on.next_start(now).unwrap().expect("a next start");
    assert_eq!(next.to_rfc3339(), "2026-11-23T06:00:00+01:00");
    assert_eq!(paused.next_start(now).unwrap(), None);
    assert_eq!(rate.next_start(now).unwrap(), None);
    // AND the deployed expressions are EventBridge's
    assert_eq!(on.expression().unwrap(), "cron(0 6 * * ? *)");
    assert_eq!(rate.expression().unwrap(), "rate(1 day)");
}

/// The sample pipeline with `Schedule` set to `value`.
fn pipeline_with_schedule(value: Value) -> Result<PipelineSpec, emrflow_core::EmrflowError> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../pipelines/daily-etl.json"
    );
    let mut spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    spec["Schedule"] = value;
    PipelineSpec::from_value(spec)
}

#[test]
fn a_bad_schedule_in_a_pipeline_is_invalid_input_naming_the_key() {
    // GIVEN a pipeline whose Schedule is wrong in each way WHEN validated THEN InvalidInput
    // naming the key
    for (schedule, key) in [
        (json!({"Cron": "0 2 * * * *"}), "key 'Schedule.Cron': '0 2 * * * *' is not a cron expression EventBridge Scheduler accepts"),
        (json!({"Cron": "cron(0 2 * * ? *)"}), "key 'Schedule.Cron': write '0 2 * * ? *' without 'cron( )'"),
        (json!({"Rate": "5 hour"}), "key 'Schedule.Rate'"),
        (json!({"Cron": "0 2 * * ? *", "Timezone": "Europe/Berln"}), "key 'Schedule.Timezone': 'Europe/Berln' is not an IANA time zone"),
        (json!({"Cron": "0 2 * * ? *", "Timezone": "europe/berlin"}), "key 'Schedule.Timezone'"),
        (json!({"Cron": "0 2 * * ? *", "Rate": "1 day"}), "key 'Schedule': give Cron or Rate, not both"),
        (json!({"Timezone": "UTC"}), "key 'Schedule': give Cron"),
        (json!({"Cron": "0 2 * * ? *", "ProcessingDayOffset": 400}), "key 'Schedule.ProcessingDayOffset': 400"),
        (json!({"Cron": "0 2 * * ? *", "Enable": false}), "Schedule.Enable"),
        (json!({"Cron": "{{ProcessingDate}} 2 * * ? *"}), "key 'Schedule.Cron'"),
    ] {
        let error = pipeline_with_schedule(schedule.clone()).expect_err(&schedule.to_string());
        assert_eq!(error.name(), ErrorName::InvalidInput);
        assert!(error.message().contains(key), "'{key}' not in: {error}");
    }
    // AND a good one passes
    assert!(pipeline_with_schedule(json!({"Cron": "0 2 * * ? *", "Timezone": "Europe/Berlin", "Enabled": false, "ProcessingDayOffset": 0})).is_ok());
}
