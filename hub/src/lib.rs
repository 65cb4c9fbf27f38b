//! chaoslab-hub: the lab's telemetry hub.
//!
//! ```text
//!  any sender ──OTLP gRPC/HTTP──> otlp ──> traces::TraceStore (span + byte budget)
//!                                    ├──> logs::LogStore (byte budget)
//!                                    └──> derived (RED + edges from spans, OTLP metrics)
//!  /metrics <──scraper (1 s)──  scraper ──> metrics::SeriesStore (15 min) <── derived, each tick
//!                                   │
//!  TUI, experiment runner, CLI ──HTTP──> api (axum) ──> query / traces::view
//!                 └── chaoslab_contract::client::HubClient (typed, the one client)
//! ```
//!
//! Start: [`Hub::new`], then [`serve_api`], [`serve_otlp_grpc`],
//! [`serve_otlp_http`] and [`run_scraper`], each on its own already-bound
//! listener with a shutdown future; [`Hub::set_targets`] tells the scraper
//! what to read.

pub mod api;
pub mod bench;
pub mod config;
pub mod derived;
mod hub;
pub mod logs;
pub mod metrics;
pub mod otlp;
pub mod query;
pub mod scraper;
pub mod traces;

pub use api::types::Target;
pub use api::{api_router, serve_api};
pub use bench::{BenchOptions, BenchReport, bench_ingest};
pub use config::{ConfigError, HubConfig};
pub use hub::{Hub, IngestStats, now_ms};
pub use otlp::grpc::serve_otlp_grpc;
pub use otlp::http::{otlp_http_router, serve_otlp_http};
pub use scraper::{run_scraper, scrape_once};
