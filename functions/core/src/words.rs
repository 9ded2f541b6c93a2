//! How messages say things, once for every message of emrflow: a key is quoted (so an empty
//! or odd key is still seen), a range is words ("from 1 to 10", never Rust's `1..=10`), a
//! count agrees with its noun ("1 minute", "2 minutes"), and a name that is not known comes
//! with the nearest known one ("did you mean 'DependsOn'?") and the full list.

use std::fmt::Display;
use std::ops::RangeInclusive;

/// `key 'Steps[0].Retry'`: how a message names the key it is about.
pub fn key(path: impl Display) -> String {
    format!("key '{path}'")
}

/// `from 1 to 10`.
pub fn range<T: Display>(range: &RangeInclusive<T>) -> String {
    format!("from {} to {}", range.start(), range.end())
}

/// `1 minute`, `0 minutes`, `2 minutes` (the noun given in the singular, plural with `s`).
pub fn count(count: impl Into<i128>, noun: &str) -> String {
    let count = count.into();
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// How alike two names must be (Jaro similarity, case ignored) for one to be suggested for
/// the other: clap's threshold for its own "did you mean", which users already know.
const SIMILAR_ENOUGH: f64 = 0.7;

/// The known name nearest to `given`, when near enough to be what was meant.
pub fn nearest<'a>(given: &str, known: &[&'a str]) -> Option<&'a str> {
    let given = given.to_lowercase();
    known
        .iter()
        .map(|candidate| (strsim::jaro(&given, &candidate.to_lowercase()), *candidate))
        .filter(|(similarity, _)| *similarity > SIMILAR_ENOUGH)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// ` (did you mean 'X'?)` when a known name is near `given`, else nothing.
pub fn did_you_mean(given: &str, known: &[&str]) -> String {
    nearest(given, known)
        .map(|near| format!(" (did you mean '{near}'?)"))
        .unwrap_or_default()
}

/// `unknown key 'DependOn' (did you mean 'DependsOn'?; known keys: Name, Type, …)`.
pub fn unknown_key(given: &str, known: &[&str]) -> String {
    if known.is_empty() {
        return format!("unknown key '{given}' (this object takes no keys)");
    }
    let list = known.join(", ");
    match nearest(given, known) {
        Some(near) => format!("unknown key '{given}' (did you mean '{near}'? known keys: {list})"),
        None => format!("unknown key '{given}' (known keys: {list})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP_KEYS: [&str; 10] = [
        "Name",
        "Type",
        "ActionOnFailure",
        "Description",
        "DependsOn",
        "RunIf",
        "Retry",
        "TimeoutSeconds",
        "Script",
        "Args",
    ];

    #[test]
    fn a_misspelt_key_gets_the_nearest_known_one_and_the_whole_list() {
        // GIVEN typos of a step's keys WHEN said THEN the key meant is suggested, all listed
        for (typo, meant) in [
            ("DependOn", "DependsOn"),
            ("dependson", "DependsOn"),
            ("Timeout", "TimeoutSeconds"),
            ("Retries", "Retry"),
            ("RunIF", "RunIf"),
        ] {
            let message = unknown_key(typo, &STEP_KEYS);
            assert!(
                message.starts_with(&format!(
                    "unknown key '{typo}' (did you mean '{meant}'? known keys: Name, Type"
                )),
                "{message}"
            );
            assert!(
                message.contains("TimeoutSeconds, Script, Args)"),
                "{message}"
            );
        }
        // AND a key like none of them gets the list alone; an empty key is still seen
        assert_eq!(
            unknown_key("Zzz", &["Script", "Args"]),
            "unknown key 'Zzz' (known keys: Script, Args)"
        );
        assert!(unknown_key("", &STEP_KEYS).starts_with("unknown key '' (known keys: Name"));
    }

    #[test]
    fn ranges_and_counts_are_words() {
        // GIVEN a range and counts WHEN said THEN in words, nouns agreeing with the count
        assert_eq!(range(&(1..=10)), "from 1 to 10");
        assert_eq!(count(1, "minute"), "1 minute");
        assert_eq!(count(0, "minute"), "0 minutes");
        assert_eq!(count(61_u32, "minute"), "61 minutes");
        assert_eq!(key("Steps[0].Name"), "key 'Steps[0].Name'");
        assert_eq!(key(""), "key ''");
    }
}
