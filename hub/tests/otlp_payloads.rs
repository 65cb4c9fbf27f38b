//! OTLP payloads by hand: OTLP/JSON (hex ids, integer enums, camelCase,
//! string-encoded 64-bit numbers) is accepted for every signal; malformed
//! protobuf and JSON are rejected with 400 / INVALID_ARGUMENT and counted;
//! a flood beyond the span budget evicts old traces and stays bounded.

mod support;

use chaoslab_contract::wire::hub::{SpanKind, StatusCode};
use chaoslab_hub::HubConfig;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use serde_json::json;
use support::{S, TestHub, export, grpc_raw_export};

const TRACE: &str = "5b8efff798038103d269b633813fc60c";

fn json_traces() -> serde_json::Value {
    json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-svc"}}]},
        "scopeSpans": [{
            "scope": {"name": "manual"},
            "spans": [
                {"traceId": TRACE, "spanId": "eee19b7ec3c1b174", "parentSpanId": "",
                 "name": "GET /json", "kind": 2,
                 "startTimeUnixNano": "1544712660000000000", "endTimeUnixNano": "1544712661000000000",
                 "attributes": [
                    {"key": "http.response.status_code", "value": {"intValue": "500"}},
                    {"key": "ratio", "value": {"doubleValue": 0.5}},
                    {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}]}}}
                 ],
                 "status": {"code": 2, "message": "bad"},
                 "events": [{"timeUnixNano": "1544712660500000000", "name": "chaos.fault",
                             "attributes": [{"key": "fault.kind", "value": {"stringValue": "abort"}}, {"key": "http.response.status_code", "value": {"intValue": 500}}]}]},
                {"traceId": TRACE, "spanId": "eee19b7ec3c1b175", "parentSpanId": "eee19b7ec3c1b174",
                 "name": "SELECT", "kind": 3,
                 "startTimeUnixNano": 1544712660100000000u64, "endTimeUnixNano": "1544712660200000000"},
                {"traceId": "abcd", "spanId": "eee19b7ec3c1b176", "name": "short id"}
            ]
        }]
    }]})
}

#[tokio::test]
async fn otlp_json_is_accepted_for_traces_metrics_and_logs() {
    let th = TestHub::start(HubConfig::default(), false).await;
    let http = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value| {
        http.post(format!("http://{}{path}", th.http))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let r = post("/v1/traces", json_traces()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: serde_json::Value = r.json().await.unwrap();
    // the span with a 2-byte trace id is refused, the others kept
    assert_eq!(body["partialSuccess"]["rejectedSpans"], 1);

    let t = th.client().trace(TRACE).await.unwrap();
    assert_eq!(t.spans.len(), 2);
    let root = &t.spans[0];
    assert_eq!(
        (root.service.as_str(), root.name.as_str()),
        ("json-svc", "GET /json")
    );
    assert_eq!(root.kind, SpanKind::Server);
    assert_eq!(root.status, StatusCode::Error);
    assert_eq!(root.attributes["http.response.status_code"], 500);
    assert_eq!(root.attributes["ratio"], 0.5);
    assert_eq!(root.attributes["tags"], json!(["a"]));
    assert_eq!(root.duration_ms, 1000.0);
    assert_eq!(root.events[0].attributes["http.response.status_code"], 500);
    assert_eq!(
        t.spans[1].parent_span_id.as_deref(),
        Some("eee19b7ec3c1b174")
    );
    assert_eq!(t.spans[1].kind, SpanKind::Client);
    assert!(t.summary.has_error && t.summary.has_fault);

    let metrics = json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"name": "requests", "sum": {"aggregationTemporality": 2, "isMonotonic": true,
            "dataPoints": [{"asInt": "3", "timeUnixNano": "1544712660000000000"},
                           {"asDouble": 1.5, "timeUnixNano": "1544712660000000000"}]}},
        {"name": "temp", "gauge": {"dataPoints": [{"asDouble": 20.5}]}}
    ]}]}]});
    assert_eq!(post("/v1/metrics", metrics).await.unwrap().status(), 200);
    let logs = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"timeUnixNano": "1544712660000000000", "severityNumber": 9, "body": {"stringValue": "hi"}},
        {"body": {"stringValue": "there"}}
    ]}]}]});
    assert_eq!(post("/v1/logs", logs).await.unwrap().status(), 200);

    let h = th.client().health().await.unwrap();
    assert_eq!(h.metric_points_received, 3);
    assert_eq!(h.log_records_received, 2);
    assert_eq!(h.spans_received, 2);
    assert_eq!(h.rejected_spans, 1);
    assert_eq!(h.rejected_payloads, 0);
}

#[tokio::test]
async fn malformed_payloads_are_rejected_and_counted() {
    let th = TestHub::start(HubConfig::default(), false).await;
    let http = reqwest::Client::new();
    let post = |ct: &str, body: Vec<u8>| {
        http.post(format!("http://{}/v1/traces", th.http))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    // field 1, length 16, but only 3 bytes follow
    let truncated = b"\x0a\x10abc".to_vec();

    let r = post("application/x-protobuf", truncated.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/x-protobuf");
    let body = r.bytes().await.unwrap();
    assert_eq!(body[0..2], [0x08, 3], "google.rpc.Status with code 3");
    assert!(String::from_utf8_lossy(&body).contains("malformed OTLP protobuf"));

    for bad in [
        &b"not json"[..],
        br#"{"resourceSpans": 5}"#,
        br#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}"#,
    ] {
        let r = post("application/json", bad.to_vec()).await.unwrap();
        assert_eq!(r.status(), 400, "{}", String::from_utf8_lossy(bad));
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(
            v["error"].as_str().unwrap().contains("malformed OTLP JSON"),
            "{v}"
        );
        assert_eq!(v["code"], 3);
    }

    let status = grpc_raw_export(th.grpc, truncated).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("malformed"),
        "{}",
        status.message()
    );

    // an unknown content type is refused without counting as malformed
    let r = post("text/plain", b"hello".to_vec()).await.unwrap();
    assert_eq!(r.status(), 415);

    let h = th.client().health().await.unwrap();
    assert_eq!(h.rejected_payloads, 5);
    assert_eq!(h.spans_received, 0);
    // the hub still works afterwards
    assert!(grpc_raw_export(th.grpc, Vec::new()).await.is_ok());
}

#[tokio::test]
async fn a_flood_beyond_the_budget_evicts_old_traces() {
    let budget = 1_000;
    let th = TestHub::start(
        HubConfig {
            span_budget: budget,
            ..HubConfig::default()
        },
        false,
    )
    .await;
    let mut grpc = TraceServiceClient::connect(format!("http://{}", th.grpc))
        .await
        .unwrap();
    let mut bytes_when_full = 0;
    for round in 0..50u128 {
        // 20 traces of 5 spans each per export
        let spans: Vec<S> = (0..100u64)
            .map(|i| {
                let trace = round * 1000 + (i / 5) as u128 + 1;
                S::new(trace, i + 1, if i % 5 == 0 { 0 } else { i }, i, 1)
            })
            .collect();
        grpc.export(export("flood", &spans)).await.unwrap();
        let h = th.hub.health();
        assert!(h.spans_stored <= budget, "{} spans stored", h.spans_stored);
        if round == 9 {
            bytes_when_full = h.trace_store_bytes;
        }
    }
    let h = th.hub.health();
    assert_eq!(h.spans_received, 5_000);
    assert_eq!(h.spans_stored, budget);
    assert_eq!(h.spans_evicted, 4_000);
    assert_eq!(h.traces_evicted, 800);
    assert_eq!(h.traces_stored, 200);
    assert!(
        h.trace_store_bytes <= bytes_when_full + bytes_when_full / 10,
        "store grew from {bytes_when_full} to {} bytes",
        h.trace_store_bytes
    );
    // the oldest traces are gone, the newest are there
    let client = th.client();
    let first = format!("{:032x}", 1u128);
    assert!(client.trace(&first).await.unwrap_err().is_not_found());
    let last = format!("{:032x}", 49_000u128 + 20);
    assert_eq!(client.trace(&last).await.unwrap().spans.len(), 5);
}

#[tokio::test]
async fn gzip_compressed_exports_are_accepted() {
    use std::io::Write;
    let th = TestHub::start(HubConfig::default(), false).await;
    let req = export("zipped", &[S::new(0xabc, 1, 0, 0, 5)]);

    // HTTP with Content-Encoding: gzip
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&prost::Message::encode_to_vec(&req)).unwrap();
    let r = reqwest::Client::new()
        .post(format!("http://{}/v1/traces", th.http))
        .header("content-type", "application/x-protobuf")
        .header("content-encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // a body that claims gzip but is not: 400, counted
    let r = reqwest::Client::new()
        .post(format!("http://{}/v1/traces", th.http))
        .header("content-type", "application/x-protobuf")
        .header("content-encoding", "gzip")
        .body(b"plain".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // gRPC with grpc-encoding: gzip
    let mut grpc = TraceServiceClient::connect(format!("http://{}", th.grpc))
        .await
        .unwrap()
        .send_compressed(tonic::codec::CompressionEncoding::Gzip);
    grpc.export(export("zipped", &[S::new(0xabc, 2, 1, 1, 2)]))
        .await
        .unwrap();

    let t = th.client().trace(&format!("{:032x}", 0xabc)).await.unwrap();
    assert_eq!(t.spans.len(), 2);
    assert_eq!(th.client().health().await.unwrap().rejected_payloads, 1);
}
