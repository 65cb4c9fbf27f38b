//! The control API on a real socket: `GET /load`, `PUT /load` (rate changes
//! take effect, bad input is a 400 with a JSON message and changes nothing),
//! health, and `/metrics` with the loadgen series.

mod support;

use chaoslab_load::{LoadGen, LoadReport};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use support::{Running, config, eventually, holds_for, start_shop};

/// Serves `generator`'s control API on 127.0.0.1:0; returns its base URL.
async fn serve_api(generator: &Arc<LoadGen>) -> String {
    format!(
        "http://{}",
        chaoslab_testkit::serve(generator.router(None)).await
    )
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn put(api: &str, body: &str) -> (u16, Value) {
    let resp = client()
        .put(format!("{api}/load"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

async fn get_report(api: &str) -> LoadReport {
    client()
        .get(format!("{api}/load"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_load_changes_the_rate_and_rejects_bad_input() {
    let (url, shop) = start_shop().await;
    let running = Running::start(config(&url, 0.0));
    let api = serve_api(&running.generator).await;

    let report = get_report(&api).await;
    assert_eq!(report.rate, 0.0);
    assert!(report.running);
    assert_eq!(report.window_secs, 10);
    assert!(report.journeys.contains_key("checkout"));

    // Paused: nothing arrives.
    holds_for("paused at rate 0", Duration::from_millis(300), || {
        std::future::ready(shop.total_hits() == 0)
    })
    .await;

    let (status, body) = put(&api, r#"{"rate": 200}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rate"], json!(200.0));
    eventually("traffic at the new rate", Duration::from_secs(5), || {
        std::future::ready(shop.total_hits() >= 60)
    })
    .await;
    let report = get_report(&api).await;
    assert!(report.all.requests > 0, "the window shows the traffic");

    for bad in [
        r#"{"rate": -1}"#,
        r#"{"rate": "NaN"}"#,
        r#"{"rate": 1e999}"#,
        r#"{"rate": 5, "weights": {"browse": -1}}"#,
        r#"{"rate": 5, "weights": {"teleport": 1}}"#,
        r#"{"weights": {"browse": 0, "view_product": 0, "checkout": 0, "view_order": 0}}"#,
        r#"{"speed": 5}"#,
        r#"{}"#,
        r#"rate=5"#,
    ] {
        let (status, body) = put(&api, bad).await;
        assert_eq!(status, 400, "{bad} -> {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{bad} -> {body}"
        );
    }
    let report = get_report(&api).await;
    assert_eq!(report.rate, 200.0, "rejected updates changed nothing");
    let shop_weights: Vec<(String, f64)> = support::shop_load()
        .journeys
        .iter()
        .map(|j| (j.name.clone(), j.weight))
        .collect();
    assert_eq!(
        report.weights.0.into_iter().collect::<Vec<_>>(),
        shop_weights
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect::<Vec<_>>(),
        "the lab file's weights"
    );

    let (status, body) = put(&api, r#"{"weights": {"checkout": 0, "view_order": 0}}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["weights"]["checkout"], json!(0.0));
    assert_eq!(
        body["weights"]["browse"],
        json!(40.0),
        "weights left out keep their value"
    );

    let (status, _) = put(&api, r#"{"rate": 0}"#).await;
    assert_eq!(status, 200);
    let generator = running.generator.clone();
    eventually("in-flight journeys done", Duration::from_secs(5), || {
        std::future::ready(generator.in_flight() == 0)
    })
    .await;
    let paused_at = shop.total_hits();
    holds_for("paused again", Duration::from_millis(300), || {
        std::future::ready(shop.total_hits() == paused_at)
    })
    .await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_are_served() {
    chaoslab_kit::telemetry::install_metrics("loadgen").unwrap();
    let (url, shop) = start_shop().await;
    let running = Running::start(config(&url, 200.0));
    let api = serve_api(&running.generator).await;

    let ready = client()
        .get(format!("{api}/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let missing = client().get(format!("{api}/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);

    // Before any checkout finished, its success series is already there at 0.
    let text = client()
        .get(format!("{api}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("loadgen_requests_total{")
                && l.contains(r#"journey="view_order""#)
                && l.contains(r#"outcome="success""#)),
        "{text}"
    );

    eventually("some traffic", Duration::from_secs(5), || {
        std::future::ready(shop.hits("products") >= 20)
    })
    .await;
    running.stop().await;
    let text = client()
        .get(format!("{api}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let browse_ok = text
        .lines()
        .find(|l| {
            l.starts_with("loadgen_requests_total{")
                && l.contains(r#"journey="browse""#)
                && l.contains(r#"outcome="success""#)
        })
        .unwrap_or_else(|| panic!("no browse success counter in\n{text}"));
    assert!(browse_ok.contains(r#"service="loadgen""#), "{browse_ok}");
    let count: f64 = browse_ok.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 20.0, "{browse_ok}");
    assert!(
        text.lines().any(
            |l| l.starts_with("loadgen_request_duration_seconds_bucket{")
                && l.contains(r#"journey="checkout""#)
                && l.contains(r#"le="0.005""#)
        ),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typed_client_reads_and_steers_the_generator() {
    let (url, shop) = start_shop().await;
    let running = Running::start(config(&url, 0.0));
    let api = serve_api(&running.generator).await;
    let client = chaoslab_load::LoadClient::new(&api);

    let report = client.report().await.unwrap();
    assert_eq!((report.rate, report.target.as_str()), (0.0, url.as_str()));
    let report = client
        .set_weights(&[("checkout", 0.0), ("view_order", 0.0)])
        .await
        .unwrap();
    assert_eq!(report.weights.get("checkout"), 0.0);
    client.set_rate(100.0).await.unwrap();
    eventually("traffic", Duration::from_secs(5), || {
        std::future::ready(shop.total_hits() >= 20)
    })
    .await;
    assert_eq!(shop.hits("checkout"), 0, "the weights were applied");

    match client.set_rate(-5.0).await {
        Err(e @ chaoslab_load::ClientError::Api { status: 400, .. }) => {
            let text = e.to_string();
            assert!(
                text.starts_with(&format!("PUT {api}/load: rate must be")),
                "{text}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    running.stop().await;
}

/// A `/load` that is not a load generator's report (an older generator, the
/// wrong port) is refused with the call and the field it lacks, not read as
/// zeros.
#[tokio::test]
async fn the_typed_client_names_what_a_wrong_answer_lacks() {
    let partial = axum::Router::new().route(
        "/load",
        axum::routing::get(|| async { axum::Json(json!({"rate": 5.0, "running": true})) }),
    );
    let base = format!("http://{}", chaoslab_testkit::serve(partial).await);
    let e = chaoslab_load::LoadClient::new(&base)
        .report()
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "GET {base}/load: unexpected answer: missing field"
        )),
        "{text}"
    );
    assert!(e.is_transport(), "not a refusal by the server: {e:?}");
}
