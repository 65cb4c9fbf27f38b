//! Traces: the span model the hub keeps, its conversion from OTLP, and the
//! bounded store that assembles spans into traces.
//!
//! ```text
//!  OTLP request ──convert──> Vec<(trace id, StoredSpan)> ──insert──> TraceStore
//!                                                                      │
//!                        /api/traces, /api/traces/{id} <──view─────────┘
//! ```

pub mod convert;
pub mod ids;
pub mod span;
pub mod store;
pub mod view;

pub use span::{AttrValue, Attribute, StoredEvent, StoredSpan};
pub use store::{TraceFilter, TraceStore};
