//! Assembly of traces from spans in any order, summaries, and the budget.

use std::sync::Arc;

use super::*;
use crate::traces::span::{AttrValue, Attribute, FAULT_EVENT, StoredEvent};

fn span(id: u64, parent: u64, service: &str, start: u64, end: u64) -> StoredSpan {
    StoredSpan {
        span_id: id,
        parent_id: parent,
        service: Arc::from(service),
        resource: Arc::from(Vec::new()),
        name: Arc::from(format!("op{id}")),
        kind: 2,
        status: 0,
        status_message: Box::from(""),
        start_unix_nano: start,
        end_unix_nano: end,
        attributes: Vec::new(),
        events: Vec::new(),
    }
}

#[test]
fn parent_after_child_still_makes_one_trace_with_its_root() {
    let st = TraceStore::new(100, 1 << 30);
    st.insert(vec![(7, span(2, 1, "users", 2_000_000, 3_000_000))]);
    let before = st.with_trace(7, |t| (t.root, t.root_or_first().unwrap().span_id));
    assert_eq!(before, Some((None, 2)));
    st.insert(vec![(7, span(1, 0, "gateway", 1_000_000, 9_000_000))]);
    st.with_trace(7, |t| {
        assert_eq!(t.spans.len(), 2);
        assert_eq!(t.root_or_first().unwrap().span_id, 1);
        assert_eq!(t.start, 1_000_000);
        assert_eq!(t.end, 9_000_000);
        assert_eq!(t.duration_ms(), 8.0);
        assert_eq!(t.services.len(), 2);
    })
    .unwrap();
    assert_eq!(st.stats().traces, 1);
}

#[test]
fn only_the_fault_event_marks_a_fault() {
    let st = TraceStore::new(100, 1 << 30);
    let mut e = span(1, 0, "a", 0, 1);
    e.status = 2;
    let mut f = span(2, 1, "b", 0, 1);
    f.events.push(StoredEvent {
        name: Arc::from(FAULT_EVENT),
        time_unix_nano: 0,
        attributes: Vec::new(),
    });
    // A proxy's own attribute, another chaos-looking event or attribute:
    // none of them is an injected fault.
    let mut g = span(3, 0, "c", 0, 1);
    g.attributes.push(Attribute {
        key: Arc::from("proxy.name"),
        value: AttrValue::Str(Arc::from("users")),
    });
    g.attributes.push(Attribute {
        key: Arc::from("chaos.proxy"),
        value: AttrValue::Str(Arc::from("users")),
    });
    g.events.push(StoredEvent {
        name: Arc::from("chaos.latency"),
        time_unix_nano: 0,
        attributes: Vec::new(),
    });
    st.insert(vec![(1, e), (2, f), (3, g), (4, span(4, 0, "d", 0, 1))]);
    let marks = |id| st.with_trace(id, |t| (t.has_error, t.has_fault)).unwrap();
    assert_eq!(marks(1), (true, false));
    assert_eq!(marks(2), (false, true));
    assert_eq!(marks(3), (false, false));
    assert_eq!(marks(4), (false, false));
    let f = TraceFilter {
        faults_only: true,
        ..Default::default()
    };
    let mut hits = Vec::new();
    assert_eq!(st.scan(&f, |id, _| hits.push(id)), 1);
    assert_eq!(hits, vec![2]);
}

#[test]
fn the_byte_budget_evicts_oldest_traces() {
    let st = TraceStore::new(1_000_000, 64 << 10);
    for t in 0..100u128 {
        let mut s = span(1, 0, "a", 0, 1);
        s.attributes.push(Attribute {
            key: Arc::from("blob"),
            value: AttrValue::Str(Arc::from("x".repeat(4000))),
        });
        st.insert(vec![(t, s)]);
        assert!(st.stats().approx_bytes <= 64 << 10, "{:?}", st.stats());
    }
    let s = st.stats();
    assert!(s.traces > 5 && s.traces < 20, "{s:?}");
    assert_eq!(s.traces_evicted, 100 - s.traces as u64);
    assert!(st.with_trace(99, |_| ()).is_some());
}

#[test]
fn budget_evicts_oldest_traces_and_never_exceeds() {
    let st = TraceStore::new(10, 1 << 30);
    for t in 0..20u128 {
        // three spans a trace, in two requests
        st.insert(vec![(t, span(1, 0, "a", 0, 1)), (t, span(2, 1, "a", 0, 1))]);
        st.insert(vec![(t, span(3, 1, "a", 0, 1))]);
        assert!(st.stats().spans <= 10);
    }
    let s = st.stats();
    assert_eq!(s.spans, 9, "three whole traces of three spans");
    assert_eq!(s.traces, 3);
    assert_eq!(s.spans_received, 60);
    assert_eq!(s.spans_evicted, 51);
    assert_eq!(s.traces_evicted, 17);
    assert!(st.with_trace(0, |_| ()).is_none());
    assert!(st.with_trace(19, |_| ()).is_some());
}
