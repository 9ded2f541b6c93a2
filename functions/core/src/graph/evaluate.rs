//! One look at the execution's EMR steps, judged against the graph: every step's status,
//! the attempts to submit, the attempts to cancel (timeouts, a stopped pipeline), and when
//! something will next be due. Pure: the handlers do the calls.

use chrono::{DateTime, Utc};

use super::{Graph, Mode};
use crate::emr::{ActionOnFailure, PipelineStepState, StepState, StepSummary};
use crate::naming::parse_attempt_name;
use crate::pipeline::RunIf;

/// How a step ended without completing, after its retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailureKind {
    Failed,
    TimedOut,
    Cancelled,
    Interrupted,
}

impl FailureKind {
    /// The state shown in reports (EMR's names, and TIMED_OUT for emrflow's own timeout).
    pub fn state(self) -> PipelineStepState {
        match self {
            FailureKind::Failed => PipelineStepState::Failed,
            FailureKind::TimedOut => PipelineStepState::TimedOut,
            FailureKind::Cancelled => PipelineStepState::Cancelled,
            FailureKind::Interrupted => PipelineStepState::Interrupted,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.state().as_str()
    }

    /// Failures that Retry tries again and that trigger ActionOnFailure (as EMR's FAILED).
    pub fn is_step_failure(self) -> bool {
        matches!(self, FailureKind::Failed | FailureKind::TimedOut)
    }
}

/// Where one step of the pipeline stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeStatus {
    /// Its dependencies have not ended yet.
    Waiting,
    /// To be submitted now, as this attempt.
    Ready {
        attempt: u32,
    },
    /// A failed attempt will be tried again at `at`.
    RetryAt {
        attempt: u32,
        at: DateTime<Utc>,
    },
    /// An attempt is PENDING, RUNNING or CANCEL_PENDING on EMR.
    Active,
    Succeeded,
    Failed(FailureKind),
    /// Never submitted: its RunIf can no longer hold (the reason says why).
    Skipped(String),
    /// Never submitted: a re-run's step that completed in the execution re-run (the reason
    /// says which, and its EMR step). Reported SKIPPED; its dependents count it completed.
    CompletedElsewhere(String),
}

impl NodeStatus {
    pub fn has_ended(&self) -> bool {
        matches!(
            self,
            NodeStatus::Succeeded
                | NodeStatus::Failed(_)
                | NodeStatus::Skipped(_)
                | NodeStatus::CompletedElsewhere(_)
        )
    }

    /// Why a SKIPPED step never ran.
    pub fn skip_reason(&self) -> Option<&str> {
        match self {
            NodeStatus::Skipped(reason) | NodeStatus::CompletedElsewhere(reason) => Some(reason),
            _ => None,
        }
    }

    /// The state shown in reports and progress lines.
    pub fn state(&self) -> PipelineStepState {
        match self {
            NodeStatus::Waiting => PipelineStepState::Waiting,
            NodeStatus::Ready { .. } => PipelineStepState::Ready,
            NodeStatus::RetryAt { .. } => PipelineStepState::RetryPending,
            NodeStatus::Active => PipelineStepState::Running,
            NodeStatus::Succeeded => PipelineStepState::Completed,
            NodeStatus::Failed(kind) => kind.state(),
            NodeStatus::Skipped(_) | NodeStatus::CompletedElsewhere(_) => {
                PipelineStepState::Skipped
            }
        }
    }

    pub fn label(&self) -> &'static str {
        self.state().as_str()
    }
}

/// One step: its status and its EMR attempts, oldest first.
#[derive(Debug, Clone)]
pub struct NodeView<'s> {
    pub status: NodeStatus,
    pub attempts: Vec<(u32, &'s StepSummary)>,
}

impl NodeView<'_> {
    pub fn last_attempt(&self) -> Option<&StepSummary> {
        self.attempts.last().map(|(_, step)| *step)
    }
}

/// An attempt to cancel: it ran past its TimeoutSeconds, or the pipeline stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancel {
    pub node: usize,
    pub step_id: String,
    pub timed_out: bool,
}

/// The failure that stops the pipeline (CANCEL_AND_WAIT or TERMINATE_CLUSTER, in graph mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Halt {
    pub node: usize,
    pub action: ActionOnFailure,
}

#[derive(Debug, Clone)]
pub struct Evaluation<'s> {
    pub nodes: Vec<NodeView<'s>>,
    pub to_submit: Vec<(usize, u32)>,
    pub to_cancel: Vec<Cancel>,
    pub halt: Option<Halt>,
    /// The earliest time a retry or a timeout falls due (the next look should not be later).
    pub next_due: Option<DateTime<Utc>>,
    /// A step with a TimeoutSeconds is still PENDING: when it starts, and so when its timeout
    /// falls due, only a look can tell (EMR's events do not wake anyone for RUNNING).
    pub timer_needed: bool,
}

impl Evaluation<'_> {
    /// Every step has ended: nothing runs, nothing is left to submit or retry.
    pub fn finished(&self) -> bool {
        self.nodes.iter().all(|node| node.status.has_ended())
    }

    /// The failure to report: the one that stopped the pipeline, else the most serious kind
    /// (FAILED, then TIMED_OUT, CANCELLED, INTERRUPTED), first in spec order.
    pub fn first_failure(&self) -> Option<(usize, FailureKind)> {
        if let Some(halt) = self.halt {
            if let NodeStatus::Failed(kind) = self.nodes[halt.node].status {
                return Some((halt.node, kind));
            }
        }
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(index, node)| match node.status {
                NodeStatus::Failed(kind) => Some((kind, index)),
                _ => None,
            })
            .min()
            .map(|(kind, index)| (index, kind))
    }

    /// The EMR step ids of every active attempt.
    pub fn outstanding(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|node| node.status == NodeStatus::Active)
            .filter_map(|node| node.last_attempt().map(|step| step.id.clone()))
            .collect()
    }
}

fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

/// The attempts of each node, by attempt number (a duplicate of one attempt — never made by
/// emrflow — is ignored, keeping the first listed of the oldest).
fn attempts_by_node<'s>(
    graph: &Graph<'_>,
    steps: &'s [StepSummary],
    execution: &str,
) -> Vec<Vec<(u32, &'s StepSummary)>> {
    let mut by_node: Vec<Vec<(u32, &StepSummary)>> = vec![Vec::new(); graph.nodes.len()];
    // ListSteps lists the newest first: walk oldest first.
    for step in steps.iter().rev() {
        let Some((name, attempt)) = parse_attempt_name(&step.name, execution) else {
            continue;
        };
        if let Some(node) = graph.node_named(name) {
            if !by_node[node].iter().any(|(seen, _)| *seen == attempt) {
                by_node[node].push((attempt, step));
            }
        }
    }
    for attempts in &mut by_node {
        attempts.sort_by_key(|(attempt, _)| *attempt);
    }
    by_node
}

/// How an ended attempt failed (None: it completed, or has not ended).
fn failure_of(step: &StepSummary, timeout_seconds: Option<u32>) -> Option<FailureKind> {
    match step.state {
        StepState::Failed => Some(FailureKind::Failed),
        StepState::Interrupted => Some(FailureKind::Interrupted),
        StepState::Cancelled => {
            // EMR records no reason for a cancel: one that ran for its whole TimeoutSeconds
            // was emrflow's timeout.
            let ran = time(step.ended_at.as_deref())
                .zip(time(step.started_at.as_deref()))
                .map(|(ended, started)| (ended - started).num_seconds());
            match (ran, timeout_seconds) {
                (Some(ran), Some(limit)) if ran >= i64::from(limit) => Some(FailureKind::TimedOut),
                _ => Some(FailureKind::Cancelled),
            }
        }
        _ => None,
    }
}

/// An attempt's state as reports show it: EMR's, but TIMED_OUT for a cancel that was
/// emrflow's timeout (see [`failure_of`]).
pub fn attempt_state(step: &StepSummary, timeout_seconds: Option<u32>) -> PipelineStepState {
    match failure_of(step, timeout_seconds) {
        Some(kind) => kind.state(),
        None => step.state.into(),
    }
}

struct Pass<'g, 's> {
    graph: &'g Graph<'g>,
    now: DateTime<Utc>,
    eval: Evaluation<'s>,
}

impl Pass<'_, '_> {
    fn due(&mut self, at: DateTime<Utc>) {
        self.eval.next_due = Some(self.eval.next_due.map_or(at, |due| due.min(at)));
    }

    /// Status of a node that has attempts; retries are decided before any halt is known.
    fn judge_attempts(&mut self, index: usize) {
        let Some(&(attempt, step)) = self.eval.nodes[index].attempts.last() else {
            return;
        };
        let timeout = self.graph.timeout_seconds(index);
        let status = if step.state.is_active() {
            if step.state == StepState::Pending && timeout.is_some() {
                // Its timeout starts when it runs, which no event announces: look again soon.
                self.eval.timer_needed = true;
            }
            if let (StepState::Running, Some(limit), Some(started)) =
                (step.state, timeout, time(step.started_at.as_deref()))
            {
                let deadline = started + chrono::Duration::seconds(i64::from(limit));
                if self.now >= deadline {
                    self.eval.to_cancel.push(Cancel {
                        node: index,
                        step_id: step.id.clone(),
                        timed_out: true,
                    });
                } else {
                    self.due(deadline);
                }
            }
            NodeStatus::Active
        } else {
            match failure_of(step, timeout) {
                None => NodeStatus::Succeeded,
                Some(kind) => self.after_failure(index, attempt, step, kind),
            }
        };
        self.eval.nodes[index].status = status;
    }

    fn after_failure(
        &mut self,
        index: usize,
        attempt: u32,
        step: &StepSummary,
        kind: FailureKind,
    ) -> NodeStatus {
        let spec = self.graph.nodes[index].spec;
        let retry = spec
            .retry
            .filter(|_| self.graph.mode == Mode::Graph && kind.is_step_failure());
        match retry {
            Some(retry) if attempt < spec.max_attempts() => {
                let ended = time(step.ended_at.as_deref()).unwrap_or(self.now);
                let at = ended + chrono::Duration::seconds(i64::from(retry.interval_seconds));
                if self.now >= at {
                    NodeStatus::Ready {
                        attempt: attempt + 1,
                    }
                } else {
                    self.due(at);
                    NodeStatus::RetryAt {
                        attempt: attempt + 1,
                        at,
                    }
                }
            }
            _ => NodeStatus::Failed(kind),
        }
    }

    /// The first final step failure whose ActionOnFailure stops the pipeline (graph mode).
    fn find_halt(&self) -> Option<Halt> {
        if self.graph.mode != Mode::Graph {
            return None;
        }
        self.graph.order.iter().find_map(|&index| {
            let action = self.graph.nodes[index].spec.action_on_failure;
            match self.eval.nodes[index].status {
                NodeStatus::Failed(kind)
                    if kind.is_step_failure() && action != ActionOnFailure::Continue =>
                {
                    Some(Halt {
                        node: index,
                        action,
                    })
                }
                _ => None,
            }
        })
    }

    /// Once stopped, the steps the halt stops (all of them after TERMINATE_CLUSTER; else those
    /// that needed success) start no retry and their active attempts are cancelled. Steps that
    /// run whatever happened (ALL_DONE, ANY_FAILED) go on as their RunIf says.
    fn apply_halt(&mut self, halt: Halt) {
        for index in 0..self.eval.nodes.len() {
            if !self.graph.nodes[index].stopped_by_halt && !halt.action.terminates_cluster() {
                continue;
            }
            let view = &mut self.eval.nodes[index];
            match view.status.clone() {
                NodeStatus::Ready { .. } | NodeStatus::RetryAt { .. } => {
                    let timeout = self.graph.timeout_seconds(index);
                    let kind = view
                        .last_attempt()
                        .and_then(|step| failure_of(step, timeout))
                        .unwrap_or(FailureKind::Failed);
                    view.status = NodeStatus::Failed(kind);
                }
                NodeStatus::Active => {
                    if let Some(step) = view.last_attempt() {
                        if !self
                            .eval
                            .to_cancel
                            .iter()
                            .any(|cancel| cancel.step_id == step.id)
                        {
                            self.eval.to_cancel.push(Cancel {
                                node: index,
                                step_id: step.id.clone(),
                                timed_out: false,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        self.eval.halt = Some(halt);
    }

    /// Status of a node never submitted, from its dependencies (in dependency order).
    fn judge_unstarted(&self, index: usize) -> NodeStatus {
        let node = &self.graph.nodes[index];
        if self.graph.mode == Mode::List {
            return NodeStatus::Ready { attempt: 1 };
        }
        if let Some(halt) = self.eval.halt {
            let stopper = &self.graph.nodes[halt.node].spec.name;
            if node.stopped_by_halt || halt.action.terminates_cluster() {
                return NodeStatus::Skipped(format!(
                    "the pipeline stopped when step '{stopper}' failed ({})",
                    halt.action
                ));
            }
        }
        let deps: Vec<(&str, &NodeStatus)> = node
            .deps
            .iter()
            .map(|&dep| {
                (
                    self.graph.nodes[dep].spec.name.as_str(),
                    &self.eval.nodes[dep].status,
                )
            })
            .collect();
        let all_ended = deps.iter().all(|(_, status)| status.has_ended());
        let unsuccessful = deps
            .iter()
            .find(|(_, status)| matches!(status, NodeStatus::Failed(_) | NodeStatus::Skipped(_)));
        let failed = deps
            .iter()
            .any(|(_, status)| matches!(status, NodeStatus::Failed(_)));
        match node.run_if {
            RunIf::AllSucceeded => match unsuccessful {
                Some((name, status)) => {
                    NodeStatus::Skipped(format!("dependency '{name}' ended {}", status.label()))
                }
                None if all_ended => NodeStatus::Ready { attempt: 1 },
                None => NodeStatus::Waiting,
            },
            RunIf::AllDone if all_ended => NodeStatus::Ready { attempt: 1 },
            RunIf::AnyFailed if failed => NodeStatus::Ready { attempt: 1 },
            RunIf::AnyFailed if all_ended => {
                NodeStatus::Skipped("no dependency failed".to_string())
            }
            _ => NodeStatus::Waiting,
        }
    }
}

/// Judges one look at the cluster's steps (`steps` as ListSteps gave them, newest first; other
/// executions' steps are ignored) at time `now`.
pub fn evaluate<'s>(
    graph: &Graph<'_>,
    steps: &'s [StepSummary],
    execution_name: &str,
    now: DateTime<Utc>,
) -> Evaluation<'s> {
    let nodes = attempts_by_node(graph, steps, execution_name)
        .into_iter()
        .map(|attempts| NodeView {
            status: NodeStatus::Waiting,
            attempts,
        })
        .collect();
    let mut pass = Pass {
        graph,
        now,
        eval: Evaluation {
            nodes,
            to_submit: Vec::new(),
            to_cancel: Vec::new(),
            halt: None,
            next_due: None,
            timer_needed: false,
        },
    };
    for index in 0..graph.nodes.len() {
        pass.judge_attempts(index);
    }
    if let Some(halt) = pass.find_halt() {
        pass.apply_halt(halt);
    }
    for &index in &graph.order {
        if pass.eval.nodes[index].attempts.is_empty() {
            pass.eval.nodes[index].status = match &graph.nodes[index].completed_elsewhere {
                Some(reason) => NodeStatus::CompletedElsewhere(reason.clone()),
                None => pass.judge_unstarted(index),
            };
        }
    }
    pass.eval.to_submit = pass
        .eval
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(index, node)| match node.status {
            NodeStatus::Ready { attempt } => Some((index, attempt)),
            _ => None,
        })
        .collect();
    pass.eval
}
