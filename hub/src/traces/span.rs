//! The span as the store keeps it: compact, with interned strings, and only
//! what the query API shows (resource attributes other than `service.name`
//! are dropped).

use std::sync::Arc;

use super::ids::SpanId;

/// A span attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Interned key (keys repeat across spans).
    pub key: Arc<str>,
    /// The value.
    pub value: AttrValue,
}

/// An attribute value; arrays, maps and bytes are kept as JSON. Short
/// strings are interned per request ([`INTERN_MAX_LEN`]): values such as
/// methods, routes and addresses repeat in nearly every span.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Str(Arc<str>),
    Int(i64),
    F64(f64),
    Bool(bool),
    Json(Box<serde_json::Value>),
}

/// A span event (a fault injection appears as `chaos.<kind>`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub name: Arc<str>,
    pub time_unix_nano: u64,
    pub attributes: Vec<Attribute>,
}

/// One stored span.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSpan {
    pub span_id: SpanId,
    /// 0 for a root span.
    pub parent_id: SpanId,
    /// `service.name` of the sending resource.
    pub service: Arc<str>,
    pub name: Arc<str>,
    /// OTLP span kind number (0 unspecified .. 5 consumer).
    pub kind: u8,
    /// OTLP status code number (0 unset, 1 ok, 2 error).
    pub status: u8,
    pub status_message: Box<str>,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
    pub attributes: Vec<Attribute>,
    pub events: Vec<StoredEvent>,
}

/// String values up to this length are interned (shared, not counted per
/// span); longer ones (URLs with ids, statements) rarely repeat.
pub const INTERN_MAX_LEN: usize = 64;

/// The prefix that marks a chaos fault on a span (event or attribute name).
pub const FAULT_PREFIX: &str = "chaos.";

impl StoredSpan {
    /// The span's status is Error.
    pub fn is_error(&self) -> bool {
        self.status == 2
    }

    /// An event or attribute name starts with `chaos.`.
    pub fn has_fault(&self) -> bool {
        self.events.iter().any(|e| e.name.starts_with(FAULT_PREFIX))
            || self
                .attributes
                .iter()
                .any(|a| a.key.starts_with(FAULT_PREFIX))
    }

    /// The heap bytes this span owns (its strings, attribute and event
    /// lists), counted as the allocator hands them out: each block rounded
    /// up to 16 bytes plus an 8-byte header, at least 32. Interned strings
    /// (keys, names, short values) are shared and not counted; the struct itself lives in its trace's
    /// span list, counted there.
    pub fn heap_bytes(&self) -> usize {
        fn attrs(a: &[Attribute]) -> usize {
            alloc_size(std::mem::size_of_val(a))
                + a.iter()
                    .map(|a| match &a.value {
                        AttrValue::Str(s) if s.len() > INTERN_MAX_LEN => alloc_size(s.len() + 16),
                        AttrValue::Json(_) => 128,
                        _ => 0,
                    })
                    .sum::<usize>()
        }
        alloc_size(self.status_message.len())
            + attrs(&self.attributes)
            + alloc_size(std::mem::size_of_val(self.events.as_slice()))
            + self
                .events
                .iter()
                .map(|e| attrs(&e.attributes))
                .sum::<usize>()
    }
}

/// What the allocator uses for a block of `n` bytes (0 for none).
pub fn alloc_size(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n + 8).div_ceil(16).max(2) * 16
    }
}
