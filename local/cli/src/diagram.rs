//! `emrflow diagram`: the pipeline's step graph and the state machine, as Mermaid, so a
//! README, a pull request or a wiki page shows them as GitHub and most viewers draw them.

use emrflow_core::graph::{Graph, Mode};
use emrflow_core::pipeline::{ActionOnFailure, ForEach, RunIf, StepSpec};
use emrflow_core::PipelineSpec;
use serde_json::Value;

/// A Mermaid id for a name (letters, digits and `_`), unique by its position.
fn node_id(name: &str, index: usize) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("s{index}_{cleaned}")
}

/// Text that is safe inside a Mermaid `["…"]` label.
fn label_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

/// What a step is, in a few words: `Spark · retry 1× · timeout 600s · CONTINUE`.
pub fn step_facts(step: &StepSpec) -> String {
    let mut facts = vec![step.kind.type_name().to_string()];
    if let Some(retry) = step.retry {
        facts.push(format!("retry {}×", retry.max_attempts));
    }
    if let Some(timeout) = step.timeout_seconds {
        facts.push(format!("timeout {timeout}s"));
    }
    if step.action_on_failure != ActionOnFailure::CancelAndWait {
        facts.push(step.action_on_failure.as_str().to_string());
    }
    facts.join(" · ")
}

/// The items of a step with ForEach, in words: `for each tenant_a, tenant_b`.
pub fn step_items(step: &StepSpec) -> Option<String> {
    Some(match step.for_each.as_ref()? {
        ForEach::Items(items) => format!("for each {}", items.join(", ")),
        ForEach::FromInput {
            from_input,
            default: None,
        } => format!("for each Items.{from_input}"),
        ForEach::FromInput {
            from_input,
            default: Some(items),
        } => format!("for each Items.{from_input} (default {})", items.join(", ")),
    })
}

fn step_label(step: &StepSpec) -> String {
    let items = step_items(step)
        .map(|items| format!("<br/>{}", label_text(&items)))
        .unwrap_or_default();
    format!("{}<br/>{}{items}", label_text(&step.name), step_facts(step))
}

/// A step's node: a box, or a double-edged box for a step drawn once for all its items.
fn node(id: &str, step: &StepSpec) -> String {
    let label = step_label(step);
    match step.for_each {
        None => format!("  {id}[\"{label}\"]"),
        Some(_) => format!("  {id}[[\"{label}\"]]"),
    }
}

/// One arrow of a pipeline's step graph: `to` waits for `from` (indices in spec order), as
/// its RunIf says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepEdge {
    pub from: usize,
    pub to: usize,
    pub run_if: RunIf,
    /// Both ends are steps with ForEach: the arrow holds item by item.
    pub per_item: bool,
}

/// The arrows of a pipeline's step graph as a person reads them, for every drawing of it
/// (Mermaid here, the console's SVG): each dependency, and a list pipeline's order as a
/// chain when the cluster runs one step at a time.
pub fn step_edges(spec: &PipelineSpec) -> Vec<StepEdge> {
    let graph = Graph::new(spec);
    let one_at_a_time = spec.cluster.step_concurrency_level() == 1;
    let mut edges = Vec::new();
    for (index, node) in graph.nodes.iter().enumerate() {
        let mut deps = node.deps.clone();
        if graph.mode == Mode::List && one_at_a_time && index > 0 {
            deps.push(index - 1);
        }
        edges.extend(deps.into_iter().map(|from| StepEdge {
            from,
            to: index,
            run_if: node.run_if,
            per_item: node.spec.for_each.is_some() && graph.nodes[from].spec.for_each.is_some(),
        }));
    }
    edges
}

/// The step graph of a pipeline: a node per step, an edge per dependency (labelled with the
/// RunIf when it is not ALL_SUCCEEDED). A list pipeline's order is drawn as a chain when the
/// cluster runs one step at a time, and as side-by-side steps when it runs several. A step
/// with ForEach is drawn once, with its items; an edge between two of them, which holds item
/// by item, says `per item`.
pub fn pipeline_diagram(spec: &PipelineSpec) -> String {
    let ids: Vec<String> = spec
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| node_id(&s.name, i))
        .collect();
    let mut lines = vec!["flowchart LR".to_string()];
    for (index, step) in spec.steps.iter().enumerate() {
        lines.push(node(&ids[index], step));
    }
    for edge in step_edges(spec) {
        let arrow = match (edge.run_if, edge.per_item) {
            (RunIf::AllSucceeded, false) => " --> ".to_string(),
            (RunIf::AllSucceeded, true) => " -- per item --> ".to_string(),
            (other, false) => format!(" -. {} .-> ", other.as_str()),
            (other, true) => format!(" -. {} per item .-> ", other.as_str()),
        };
        lines.push(format!("  {}{arrow}{}", ids[edge.from], ids[edge.to]));
    }
    lines.join("\n") + "\n"
}

/// A Choice rule in a few words: `Check.Verdict = COMPLETED and TerminateCluster = true`.
/// A transition's label: Mermaid ends one at `:` or `;`, so those (and `"`, `#`) are written
/// as entity codes.
fn edge_label(text: &str) -> String {
    let mut label = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => label.push_str("#35;"),
            '"' => label.push_str("#quot;"),
            ':' => label.push_str("#58;"),
            ';' => label.push_str("#59;"),
            other => label.push(other),
        }
    }
    label
}

fn rule_text(rule: &Value) -> String {
    for (key, joiner) in [("And", " and "), ("Or", " or ")] {
        if let Some(rules) = rule.get(key).and_then(Value::as_array) {
            return rules.iter().map(rule_text).collect::<Vec<_>>().join(joiner);
        }
    }
    if let Some(inner) = rule.get("Not") {
        return format!("not {}", rule_text(inner));
    }
    let variable = rule
        .get("Variable")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .trim_start_matches("$.");
    let test = rule.as_object().and_then(|fields| {
        fields
            .iter()
            .find(|(key, _)| !matches!(key.as_str(), "Variable" | "Next"))
            .map(|(key, value)| match key.as_str() {
                "IsPresent" if value == true => "is present".to_string(),
                "IsPresent" => "is absent".to_string(),
                "IsString" if value == true => "is text".to_string(),
                "IsString" => "is not text".to_string(),
                "StringMatches" => format!("matches {}", value.as_str().unwrap_or_default()),
                _ => format!(
                    "= {}",
                    value
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| value.to_string())
                ),
            })
    });
    format!("{variable} {}", test.unwrap_or_default())
}

/// Where a state can go: Next, Choice targets and Default, Catch targets.
fn targets(state: &Value) -> Vec<&str> {
    let rules = state["Choices"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rule| &rule["Next"]);
    let catches = state["Catch"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|catch| &catch["Next"]);
    [&state["Next"], &state["Default"]]
        .into_iter()
        .chain(rules)
        .chain(catches)
        .filter_map(Value::as_str)
        .collect()
}

/// The states in the order a reader follows them: breadth first from StartAt.
fn reading_order(definition: &Value) -> Vec<(String, Value)> {
    let states = definition["States"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut order: Vec<String> = definition["StartAt"]
        .as_str()
        .map(str::to_string)
        .into_iter()
        .collect();
    let mut next = 0;
    while next < order.len() {
        let found = states.get(&order[next]).map(targets).unwrap_or_default();
        for target in found {
            if !order.iter().any(|seen| seen == target) {
                order.push(target.to_string());
            }
        }
        next += 1;
    }
    for name in states.keys() {
        if !order.contains(name) {
            order.push(name.clone());
        }
    }
    order
        .into_iter()
        .filter_map(|name| states.get(&name).cloned().map(|state| (name, state)))
        .collect()
}

/// The state machine: every state, its Next, its Choice rules (labelled) and its Catch edges.
pub fn definition_diagram(definition: &Value) -> String {
    let mut lines = vec!["stateDiagram-v2".to_string()];
    if let Some(start) = definition["StartAt"].as_str() {
        lines.push(format!("  [*] --> {start}"));
    }
    for (name, state) in &reading_order(definition) {
        match state["Type"].as_str() {
            Some("Choice") => {
                lines.push(format!("  state {name} <<choice>>"));
                for rule in state["Choices"].as_array().into_iter().flatten() {
                    if let Some(next) = rule["Next"].as_str() {
                        let label = edge_label(&rule_text(rule));
                        lines.push(format!("  {name} --> {next}: {label}"));
                    }
                }
                if let Some(default) = state["Default"].as_str() {
                    lines.push(format!("  {name} --> {default}: otherwise"));
                }
            }
            Some("Fail") | Some("Succeed") => lines.push(format!("  {name} --> [*]")),
            _ => {
                if let Some(next) = state["Next"].as_str() {
                    lines.push(format!("  {name} --> {next}"));
                }
                if state["End"] == true {
                    lines.push(format!("  {name} --> [*]"));
                }
            }
        }
        for catcher in state["Catch"].as_array().into_iter().flatten() {
            if let Some(next) = catcher["Next"].as_str() {
                let errors: Vec<&str> = catcher["ErrorEquals"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                lines.push(format!("  {name} --> {next}: catch {}", errors.join(", ")));
            }
        }
    }
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(level: u32, steps: Value) -> PipelineSpec {
        PipelineSpec::from_value(json!({
            "Name": "d",
            "Cluster": {"ReleaseLabel": "emr-7.5.0", "ServiceRole": "s", "JobFlowRole": "j",
                "LogUri": "s3://logs-bucket/x/", "StepConcurrencyLevel": level,
                "InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]},
            "Steps": steps
        }))
        .unwrap()
    }

    #[test]
    fn a_graph_draws_its_dependencies_and_trigger_rules() {
        // GIVEN a → (b ∥ c) → d, d running whatever happened
        let spec = spec(
            2,
            json!([
                {"Name": "a", "Type": "Command", "Args": ["true"]},
                {"Name": "b", "Type": "Command", "Args": ["true"], "DependsOn": ["a"], "Retry": {"MaxAttempts": 2}},
                {"Name": "c x", "Type": "Command", "Args": ["true"], "DependsOn": ["a"]},
                {"Name": "d", "Type": "Command", "Args": ["true"], "DependsOn": ["b", "c x"], "RunIf": "ALL_DONE"}
            ]),
        );
        // WHEN drawn THEN every node and edge is there, the rule on d's edges
        let diagram = pipeline_diagram(&spec);
        assert!(
            diagram.contains("s1_b[\"b<br/>Command · retry 2×\"]"),
            "{diagram}"
        );
        assert!(
            diagram.contains("s0_a --> s1_b") && diagram.contains("s0_a --> s2_c_x"),
            "{diagram}"
        );
        assert!(diagram.contains("s2_c_x -. ALL_DONE .-> s3_d"), "{diagram}");
    }

    #[test]
    fn a_mapped_step_is_drawn_once_with_its_items() {
        // GIVEN per-tenant ETL and analytics, and an aggregation after every tenant
        let spec = spec(
            3,
            json!([
                {"Name": "etl", "Type": "Command", "Args": ["{{Item}}"], "ActionOnFailure": "CONTINUE",
                 "ForEach": ["tenant_a", "tenant_b"]},
                {"Name": "analytics", "Type": "Command", "Args": ["{{Item}}"], "DependsOn": ["etl"],
                 "ForEach": ["tenant_b", "tenant_a"]},
                {"Name": "aggregate", "Type": "Command", "Args": ["true"], "DependsOn": ["analytics"],
                 "RunIf": "ALL_DONE"},
                {"Name": "notify", "Type": "Command", "Args": ["{{Item}}"], "DependsOn": ["aggregate"],
                 "ForEach": {"FromInput": "Teams", "Default": ["ops", "finance"]}}
            ]),
        );
        // WHEN drawn
        let diagram = pipeline_diagram(&spec);
        // THEN each mapped step is one double-edged node naming its items, the item-wise edge
        // says so, and the fan-in is one edge
        assert!(
            diagram.contains(
                "s0_etl[[\"etl<br/>Command · CONTINUE<br/>for each tenant_a, tenant_b\"]]"
            ),
            "{diagram}"
        );
        assert!(
            diagram.contains("for each Items.Teams (default ops, finance)\"]]"),
            "{diagram}"
        );
        assert!(
            diagram.contains("s0_etl -- per item --> s1_analytics"),
            "{diagram}"
        );
        assert!(
            diagram.contains("s1_analytics -. ALL_DONE .-> s2_aggregate"),
            "{diagram}"
        );
        assert!(diagram.contains("s2_aggregate --> s3_notify"), "{diagram}");
        assert_eq!(diagram.matches("s0_etl[[").count(), 1, "{diagram}");
        assert!(
            !diagram.contains("tenant_a]"),
            "no node per item: {diagram}"
        );
    }

    #[test]
    fn a_list_is_a_chain_one_at_a_time_and_side_by_side_otherwise() {
        let steps = json!([{"Name": "a", "Type": "Command", "Args": ["true"], "ActionOnFailure": "CONTINUE"},
                           {"Name": "b", "Type": "Command", "Args": ["true"], "ActionOnFailure": "CONTINUE"}]);
        assert!(pipeline_diagram(&spec(1, steps.clone())).contains("s0_a --> s1_b"));
        assert!(!pipeline_diagram(&spec(2, steps)).contains("-->"));
    }

    #[test]
    fn the_state_machine_shows_choices_and_catches() {
        let definition = json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "x", "Next": "C",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}]},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "StringEquals": "ok", "Next": "S"}], "Default": "F"},
            "S": {"Type": "Succeed"}, "F": {"Type": "Fail"}}});
        let diagram = definition_diagram(&definition);
        for line in [
            "[*] --> T",
            "T --> C",
            "T --> F: catch States.ALL",
            "state C <<choice>>",
            "C --> S: v = ok",
            "C --> F: otherwise",
            "S --> [*]",
        ] {
            assert!(diagram.contains(line), "{line} missing in\n{diagram}");
        }
    }

    #[test]
    fn a_rule_label_keeps_mermaid_separators_out() {
        // GIVEN a Choice rule whose pattern has quotes and colons, and a non-text test
        let definition = json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [
                {"Variable": "$.e.Cause", "StringMatches": "{\"errorMessage\":\"*}", "Next": "P"},
                {"Variable": "$.e.Cause", "IsString": false, "Next": "P"}], "Default": "P"},
            "P": {"Type": "Succeed"}}});
        // WHEN drawn THEN the label says it with entity codes, and in words
        let diagram = definition_diagram(&definition);
        for line in [
            "C --> P: e.Cause matches {#quot;errorMessage#quot;#58;#quot;*}",
            "C --> P: e.Cause is not text",
        ] {
            assert!(diagram.contains(line), "{line} missing in\n{diagram}");
        }
    }
}
