//! The contract's agent client against a served agent, and a quick bench run.

use std::time::Duration;

use chaoslab_chaos::bench::{BenchOptions, bench};
use chaoslab_chaos::{ProxyPatch, ProxySpec, ToxicPatch, ToxicSpec};
use chaoslab_contract::client::{AgentClient as Client, ClientError, DownHow, ToxicAdded};
use chaoslab_contract::wire::http_fault::HttpFaultSpec;
use serde_json::json;

use crate::support::*;

async fn served() -> Client {
    let agent = agent();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(chaoslab_chaos::serve(
        listener,
        agent,
        std::future::pending(),
    ));
    Client::new(&format!("http://{addr}"))
}

#[tokio::test]
async fn the_client_drives_the_whole_api() {
    let c = served().await;
    assert!(c.ping().await);
    assert!(c.version().await.unwrap().starts_with("2."));
    let up = echo_server().await.to_string();
    let p = c
        .create_proxy(&ProxySpec::new("c", "127.0.0.1:0", &up))
        .await
        .unwrap();
    assert!(p.enabled);
    let err = c
        .create_proxy(&ProxySpec::new("c", "127.0.0.1:0", &up))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ClientError::Api { status: 409, message, .. } if message == "proxy already exists"),
        "{err}"
    );
    // The error says which call failed and quotes the agent's own message.
    assert!(err.to_string().starts_with("POST http://"), "{err}");
    assert!(
        err.to_string()
            .ends_with("/proxies: proxy already exists (HTTP 409)"),
        "{err}"
    );
    assert_eq!(c.proxies().await.unwrap().len(), 1);

    let t = c
        .add_toxic("c", &ToxicSpec::new("latency", json!({"latency": 5})))
        .await
        .unwrap();
    assert_eq!(t.name, "latency_downstream");
    let t = c
        .update_toxic(
            "c",
            &t.name,
            &ToxicPatch {
                attributes: json!({"jitter": 1}),
                toxicity: None,
                kind: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(t.attributes, json!({"latency": 5, "jitter": 1}));
    assert_eq!(c.toxics("c").await.unwrap().len(), 1);
    assert_eq!(
        c.toxic("c", "latency_downstream").await.unwrap().attributes["jitter"],
        1
    );
    c.remove_toxic("c", "latency_downstream").await.unwrap();
    assert_eq!(c.toxic("c", "nope").await.unwrap_err().status(), Some(404));

    let timed = c
        .add_toxic_for(
            "c",
            &ToxicSpec::new("noop", json!({})),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let faults = c.faults().await.unwrap();
    assert_eq!(faults.len(), 1);
    assert!(faults[0].remaining_ms.unwrap() <= 60_000);
    assert_eq!(faults[0].kind, timed.kind);
    c.remove_fault(&faults[0].id).await.unwrap();

    let v = c.set_enabled("c", false).await.unwrap();
    assert!(!v.enabled);
    let v = c
        .update_proxy(
            "c",
            &ProxyPatch {
                enabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(v.enabled);
    c.reset().await.unwrap();
    let spec: HttpFaultSpec =
        serde_json::from_value(json!({"type": "abort", "status": 500})).unwrap();
    let err = c.add_http_fault("c", &spec).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.message().contains("http mode"), "{err}");
    // A timed toxic and a timed down go through the extension.
    assert_eq!(
        c.add_toxic_timed(
            "c",
            &ToxicSpec::new("noop", json!({})),
            Duration::from_secs(5)
        )
        .await
        .unwrap(),
        ToxicAdded::WithDuration
    );
    let DownHow::Timed { id } = c.take_down("c", Duration::from_secs(5)).await.unwrap() else {
        panic!("the agent has a timed down");
    };
    assert!(!c.proxy("c").await.unwrap().enabled);
    c.remove_fault(&id).await.unwrap();
    assert!(c.proxy("c").await.unwrap().enabled);
    assert!(c.remove_fault(&id).await.unwrap_err().is_not_found());
    // On an http-mode proxy the agent checks the fault by the contract's rules.
    c.create_proxy(&ProxySpec::new("h", "127.0.0.1:0", &up).http())
        .await
        .unwrap();
    let bad: HttpFaultSpec =
        serde_json::from_value(json!({"type": "abort", "status": 200})).unwrap();
    let err = c.add_http_fault("h", &bad).await.unwrap_err();
    assert!(
        err.message()
            .contains("status must be within 400..=599, got 200"),
        "{err}"
    );
    assert_eq!(
        bad.validate().unwrap_err(),
        "status must be within 400..=599, got 200"
    );
    let good: HttpFaultSpec =
        serde_json::from_value(json!({"type": "abort", "status": 503, "duration_ms": 5000}))
            .unwrap();
    let f = c.add_http_fault("h", &good).await.unwrap();
    assert_eq!((f.kind.as_str(), f.target.as_str()), ("http_abort", "h"));
    c.delete_proxy("h").await.unwrap();
    c.clear_faults().await.unwrap();
    assert!(c.metrics().await.unwrap().contains("toxiproxy") || c.metrics().await.is_ok());
    let populated = c
        .populate(&[ProxySpec::new("d", "127.0.0.1:0", &up)])
        .await
        .unwrap();
    assert_eq!(populated[0].name, "d");
    c.delete_proxy("c").await.unwrap();
    assert_eq!(c.proxy("c").await.unwrap_err().status(), Some(404));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_bench_runs_and_prints_a_table() {
    let report = bench(BenchOptions {
        case_duration: Duration::from_millis(100),
        sizes: vec![1024],
        connections: vec![1, 4],
        latency: Duration::from_millis(20),
        latency_requests: 8,
        toxicity_connections: 400,
        toxicity: 0.3,
        compare_nginx: false,
        repeats: 1,
    })
    .await
    .unwrap();
    // 1 KB × 1 and × 4 connections, in tcp mode and in http mode.
    let cells: Vec<(&str, usize)> = report
        .throughput
        .iter()
        .map(|r| (r.mode, r.connections))
        .collect();
    assert_eq!(cells, [("tcp", 1), ("tcp", 4), ("http", 1), ("http", 4)]);
    assert!(
        report
            .throughput
            .iter()
            .all(|r| r.proxy_rps > 0.0 && r.direct_rps > 0.0)
    );
    // Both modes measured, and the toxic's delay is really there (never
    // less than configured).
    let modes: Vec<&str> = report.latency.iter().map(|l| l.mode).collect();
    assert_eq!(modes, ["tcp", "http"], "{report}");
    assert!(
        report.latency.iter().all(|l| l.added_p50_ms >= 19.0),
        "{report}"
    );
    assert!(report.toxicity.z().abs() < 5.0, "{report}");
    let table = report.to_string();
    assert!(
        table.contains("ratio") && table.contains("toxicity 0.30"),
        "{table}"
    );
}

/// The full bench (`cargo test -p chaoslab-chaos --release -- --ignored full_bench --nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "takes about half a minute; run on demand"]
async fn full_bench() {
    let report = bench(BenchOptions::default()).await.unwrap();
    println!("{report}");
}
