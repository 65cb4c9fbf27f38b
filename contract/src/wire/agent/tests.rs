//! Toxiproxy's JSON shape, byte for byte: its client libraries parse these.

use super::*;
use serde_json::json;

#[test]
fn a_tcp_proxy_serializes_exactly_as_toxiproxy() {
    let view = ProxyView {
        name: "redis".into(),
        listen: "127.0.0.1:26379".into(),
        upstream: "127.0.0.1:6379".into(),
        enabled: true,
        toxics: vec![ToxicView {
            name: "latency_downstream".into(),
            kind: "latency".into(),
            stream: "downstream".into(),
            toxicity: 1.0,
            attributes: json!({"latency": 100, "jitter": 0}),
        }],
        mode: ProxyMode::Tcp,
    };
    assert_eq!(
        serde_json::to_string(&view).unwrap(),
        r#"{"name":"redis","listen":"127.0.0.1:26379","upstream":"127.0.0.1:6379","enabled":true,"toxics":[{"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":1.0,"attributes":{"jitter":0,"latency":100}}]}"#
    );
}

#[test]
fn an_http_proxy_adds_only_its_mode() {
    let view = ProxyView {
        name: "api".into(),
        listen: "127.0.0.1:1".into(),
        upstream: "127.0.0.1:2".into(),
        enabled: false,
        toxics: vec![],
        mode: ProxyMode::Http,
    };
    assert_eq!(
        serde_json::to_value(&view).unwrap(),
        json!({"name": "api", "listen": "127.0.0.1:1", "upstream": "127.0.0.1:2",
               "enabled": false, "toxics": [], "mode": "http"})
    );
}

#[test]
fn toxiproxy_client_bodies_parse_with_its_defaults() {
    // What Toxiproxy's clients send: partial bodies with its defaults.
    let spec: ToxicSpec =
        serde_json::from_str(r#"{"type":"latency","attributes":{"latency":5}}"#).unwrap();
    assert_eq!(
        (spec.stream.as_str(), spec.toxicity, spec.name.as_str()),
        ("downstream", 1.0, "")
    );
    let proxy: ProxySpec =
        serde_json::from_str(r#"{"name":"a","listen":"localhost:0","upstream":"b:1"}"#).unwrap();
    assert_eq!((proxy.enabled, proxy.mode), (None, None));
    assert_eq!(
        serde_json::to_string(&ProxySpec::new("a", "l", "u")).unwrap(),
        r#"{"name":"a","listen":"l","upstream":"u"}"#
    );
    let patch: ToxicPatch = serde_json::from_str(r#"{"toxicity":0.5}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&patch).unwrap(),
        r#"{"toxicity":0.5}"#
    );
    assert!(serde_json::from_str::<ToxicSpec>(r#"{"type":"latency","toxicity":"x"}"#).is_err());
}
