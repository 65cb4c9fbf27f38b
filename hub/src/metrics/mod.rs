//! Metrics: reading the Prometheus text format, keeping recent samples, and
//! the arithmetic (rates over counter resets, `histogram_quantile`) that the
//! query API derives its numbers from.
//!
//! ```text
//!  /metrics text ──exposition::parse──> samples ──SeriesStore::record──> ring buffers
//!                                                                          │
//!          RED per service / route / edge, resilience, load <──derive──────┘
//! ```

pub mod derive;
pub mod exposition;
pub mod quantile;
pub mod series;
