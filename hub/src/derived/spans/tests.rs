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

/// The server request counts, each as its labels but `service`
/// (`k=v,k=v`), sorted.
fn server_counts(red: &SpanRed) -> Vec<(String, f64)> {
    let mut counts: Vec<(String, f64)> = red
        .render()
        .into_iter()
        .filter(|x| x.name == "http_server_request_duration_seconds_count")
        .map(|x| {
            let l: Vec<String> = x
                .labels
                .iter()
                .filter(|(k, _)| k != "service")
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            (l.join(","), x.value)
        })
        .collect();
    counts.sort_by(|a, b| a.0.cmp(&b.0));
    counts
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

#[test]
fn server_streams_read_stable_and_old_names_and_count_every_span_of_a_request() {
    let attr = |k: &str, v: AttrValue| Attribute {
        key: Arc::from(k),
        value: v,
    };
    let s = |v: &str| AttrValue::Str(Arc::from(v));
    let with = |id: u64, attrs: Vec<Attribute>| {
        let mut x = span(id, 0, "api", SERVER, (0, 20));
        x.attributes = attrs;
        x
    };
    let stable = vec![
        attr("http.route", s("/items")),
        attr("http.request.method", s("GET")),
        attr("http.response.status_code", AttrValue::Int(200)),
    ];
    let old = vec![
        attr("http.method", s("GET")),
        attr("http.route", s("/items")),
        attr("http.status_code", s("200")),
    ];
    let mut failed = with(4, stable.clone());
    failed.status = 2;
    let spans = vec![
        (1, with(1, stable.clone())),
        (2, with(2, old)),
        (3, with(3, stable)),
        (4, failed),
        (
            5,
            with(
                5,
                vec![attr("messaging.destination.name", s("orders.placed"))],
            ),
        ),
        (6, with(6, Vec::new())),
    ];
    let mut red = SpanRed::default();
    red.observe(0, &spans);
    assert_eq!(
        server_counts(&red),
        vec![
            (
                "error_type=error,http_request_method=GET,http_response_status_code=200,http_route=/items".into(),
                1.0
            ),
            (
                "http_request_method=GET,http_response_status_code=200,http_route=/items".into(),
                3.0
            ),
            ("http_route=op6".into(), 1.0),
            ("http_route=orders.placed".into(), 1.0),
        ]
    );
}

#[test]
fn made_up_methods_share_one_other_series_and_known_ones_keep_theirs() {
    let with = |id: u64, method: &str| {
        let mut x = span(id, 0, "api", SERVER, (0, 20));
        x.attributes.push(Attribute {
            key: Arc::from("http.request.method"),
            value: AttrValue::Str(Arc::from(method)),
        });
        x
    };
    let spans: Vec<_> = ["PURGE1", "PURGE2", "get", "GET", "POST"]
        .into_iter()
        .enumerate()
        .map(|(i, m)| (i as u128 + 1, with(i as u64 + 1, m)))
        .collect();
    let mut red = SpanRed::default();
    red.observe(0, &spans);
    assert_eq!(
        server_counts(&red),
        vec![
            ("http_request_method=GET,http_route=/r".into(), 1.0),
            ("http_request_method=POST,http_route=/r".into(), 1.0),
            ("http_request_method=_OTHER,http_route=/r".into(), 3.0)
        ]
    );
}

#[test]
fn a_message_edge_keeps_its_wait_in_the_broker_and_a_call_has_none() {
    let store = TraceStore::new(1000, 1 << 30);
    let spans = vec![
        (1, span(1, 0, "web", SERVER, (0, 50))),
        (1, span(2, 1, "web", CLIENT, (1, 40))),
        (1, span(3, 2, "users", SERVER, (3, 38))),
        // Published at 41-42, processed at 160-170: 118 ms in the broker.
        (1, span(6, 1, "web", PRODUCER, (41, 42))),
        (1, span(7, 6, "mailer", CONSUMER, (160, 170))),
    ];
    let mut red = SpanRed::default();
    red.observe(0, &spans);
    store.insert(spans);
    red.resolve(GRACE_MS, &store);
    let rendered = red.render();
    let waits: Vec<(String, String, f64)> = rendered
        .iter()
        .filter(|s| s.name == "hub_message_wait_seconds_count")
        .map(|s| {
            let l = |k: &str| s.labels.iter().find(|(a, _)| a == k).unwrap().1.clone();
            (l("service"), l("server_address"), s.value)
        })
        .collect();
    assert_eq!(
        waits,
        [("web".to_string(), "mailer".to_string(), 1.0)],
        "only the message has a wait"
    );
    // 118 ms: above the 100 ms bound, within the 250 ms one.
    let bucket = |le: &str| {
        rendered
            .iter()
            .find(|s| {
                s.name == "hub_message_wait_seconds_bucket"
                    && s.labels.iter().any(|(k, v)| k == "le" && v == le)
            })
            .map(|s| s.value)
    };
    assert_eq!((bucket("0.1"), bucket("0.25")), (Some(0.0), Some(1.0)));
}
