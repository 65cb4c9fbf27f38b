//! chaoslab-load: the lab's load generator (`chaoslab load`, and part of
//! `chaoslab up` at a modest rate).
//!
//! An open model: arrivals come at a set rate (evenly spaced or Poisson)
//! whether the target is fast or slow, each as its own task; latency counts
//! from the time an arrival was due, so a slow target cannot hide its queueing
//! (no coordinated omission). Each arrival plays a weighted journey of the
//! lab file (`[load]`, the contract crate's model) as a virtual user against
//! the lab's entry service under a root span, so traces start at the user.
//!
//! ```text
//!  PUT /load {rate} ──> LoadGen ── arrivals ──> journeys ──HTTP + traceparent──> entry service
//!                          │                       │
//!  GET /load <── Stats (HDR, window + totals) <────┤
//!  GET /metrics <── loadgen_requests_total, loadgen_request_duration_seconds
//! ```
//!
//! Layout: [`config`] (what to run), [`outcome`] (how a journey ended),
//! `play` (the journey executor and its HTTP calls), `generator` (the arrival loop), `stats` and
//! `meters` (numbers), [`report`] (what `GET /load` answers), `api` (the
//! control API; its bodies and typed client are the contract's,
//! `wire::load` and `client::LoadClient`), `cli` (`chaoslab load`),
//! `bench` (top rate).

mod api;
mod bench;
mod cli;
pub mod config;
mod generator;
mod meters;
pub mod outcome;
mod play;
pub mod report;
mod stats;

pub use bench::{BenchReport, BenchRow, bench, serve_products};
pub use chaoslab_contract::client::{ClientError, LoadClient};
pub use chaoslab_contract::{Journey, Load};
pub use cli::{LoadArgs, run_cli};
pub use config::{LoadConfig, LoadError, Weights};
pub use generator::{LoadGen, WINDOW_SECS};
pub use outcome::Outcome;
pub use report::{JourneyReport, LoadReport, Table, TotalsReport};
