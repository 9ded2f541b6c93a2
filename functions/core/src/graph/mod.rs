//! Pipelines as graphs (README, "Pipelines as graphs"): which steps wait for which, and what
//! runs after a failure. A spec that uses none of `DependsOn`, `RunIf`, `Retry` and
//! `TimeoutSeconds` keeps list semantics (one submission; EMR's ordering and ActionOnFailure).
//!
//! - [`evaluate`]: one look at the cluster's steps → each step's status, what to submit,
//!   what to cancel, whether the run is over.
//!
//! What a graph must satisfy is checked with the rest of the spec (`pipeline/dependencies.rs`);
//! the EMR step name of each attempt is `naming.rs`'s.

pub mod evaluate;

use crate::input::RerunOf;
use crate::pipeline::{PipelineSpec, RunIf, StepSpec};

pub use crate::pipeline::Mode;

pub use evaluate::{attempt_state, evaluate, Evaluation, FailureKind, Halt, NodeStatus};

/// One step and its place in the graph.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    pub spec: &'a StepSpec,
    /// Indices of the steps it waits for.
    pub deps: Vec<usize>,
    pub run_if: RunIf,
    /// Skipped once a CANCEL_AND_WAIT (or TERMINATE_CLUSTER) failure stops the pipeline.
    /// Steps that run whatever happened (ALL_DONE, ANY_FAILED with explicit dependencies)
    /// still run, as their RunIf says; TERMINATE_CLUSTER leaves no cluster to run them on.
    pub stopped_by_halt: bool,
    /// A re-run's step that completed in the execution re-run (`RerunOf`): never submitted,
    /// SKIPPED with this reason, and counted as completed by the steps that wait for it.
    pub completed_elsewhere: Option<String>,
}

/// A validated spec as a graph, with its nodes in spec order.
#[derive(Debug, Clone)]
pub struct Graph<'a> {
    pub mode: Mode,
    pub nodes: Vec<Node<'a>>,
    /// Node indices in an order where every step comes after its dependencies.
    pub order: Vec<usize>,
}

impl<'a> Graph<'a> {
    /// The graph of a validated spec.
    ///
    /// In graph mode without any `DependsOn`, a cluster running one step at a time keeps the
    /// list's order: each step waits for the previous one to end, whatever its result (as
    /// EMR's queue does), and a CANCEL_AND_WAIT failure skips the rest.
    pub fn new(spec: &'a PipelineSpec) -> Graph<'a> {
        let mode = Mode::of(spec);
        let index_of = |name: &str| spec.steps.iter().position(|step| step.name == name);
        let explicit = spec.steps.iter().any(|step| !step.depends_on.is_empty());
        let chained =
            mode == Mode::Graph && !explicit && spec.cluster.step_concurrency_level() == 1;
        let nodes = spec
            .steps
            .iter()
            .enumerate()
            .map(|(index, step)| {
                if chained {
                    Node {
                        spec: step,
                        deps: index.checked_sub(1).into_iter().collect(),
                        run_if: RunIf::AllDone,
                        stopped_by_halt: true,
                        completed_elsewhere: None,
                    }
                } else {
                    Node {
                        spec: step,
                        deps: step
                            .depends_on
                            .iter()
                            .filter_map(|name| index_of(name))
                            .collect(),
                        run_if: step.run_if,
                        stopped_by_halt: step.run_if == RunIf::AllSucceeded,
                        completed_elsewhere: None,
                    }
                }
            })
            .collect::<Vec<_>>();
        let order = topological_order(&nodes);
        Graph { mode, nodes, order }
    }

    /// The graph of a re-run: the steps `rerun_of` skips completed elsewhere (names not in
    /// the graph are validate-input's to refuse, and ignored here).
    pub fn rerunning(mut self, rerun_of: Option<&RerunOf>) -> Graph<'a> {
        for (name, reason) in rerun_of.into_iter().flat_map(RerunOf::skipped) {
            if let Some(index) = self.node_named(name) {
                self.nodes[index].completed_elsewhere = Some(reason);
            }
        }
        self
    }

    /// Whether each node is one of `starts` or waits for one of them, directly or not: what a
    /// re-run of `starts` runs again.
    pub fn downstream_of(&self, starts: &[usize]) -> Vec<bool> {
        let mut marked = vec![false; self.nodes.len()];
        for &start in starts {
            if let Some(mark) = marked.get_mut(start) {
                *mark = true;
            }
        }
        // In dependency order, one pass marks every descendant.
        for &index in &self.order {
            if self.nodes[index].deps.iter().any(|&dep| marked[dep]) {
                marked[index] = true;
            }
        }
        marked
    }

    pub fn node_named(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|node| node.spec.name == name)
    }

    /// A step's TimeoutSeconds, which only a graph applies (a list is EMR's, without one).
    pub fn timeout_seconds(&self, index: usize) -> Option<u32> {
        self.nodes[index]
            .spec
            .timeout_seconds
            .filter(|_| self.mode == Mode::Graph)
    }
}

/// Kahn's algorithm, keeping spec order among ready nodes; nodes on a cycle (rejected by
/// validation) come last in spec order so the function is total.
fn topological_order(nodes: &[Node<'_>]) -> Vec<usize> {
    let mut placed = vec![false; nodes.len()];
    let mut order = Vec::with_capacity(nodes.len());
    while order.len() < nodes.len() {
        let next = (0..nodes.len())
            .find(|&index| !placed[index] && nodes[index].deps.iter().all(|&dep| placed[dep]))
            .or_else(|| (0..nodes.len()).find(|&index| !placed[index]));
        let Some(index) = next else { break };
        placed[index] = true;
        order.push(index);
    }
    order
}
