//! Edges from span pairs: direct client/server, through a forwarding proxy,
//! producer/consumer, and none within one service.

use std::sync::Arc;

use super::*;
use crate::traces::span::{AttrValue, Attribute};

fn span(id: u64, parent: u64, service: &str, kind: u8, ms: (u64, u64)) -> StoredSpan {
    StoredSpan {
        span_id: id,
        parent_id: parent,
        service: Arc::from(service),
        resource: Arc::from(Vec::new()),
        name: Arc::from(format!("op{id}")),
        kind,
        status: 0,
        status_message: Box::from(""),
        start_unix_nano: ms.0 * 1_000_000,
        end_unix_nano: ms.1 * 1_000_000,
        attributes: vec![Attribute {
            key: Arc::from("http.route"),
            value: AttrValue::Str(Arc::from("/r")),
        }],
        events: Vec::new(),
    }
}

fn edges(red: &SpanRed) -> Vec<(String, String, f64)> {
    red.render()
        .into_iter()
        .filter(|s| s.name == "http_client_request_duration_seconds_count")
        .map(|s| {
            let l = |k: &str| s.labels.iter().find(|(a, _)| a == k).unwrap().1.clone();
            (l("service"), l("server_address"), s.value)
        })
        .collect()
}

#[test]
fn a_proxy_in_the_middle_is_skipped_and_same_service_calls_are_no_edge() {
    let store = TraceStore::new(1000, 1 << 30);
    let spans = vec![
        (1, span(1, 0, "web", SERVER, (0, 50))),
        (1, span(2, 1, "web", CLIENT, (1, 40))),
        (1, span(3, 2, "proxy-agent", SERVER, (2, 39))),
        (1, span(4, 3, "users", SERVER, (3, 38))),
        (1, span(5, 4, "users", 1, (4, 5))),
        (1, span(6, 1, "web", PRODUCER, (41, 42))),
        (1, span(7, 6, "mailer", CONSUMER, (60, 70))),
    ];
    let mut red = SpanRed::default();
    red.observe(0, &spans);
    store.insert(spans);
    red.resolve(GRACE_MS - 1, &store);
    assert!(
        edges(&red).is_empty(),
        "edges wait for the rest of the trace"
    );
    red.resolve(GRACE_MS, &store);
    let mut e = edges(&red);
    e.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    assert_eq!(
        e,
        vec![
            ("web".into(), "mailer".into(), 1.0),
            ("web".into(), "users".into(), 1.0)
        ]
    );
    let servers: Vec<String> = red
        .render()
        .into_iter()
        .filter(|s| s.name == "http_server_request_duration_seconds_count")
        .map(|s| {
            s.labels
                .iter()
                .find(|(k, _)| k == "service")
                .unwrap()
                .1
                .clone()
        })
        .collect();
    assert_eq!(servers, vec!["mailer", "proxy-agent", "users", "web"]);
    assert_eq!(red.proxies(), vec!["proxy-agent"]);
}
