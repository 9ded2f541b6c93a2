//! The two handlers over one in-memory store, a fake EMR and fake callbacks.

use std::sync::Arc;

use emrflow_core::emr::{ClusterState, StepState};
use emrflow_core::Handler;
use emrflow_events::{
    AwaitOutcome, AwaitSteps, AwaitStepsSummary, EmrEvents, EmrEventsSummary, MemoryTokenStore,
};
use serde_json::{json, Value};

use super::{FakeCallbacks, FakeEmr};

pub const CLUSTER: &str = "j-2AXXXXXXGAPLF";
pub const TOKEN: &str = "AQCEAAAAKgAAAAMAAAAAAAAAA-token-a";

pub struct World {
    pub emr: Arc<FakeEmr>,
    pub store: Arc<MemoryTokenStore>,
    pub callbacks: Arc<FakeCallbacks>,
}

impl World {
    pub fn new(emr: FakeEmr, waiting_tokens: &[&str]) -> World {
        World {
            emr: Arc::new(emr),
            store: Arc::new(MemoryTokenStore::new()),
            callbacks: Arc::new(FakeCallbacks::new(waiting_tokens)),
        }
    }

    pub fn await_steps(&self) -> AwaitSteps {
        AwaitSteps::new(self.emr.clone(), self.store.clone(), self.callbacks.clone())
    }

    pub fn emr_events(&self) -> EmrEvents {
        EmrEvents::new(self.store.clone(), self.callbacks.clone())
    }

    /// (execution, token) of every stored waiter, expired ones too.
    pub fn stored(&self) -> Vec<(String, String)> {
        self.store
            .all()
            .into_iter()
            .map(|w| (w.waiter, w.task_token))
            .collect()
    }

    /// await-steps for `execution`, which must succeed.
    pub async fn wait(
        &self,
        execution: &str,
        token: &str,
        outstanding: &[&str],
    ) -> AwaitStepsSummary {
        self.await_steps()
            .handle(payload(execution, token, outstanding))
            .await
            .unwrap_or_else(|error| panic!("await-steps failed: {error}"))
    }

    /// emr-events for `event`, which must succeed.
    pub async fn event(&self, event: Value) -> EmrEventsSummary {
        self.emr_events()
            .handle(event)
            .await
            .unwrap_or_else(|error| panic!("emr-events failed: {error}"))
    }
}

pub fn payload(execution: &str, token: &str, outstanding: &[&str]) -> Value {
    json!({"TaskToken": token, "ClusterId": CLUSTER, "ExecutionName": execution,
           "Outstanding": outstanding})
}

pub fn running_cluster(steps: &[(&str, StepState)]) -> FakeEmr {
    FakeEmr::with_cluster(CLUSTER, ClusterState::Running, steps)
}

/// Two executions waiting on one cluster, each for its own step.
pub async fn two_waiting_executions() -> World {
    let world = World::new(
        running_cluster(&[("s-A", StepState::Running), ("s-B", StepState::Running)]),
        &["t-a", "t-b"],
    );
    for (execution, token, step) in [("run-a", "t-a", "s-A"), ("run-b", "t-b", "s-B")] {
        let summary = world.wait(execution, token, &[step]).await;
        assert_eq!(summary.outcome, AwaitOutcome::Waiting);
    }
    world
}
