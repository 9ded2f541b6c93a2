//! The step graph as SVG: a box per pipeline step coloured by its state, a dot per attempt
//! coloured by that attempt's state, an arrow per dependency (dashed and labelled when its
//! RunIf is not ALL_SUCCEEDED). Positions come from [`layout`](super::layout); the arrows
//! from the one reading of a spec's graph (`diagram::step_edges`). Without a spec, the
//! steps the record knows are drawn, without arrows.

use emrflow_core::emr::PipelineStepState;
use emrflow_core::pipeline::RunIf;
use emrflow_core::PipelineSpec;
use emrflow_executions::StepView;
use maud::{html, Markup};

use super::layout::layout;
use super::page::{attempt_class, step_class};
use crate::diagram::{step_edges, step_facts};

const NODE_WIDTH: u32 = 200;
const NODE_HEIGHT: u32 = 50;
const COLUMN_GAP: u32 = 70;
const ROW_GAP: u32 = 18;
const MARGIN: u32 = 12;
/// Characters of a step name shown in its box (the whole name is its tooltip).
const NAME_CHARS: usize = 26;

/// One box of the graph.
#[derive(Debug, Clone)]
pub struct GraphNode {
    pub name: String,
    /// Its type and settings (`Spark · retry 1×`), when the spec is known.
    pub facts: Option<String>,
    /// None: never submitted (or not known to have been).
    pub state: Option<PipelineStepState>,
    pub attempts: Vec<PipelineStepState>,
}

/// One arrow: `to` waits for `from` (node indices).
#[derive(Debug, Clone, Copy)]
pub struct GraphEdge {
    pub from: usize,
    pub to: usize,
    pub run_if: RunIf,
}

/// The step graph of one run (or of a pipeline, without states).
#[derive(Debug, Clone, Default)]
pub struct StepGraph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

impl StepGraph {
    /// The spec's steps and arrows with the states `steps` give them; without a spec, the
    /// steps the record knows.
    pub fn of(spec: Option<&PipelineSpec>, steps: Option<&[StepView]>) -> StepGraph {
        let steps = steps.unwrap_or_default();
        let view_of = |name: &str| steps.iter().find(|step| step.name == name);
        let node = |name: &str, facts: Option<String>| {
            let view = view_of(name);
            GraphNode {
                name: name.to_string(),
                facts,
                state: view.map(|view| view.state),
                attempts: view
                    .map(|view| view.attempts.iter().map(|attempt| attempt.state).collect())
                    .unwrap_or_default(),
            }
        };
        let Some(spec) = spec else {
            return StepGraph {
                nodes: steps.iter().map(|step| node(&step.name, None)).collect(),
                edges: Vec::new(),
            };
        };
        StepGraph {
            nodes: spec
                .steps
                .iter()
                .map(|step| node(&step.name, Some(step_facts(step))))
                .collect(),
            edges: step_edges(spec)
                .into_iter()
                .map(|edge| GraphEdge {
                    from: edge.from,
                    to: edge.to,
                    run_if: edge.run_if,
                })
                .collect(),
        }
    }

    /// The SVG; `ended` says whether a step without a state will never run ("not run") or
    /// may still ("waiting"). Each box links to the step's details (`#step-<index>`).
    pub fn svg(&self, ended: bool) -> Markup {
        let pairs: Vec<(usize, usize)> = self.edges.iter().map(|e| (e.from, e.to)).collect();
        let drawn = layout(self.nodes.len(), &pairs);
        let tallest = drawn.layers.iter().map(Vec::len).max().unwrap_or(0) as u32;
        let width = MARGIN * 2 + drawn.layers.len() as u32 * (NODE_WIDTH + COLUMN_GAP);
        let height = MARGIN * 2 + tallest * (NODE_HEIGHT + ROW_GAP);
        let origin = |node: usize| -> (u32, u32) {
            let (layer, row) = drawn.place[node];
            let members = drawn.layers[layer].len() as u32;
            let offset = (tallest - members) * (NODE_HEIGHT + ROW_GAP) / 2;
            (
                MARGIN + layer as u32 * (NODE_WIDTH + COLUMN_GAP),
                MARGIN + offset + row as u32 * (NODE_HEIGHT + ROW_GAP),
            )
        };
        html! {
            svg.graph xmlns="http://www.w3.org/2000/svg" role="img"
                aria-label="the pipeline's step graph"
                width=(width) height=(height) viewBox={"0 0 " (width) " " (height)} {
                defs {
                    marker #arrow viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
                        markerHeight="7" orient="auto-start-reverse" {
                        path.arrowhead d="M 0 0 L 10 5 L 0 10 z" {}
                    }
                }
                @for edge in &self.edges {
                    @let (x1, y1) = origin(edge.from);
                    @let (x2, y2) = origin(edge.to);
                    @let (x1, y1, x2, y2) = (x1 + NODE_WIDTH, y1 + NODE_HEIGHT / 2, x2, y2 + NODE_HEIGHT / 2);
                    @let bend = COLUMN_GAP / 2;
                    g.edge.runif[edge.run_if != RunIf::AllSucceeded] {
                        title { (self.nodes[edge.from].name) " → " (self.nodes[edge.to].name) " (" (edge.run_if.as_str()) ")" }
                        path d={"M " (x1) " " (y1) " C " (x1 + bend) " " (y1) ", " (x2 - bend) " " (y2) ", " (x2 - 2) " " (y2)}
                            marker-end="url(#arrow)" {}
                        @if edge.run_if != RunIf::AllSucceeded {
                            text.edge-label x=(x2 - bend) y=(y2 - 4) text-anchor="middle" { (edge.run_if.as_str()) }
                        }
                    }
                }
                @for (index, node) in self.nodes.iter().enumerate() {
                    @let (x, y) = origin(index);
                    @let state = node_state(node, ended);
                    g.node.(state.1) data-step=(node.name) data-state=(state.0) {
                        a href={"#step-" (index)} {
                            title { (node.name) " — " (state.0) @if node.attempts.len() > 1 { ", " (node.attempts.len()) " attempts" } }
                            rect x=(x) y=(y) width=(NODE_WIDTH) height=(NODE_HEIGHT) rx="6" {}
                            text.name x=(x + 10) y=(y + 20) { (shorten(&node.name, NAME_CHARS)) }
                            text.facts x=(x + 10) y=(y + 38) {
                                (state.0)
                                @if let Some(facts) = &node.facts { " · " (shorten(facts, 22)) }
                            }
                            @for (number, attempt) in node.attempts.iter().enumerate() {
                                circle.attempt.(attempt_class(*attempt))
                                    cx=(x + NODE_WIDTH - 10 - 12 * (node.attempts.len() - 1 - number) as u32)
                                    cy=(y + 12) r="4.5" {
                                    title { "attempt " (number + 1) ": " (attempt.as_str()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The state word and class of a box.
fn node_state(node: &GraphNode, ended: bool) -> (&'static str, &'static str) {
    match node.state {
        Some(state) => (state.as_str(), step_class(state)),
        None if ended => ("NOT RUN", "st-skipped"),
        None => ("WAITING", "st-waiting"),
    }
}

/// `text` cut to `chars` characters, with `…` when cut.
pub fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let kept: String = text.chars().take(chars.saturating_sub(1)).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use emrflow_core::emr::StepState;
    use emrflow_core::handlers::AttemptReport;

    fn spec() -> PipelineSpec {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../pipelines/daily-etl.json"
        ))
        .expect("the sample pipeline");
        PipelineSpec::from_json_str(&text).expect("a valid spec")
    }

    fn attempt(number: u32, state: StepState) -> AttemptReport {
        AttemptReport {
            attempt: number,
            step_id: format!("s-{number}"),
            state: state.into(),
            started_at: None,
            ended_at: None,
            log_location: None,
            failure_details: None,
        }
    }

    #[test]
    fn every_step_of_the_spec_is_a_box_coloured_by_its_state_with_a_dot_per_attempt() {
        // GIVEN the sample spec, validate_raw failed once then completed, curate running
        let steps = vec![
            StepView {
                skip_reason: None,
                name: "validate_raw".into(),
                state: PipelineStepState::Completed,
                attempts: vec![
                    attempt(1, StepState::Failed),
                    attempt(2, StepState::Completed),
                ],
            },
            StepView {
                skip_reason: None,
                name: "curate_orders".into(),
                state: PipelineStepState::Running,
                attempts: vec![attempt(1, StepState::Running)],
            },
        ];
        // WHEN drawn while the run goes on
        let svg = StepGraph::of(Some(&spec()), Some(&steps))
            .svg(false)
            .into_string();
        // THEN five boxes, each with its state's class, two dots on validate_raw, and the
        // ALL_DONE arrow dashed and labelled
        assert_eq!(svg.matches("<g class=\"node ").count(), 5, "{svg}");
        assert!(svg.contains("class=\"node st-completed\" data-step=\"validate_raw\""));
        assert!(svg.contains("class=\"node st-running\" data-step=\"curate_orders\""));
        assert!(svg.contains("class=\"node st-waiting\" data-step=\"publish\""));
        assert_eq!(svg.matches("<circle class=\"attempt ").count(), 3);
        assert_eq!(svg.matches("<g class=\"edge").count(), 5);
        assert!(svg.contains("class=\"edge runif\""));
    }

    #[test]
    fn names_with_html_are_escaped_and_steps_without_a_spec_are_drawn_as_known() {
        // GIVEN no spec and a step whose name is markup
        let steps = vec![StepView {
            skip_reason: None,
            name: "<script>alert(1)</script>".into(),
            state: PipelineStepState::Failed,
            attempts: vec![attempt(1, StepState::Failed)],
        }];
        // WHEN drawn after the end
        let svg = StepGraph::of(None, Some(&steps)).svg(true).into_string();
        // THEN one box, its name as text, never as markup
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert_eq!(svg.matches("<g class=\"node ").count(), 1);
    }
}
