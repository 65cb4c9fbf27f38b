//! A trace's spans in waterfall order: each span after its parent, children
//! by start time, with its depth and whether it carries an error or an
//! injected fault. Computed once when a trace arrives, so drawing a frame
//! only looks at the rows on screen.

use std::collections::HashMap;

use chaoslab_contract::wire::hub::{SpanView, StatusCode, TraceDetail};

/// One row of the waterfall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanRow {
    /// Index into `TraceDetail::spans`.
    pub span: usize,
    /// 0 for a root (or a span whose parent never arrived).
    pub depth: u16,
    /// The span's status is Error.
    pub error: bool,
    /// The span has a `chaos.` event or attribute.
    pub fault: bool,
}

/// Whether a span carries an injected fault: the one documented event
/// ([`FAULT_EVENT`]); no attribute or other event counts.
pub fn has_fault(span: &SpanView) -> bool {
    span.events.iter().any(|e| e.name == FAULT_EVENT)
}

pub use chaoslab_hub::traces::span::FAULT_EVENT;

/// The rows of a trace, parents before children, siblings by start.
pub fn rows(trace: &TraceDetail) -> Vec<SpanRow> {
    let spans = &trace.spans;
    let index: HashMap<&str, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_id.as_str(), i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    let mut roots = Vec::new();
    for (i, s) in spans.iter().enumerate() {
        match s.parent_span_id.as_deref().and_then(|p| index.get(p)) {
            Some(&parent) if parent != i => children[parent].push(i),
            _ => roots.push(i),
        }
    }
    let by_start = |v: &mut Vec<usize>| v.sort_by_key(|&i| (spans[i].start_unix_nano, i));
    by_start(&mut roots);
    for c in &mut children {
        by_start(c);
    }
    let mut out = Vec::with_capacity(spans.len());
    let mut seen = vec![false; spans.len()];
    // Depth-first with an explicit stack (deep traces must not overflow).
    let mut stack: Vec<(usize, u16)> = roots.iter().rev().map(|&r| (r, 0)).collect();
    while let Some((i, depth)) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue; // a parent cycle in bad data
        }
        let s = &spans[i];
        out.push(SpanRow {
            span: i,
            depth,
            error: s.status == StatusCode::Error,
            fault: has_fault(s),
        });
        for &c in children[i].iter().rev() {
            stack.push((c, depth.saturating_add(1)));
        }
    }
    // Spans only reachable through a cycle.
    for (i, s) in spans.iter().enumerate() {
        if !seen[i] {
            out.push(SpanRow {
                span: i,
                depth: 0,
                error: s.status == StatusCode::Error,
                fault: has_fault(s),
            });
        }
    }
    out
}
