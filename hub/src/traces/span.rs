//! The span as the store keeps it: compact, with interned strings, and only
//! what the query API shows. Resource attributes are kept once per
//! resource and shared by its spans ([`Resource`]).

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

/// The attributes of the resource that sent a span (`service.name`,
/// `telemetry.sdk.language`, `host.name`, ...), shared by its spans.
pub type Resource = Arc<[Attribute]>;

/// A span event (an injected fault appears as [`FAULT_EVENT`]).
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
    /// Every attribute of the sending resource.
    pub resource: Resource,
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

/// The event that records an injected fault; nothing else marks one.
pub use chaoslab_kit::names::span::FAULT_EVENT;

impl StoredSpan {
    /// The span's status is Error.
    pub fn is_error(&self) -> bool {
        self.status == 2
    }

    /// The span carries a [`FAULT_EVENT`] event: a fault was injected into
    /// it. Other names (a proxy's `proxy.name`, anyone's `chaos.*`
    /// attributes) never count.
    pub fn has_fault(&self) -> bool {
        self.events.iter().any(|e| &*e.name == FAULT_EVENT)
    }

    /// A string attribute's value.
    pub fn str_attr(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find_map(|a| match &a.value {
            AttrValue::Str(s) if &*a.key == key => Some(&**s),
            _ => None,
        })
    }

    /// An integer attribute's value (also from a numeric string).
    pub fn int_attr(&self, key: &str) -> Option<i64> {
        self.attributes.iter().find_map(|a| match &a.value {
            _ if &*a.key != key => None,
            AttrValue::Int(i) => Some(*i),
            AttrValue::Str(s) => s.parse().ok(),
            _ => None,
        })
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
