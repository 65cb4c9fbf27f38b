//! The service kit: what every service of the shop shares, in one place.
//!
//! - [`telemetry`]: traces (OTLP), logs and the Prometheus recorder, set up once.
//! - [`http`]: the server layer (trace context in, semconv metrics, deadlines,
//!   request faults) and the resilient outgoing client.
//! - [`config`]: the lab config file.
//! - [`context`]: a running service's shared state.
//! - [`faults`]: in-service faults with their own expiry.
//! - [`admin`], [`ops`]: `/admin/...`, `/health/...` and `/metrics`.
//! - [`serve`]: assembling and running a service.
//! - [`messaging`]: producer and consumer spans, trace context in message headers.
//! - [`names`]: metric and label names, written down once.
//! - [`metric_handles`]: metric handles kept per label set.
//! - [`process`]: programs that die with the process that started them.

pub mod admin;
pub mod config;
pub mod context;
pub mod error;
pub mod faults;
pub mod http;
pub mod messaging;
pub mod metric_handles;
pub mod names;
pub mod ops;
pub mod process;
pub mod serve;
pub mod telemetry;
pub mod workers;
