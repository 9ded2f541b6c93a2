//! What a run cost: each instance's billed seconds from ListInstances' timelines (ready →
//! end, per second, EMR's one-minute minimum), priced by a [`Prices`] adapter, summed by
//! instance type and market into a bounded [`Cost`] for the execution's output.
//!
//! A created cluster's whole life is the execution's; a reused cluster's instances count only
//! for the time the execution held it ([`CostWindow`]).

mod estimate;
mod prices;
mod snapshot;

pub use estimate::{
    estimate, unknown_cost, Cost, CostLine, CostWindow, MAX_COST_LINES, MAX_UNKNOWN_NAMED,
};
pub use prices::{HourlyPrice, Prices};
pub use snapshot::{Snapshot, SnapshotEntry, SnapshotPrices};

/// What every cost leaves out, in its basis.
pub const EXCLUDES: &str = "excludes EBS, S3, data transfer, savings plans and discounts";
