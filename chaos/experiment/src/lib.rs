//! Chaos experiments: YAML files that state a steady-state hypothesis, a
//! method that disturbs the lab, and rollbacks that always restore it; and
//! the runner that carries them out against a running lab.
//!
//! Layout:
//! - [`model`]: the file's types; [`parse`] reads them, [`check`] refuses
//!   what the lab cannot do before anything changes.
//! - [`names`]: name lists in messages (the names themselves come from the lab file).
//! - [`duration`]: `250ms`, `5s`, `1m30s`.
//! - [`runner`]: [`run_files`]; [`act`] carries out actions and keeps the
//!   undo ledger; [`observe`] reads probes; [`tolerance`] judges them.
//! - [`lab`]: the endpoints and small clients for the agent, services and
//!   load generator.
//! - [`journal`], [`junit`], [`report`]: the outputs; [`record`] the live lines.
//! - [`lock`]: one run at a time per lab.
//! - [`schema`]: the experiment JSON Schema, its fault kinds and toxic
//!   parameters generated from the registries.
//! - [`error`]: [`ExperimentError`] (bad file) and [`RunError`] (lab trouble).

#![forbid(unsafe_code)]

pub mod act;
pub mod check;
pub mod clock;
pub mod compare;
pub mod duration;
pub mod error;
pub mod journal;
pub mod junit;
pub mod lab;
pub mod live;
pub mod lock;
pub mod model;
pub mod names;
pub mod observe;
pub mod pair;
pub mod parse;
pub mod record;
pub mod report;
pub mod runner;
pub mod schema;
pub mod score;
pub mod tolerance;

pub use error::{ExperimentError, RunError};
pub use journal::{Journal, Verdict};
pub use lab::LabEndpoints;
pub use model::Experiment;
pub use parse::{validate_file, validate_str};
pub use runner::{RunOptions, run_files, run_files_journal};
