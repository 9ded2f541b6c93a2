//! `emrflow rerun`'s words: the execution started, what it runs again and what it skips
//! (each with where it completed), and how to follow it.

use emrflow_executions::{console_url, Started};

/// What `emrflow rerun` prints once the re-run is started: `skips` are each step's name and
/// reason; `options` what a suggested command repeats; `on_aws` adds the console's link.
pub fn started_text(
    started: &Started,
    original: &str,
    runs: &[String],
    skips: &[(&str, &str)],
    options: &str,
    on_aws: bool,
) -> String {
    let name = &started.name;
    let mut text = format!(
        "started {name}: a re-run of {original}\n  runs       {}\n",
        runs.join(", ")
    );
    let width = skips
        .iter()
        .map(|(step, _)| step.chars().count())
        .max()
        .unwrap_or(0);
    for (index, (step, reason)) in skips.iter().enumerate() {
        let label = if index == 0 { "skips" } else { "" };
        text.push_str(&format!(
            "  {label:<10} {step:<width$}  SKIPPED: {reason}\n"
        ));
    }
    text.push_str(&format!("  execution  {}\n", started.execution_arn));
    if on_aws {
        text.push_str(&format!(
            "  console    {}\n",
            console_url(&started.execution_arn)
        ));
    }
    text.push_str(&format!(
        "  follow     emrflow watch {options}{name}\n  stop       emrflow stop {options}{name}\n"
    ));
    text
}
