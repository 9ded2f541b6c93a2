//! In-memory records, one file each — clusters ([`cluster`]: the state changes every path
//! makes, each recording its event), their steps ([`step`]) and instances ([`instance`]) —
//! and their rendering in EMR's JSON shapes ([`shapes`]: what they share, and their ids).
//! EMR's vocabulary (states, ActionOnFailure, HadoopJarStep, FailureDetails) is
//! `emrflow-vocabulary`'s.

mod cluster;
mod instance;
mod shapes;
mod step;

pub(crate) use cluster::{BootstrapAction, Cluster};
pub(crate) use instance::{Instance, Membership, INSTANCE_STATES};
pub(crate) use shapes::{new_cluster_id, new_instance_collection_id, StateChange};
pub(crate) use step::Step;
