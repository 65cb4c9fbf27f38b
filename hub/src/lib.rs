//! chaoslab-hub: the lab's telemetry hub.
//!
//! It receives OTLP (traces stored, metrics and logs counted), scrapes every
//! lab process's Prometheus `/metrics`, and answers a JSON query API that the
//! terminal dashboard, the experiment runner and the CLI read through the
//! typed [`client::HubClient`].

pub mod api;
pub mod client;

pub use api::types::Target;
