//! Running the fan-out states: Parallel (every branch on the same input) and Map (the
//! item processor once per item, at most MaxConcurrency at a time).

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use super::Run;
use crate::definition::{Handling, MapState, ParallelState, State};
use crate::error::{names, runtime, StateError};
use crate::history::*;

impl Run<'_> {
    pub(super) async fn attempt_parallel(
        &self,
        state: &State,
        parallel: &ParallelState,
        raw_input: &Value,
        context: &Value,
        last_event: &mut u64,
    ) -> Result<Value, StateError> {
        let effective = state.input_path.apply(raw_input, context, "InputPath")?;
        let branch_input = Self::render(&parallel.parameters, effective, context)?;
        let started = self.record(
            HistoryEvent::new("ParallelStateStarted", self.now()),
            *last_event,
        );
        *last_event = started;
        let branches = parallel.branches.iter().map(|branch| {
            let input = branch_input.clone();
            async move {
                let mut branch_last = started;
                let result = self.run_list(branch, input, &mut branch_last).await;
                result
            }
        });
        // try_join_all drops (stops) the other branches as soon as one fails, like
        // Step Functions does.
        let outcome = futures::future::try_join_all(branches).await;
        self.close_fan_out(
            "Parallel",
            outcome,
            (state, &parallel.handling),
            (raw_input, context),
            last_event,
        )
    }

    pub(super) async fn attempt_map(
        &self,
        state: &State,
        map: &MapState,
        raw_input: &Value,
        context: &Value,
        last_event: &mut u64,
    ) -> Result<Value, StateError> {
        let effective = state.input_path.apply(raw_input, context, "InputPath")?;
        let items_value = match &map.items_path {
            Some(path) => path.select_or(&effective, context, names::RUNTIME, "ItemsPath")?,
            None => effective.clone(),
        };
        let Value::Array(items) = items_value else {
            return Err(runtime(format!(
                "The ItemsPath of Map state '{}' must select an array",
                state.name
            )));
        };
        let mut event = HistoryEvent::new("MapStateStarted", self.now());
        event.map_state_started_event_details = Some(MapStateStartedDetails {
            length: items.len(),
        });
        let started = self.record(event, *last_event);
        *last_event = started;

        let entered = self.now();
        let mut iteration_inputs = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let input = match &map.item_selector {
                Some(selector) => {
                    // $$.Map.Item is available while the ItemSelector is rendered.
                    let item_context = self.context(&state.name, entered, 0, Some((index, item)));
                    selector.render(&effective, &item_context)?
                }
                None => item.clone(),
            };
            iteration_inputs.push(input);
        }
        let concurrency = if map.max_concurrency == 0 {
            iteration_inputs.len().max(1)
        } else {
            map.max_concurrency
        };
        let iterations = iteration_inputs
            .into_iter()
            .enumerate()
            .map(|(index, input)| self.run_iteration(state, map, index, input, started));
        // `buffered` keeps results in item order and runs at most `concurrency` at once;
        // the first failure stops the remaining iterations.
        let outcome: Result<Vec<Value>, StateError> = futures::stream::iter(iterations)
            .buffered(concurrency)
            .try_collect()
            .await;
        self.close_fan_out(
            "Map",
            outcome,
            (state, &map.handling),
            (raw_input, context),
            last_event,
        )
    }

    /// One Map iteration between its MapIterationStarted and Succeeded/Failed events,
    /// chained to the MapStateStarted event `started`.
    async fn run_iteration(
        &self,
        state: &State,
        map: &MapState,
        index: usize,
        input: Value,
        started: u64,
    ) -> Result<Value, StateError> {
        let details = MapIterationDetails {
            name: state.name.clone(),
            index,
        };
        let mut event = HistoryEvent::new("MapIterationStarted", self.now());
        event.map_iteration_started_event_details = Some(details.clone());
        let mut iteration_last = self.record(event, started);
        let result = self
            .run_list(&map.processor, input, &mut iteration_last)
            .await;
        let event = if result.is_ok() {
            let mut event = HistoryEvent::new("MapIterationSucceeded", self.now());
            event.map_iteration_succeeded_event_details = Some(details);
            event
        } else {
            let mut event = HistoryEvent::new("MapIterationFailed", self.now());
            event.map_iteration_failed_event_details = Some(details);
            event
        };
        self.record(event, iteration_last);
        result
    }

    /// Ends a Parallel or Map state: its `<kind>StateSucceeded`/`Failed` event, then the
    /// results array through ResultSelector and ResultPath.
    fn close_fan_out(
        &self,
        kind: &str,
        outcome: Result<Vec<Value>, StateError>,
        (state, handling): (&State, &Handling),
        (raw_input, context): (&Value, &Value),
        last_event: &mut u64,
    ) -> Result<Value, StateError> {
        let event = if outcome.is_ok() {
            "StateSucceeded"
        } else {
            "StateFailed"
        };
        *last_event = self.record(
            HistoryEvent::new(format!("{kind}{event}"), self.now()),
            self.last_event_id(),
        );
        Self::finish(state, handling, raw_input, Value::Array(outcome?), context)
    }
}
