//! The log store: records in arrival order, bounded in bytes; the oldest
//! go first when the budget is passed, counted. Queries scan newest first.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use super::StoredLog;
use crate::traces::ids::{SpanId, TraceId};

/// Which records a query wants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogFilter {
    pub service: Option<String>,
    /// At least this severity number.
    pub min_severity: Option<u8>,
    pub trace_id: Option<TraceId>,
    pub span_id: Option<SpanId>,
    /// Case-insensitive substring of the body.
    pub text: Option<String>,
    /// Only records with a larger sequence number (follow mode).
    pub after_seq: Option<u64>,
}

impl LogFilter {
    fn matches(&self, r: &StoredLog, text_lower: Option<&str>) -> bool {
        self.service.as_deref().is_none_or(|s| &*r.service == s)
            && self.min_severity.is_none_or(|m| r.severity >= m)
            && self.trace_id.is_none_or(|t| r.trace_id == t)
            && self.span_id.is_none_or(|s| r.span_id == s)
            && self.after_seq.is_none_or(|a| r.seq > a)
            && text_lower.is_none_or(|t| r.body.to_lowercase().contains(t))
    }
}

/// Counters of the store.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LogStats {
    pub records: usize,
    pub bytes: usize,
    pub byte_budget: usize,
    pub received: u64,
    pub evicted: u64,
    /// The newest sequence number given.
    pub last_seq: u64,
}

#[derive(Debug, Default)]
struct Inner {
    records: VecDeque<StoredLog>,
    bytes: usize,
    received: u64,
    evicted: u64,
    next_seq: u64,
}

/// The bounded log store.
#[derive(Debug)]
pub struct LogStore {
    byte_budget: usize,
    inner: Mutex<Inner>,
}

impl LogStore {
    /// A store holding about `byte_budget` bytes.
    pub fn new(byte_budget: usize) -> Self {
        Self {
            byte_budget: byte_budget.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds records (numbering them), then evicts the oldest past budget.
    pub fn insert(&self, records: Vec<StoredLog>) {
        let mut g = self.lock();
        let inner = &mut *g;
        for mut r in records {
            inner.next_seq += 1;
            r.seq = inner.next_seq;
            inner.bytes += r.heap_bytes();
            inner.received += 1;
            inner.records.push_back(r);
        }
        while inner.bytes > self.byte_budget {
            let Some(old) = inner.records.pop_front() else {
                break;
            };
            inner.bytes = inner.bytes.saturating_sub(old.heap_bytes());
            inner.evicted += 1;
        }
    }

    /// Matching records, newest first, at most `limit`; and how many matched.
    pub fn query(&self, f: &LogFilter, limit: usize) -> (Vec<StoredLog>, usize) {
        let text = f.text.as_ref().map(|t| t.to_lowercase());
        let g = self.lock();
        let mut out = Vec::new();
        let mut matched = 0;
        for r in g.records.iter().rev() {
            if f.after_seq.is_some_and(|a| r.seq <= a) {
                break; // older than the page asked for
            }
            if f.matches(r, text.as_deref()) {
                matched += 1;
                if out.len() < limit {
                    out.push(r.clone());
                }
            }
        }
        (out, matched)
    }

    /// The store's counters.
    pub fn stats(&self) -> LogStats {
        let g = self.lock();
        LogStats {
            records: g.records.len(),
            bytes: g.bytes,
            byte_budget: self.byte_budget,
            received: g.received,
            evicted: g.evicted,
            last_seq: g.next_seq,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn rec(service: &str, severity: u8, body: &str, trace: TraceId) -> StoredLog {
        StoredLog {
            seq: 0,
            time_unix_nano: 1,
            severity,
            severity_text: Arc::from(""),
            body: Arc::from(body),
            service: Arc::from(service),
            trace_id: trace,
            span_id: 0,
            attributes: Vec::new(),
            resource: Arc::from(Vec::new()),
        }
    }

    #[test]
    fn filters_and_follow_and_the_byte_budget() {
        let st = LogStore::new(1 << 20);
        st.insert(vec![
            rec("a", 9, "hello world", 7),
            rec("b", 17, "payment FAILED", 0),
            rec("a", 13, "slow disk", 0),
        ]);
        let q = |f: LogFilter| {
            st.query(&f, 10)
                .0
                .into_iter()
                .map(|r| r.body.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            q(LogFilter::default()),
            ["slow disk", "payment FAILED", "hello world"]
        );
        let only_a = LogFilter {
            service: Some("a".into()),
            ..Default::default()
        };
        assert_eq!(q(only_a), ["slow disk", "hello world"]);
        let warn_up = LogFilter {
            min_severity: Some(13),
            ..Default::default()
        };
        assert_eq!(q(warn_up), ["slow disk", "payment FAILED"]);
        let text = LogFilter {
            text: Some("failed".into()),
            ..Default::default()
        };
        assert_eq!(q(text), ["payment FAILED"]);
        let trace = LogFilter {
            trace_id: Some(7),
            ..Default::default()
        };
        assert_eq!(q(trace), ["hello world"]);
        let after = LogFilter {
            after_seq: Some(2),
            ..Default::default()
        };
        assert_eq!(q(after), ["slow disk"]);

        // A small budget keeps the newest and counts what went.
        let small = LogStore::new(4096);
        let big = "x".repeat(1000);
        small.insert((0..20).map(|_| rec("a", 9, &big, 0)).collect());
        let s = small.stats();
        assert!(s.bytes <= 4096, "{s:?}");
        assert!(
            s.records >= 1 && s.evicted == 20 - s.records as u64,
            "{s:?}"
        );
        assert_eq!(s.last_seq, 20);
    }
}
