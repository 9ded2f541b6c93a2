//! `emrflow rerun`'s words: the execution started, what it runs again and what it skips
//! (each with where it completed), and how to follow it.

use emrflow_executions::{console_url, Started};

use crate::operate::{Backend, Plan};

/// What `emrflow rerun` prints once the re-run is started.
pub fn started_text(backend: &Backend, started: &Started, original: &str, plan: &Plan) -> String {
    let name = &started.name;
    let mut text = format!(
        "started {name}: a re-run of {original}\n  runs       {}\n",
        plan.runs.join(", ")
    );
    let width = plan
        .skips
        .iter()
        .map(|skip| skip.name.chars().count())
        .max()
        .unwrap_or(0);
    for (index, skip) in plan.skips.iter().enumerate() {
        let label = if index == 0 { "skips" } else { "" };
        text.push_str(&format!(
            "  {label:<10} {:<width$}  SKIPPED: {}\n",
            skip.name, skip.reason
        ));
    }
    text.push_str(&format!("  execution  {}\n", started.execution_arn));
    if !backend.is_local() {
        text.push_str(&format!(
            "  console    {}\n",
            console_url(&started.execution_arn)
        ));
    }
    text.push_str(&format!(
        "  follow     emrflow watch {}{name}\n  stop       emrflow stop {}{name}\n",
        backend.options, backend.options
    ));
    text
}
