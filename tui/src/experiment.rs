//! What the Experiment screen shows: the contract's view of a running
//! experiment ([`chaoslab_contract::wire::experiment`]), which the runner
//! builds and puts to the hub, and the dashboard reads from the hub's
//! `GET /api/experiment` (a 404 or any failure means "no experiment running").

pub use chaoslab_contract::wire::experiment::{
    ExperimentPhase, ExperimentView, ProbeView, StepStatus, StepView,
};
