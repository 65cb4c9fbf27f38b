//! Trace and span ids: fixed-size integers inside the store, lowercase hex
//! outside (as OTLP/JSON writes them).

use std::fmt::Write;

/// A 16-byte trace id as an integer (big-endian), for cheap hashing.
pub type TraceId = u128;
/// An 8-byte span id as an integer (big-endian); 0 means "none".
pub type SpanId = u64;

/// Reads a trace id; `None` unless exactly 16 bytes and not all zero.
pub fn trace_id_from_bytes(b: &[u8]) -> Option<TraceId> {
    let arr: [u8; 16] = b.try_into().ok()?;
    let id = u128::from_be_bytes(arr);
    (id != 0).then_some(id)
}

/// Reads a span id; `None` unless exactly 8 bytes and not all zero.
pub fn span_id_from_bytes(b: &[u8]) -> Option<SpanId> {
    let arr: [u8; 8] = b.try_into().ok()?;
    let id = u64::from_be_bytes(arr);
    (id != 0).then_some(id)
}

/// 32 lowercase hex digits.
pub fn trace_id_hex(id: TraceId) -> String {
    let mut s = String::with_capacity(32);
    let _ = write!(s, "{id:032x}");
    s
}

/// 16 lowercase hex digits.
pub fn span_id_hex(id: SpanId) -> String {
    let mut s = String::with_capacity(16);
    let _ = write!(s, "{id:016x}");
    s
}

/// Parses 32 hex digits (either case).
pub fn parse_trace_id(s: &str) -> Option<TraceId> {
    if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(s, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let id = trace_id_from_bytes(&[0xab; 16]).unwrap();
        assert_eq!(trace_id_hex(id), "ab".repeat(16));
        assert_eq!(parse_trace_id(&"AB".repeat(16)), Some(id));
        assert_eq!(span_id_hex(1), "0000000000000001");
        assert_eq!(trace_id_from_bytes(&[0; 16]), None);
        assert_eq!(span_id_from_bytes(&[1; 7]), None);
        assert_eq!(parse_trace_id("xyz"), None);
    }
}
