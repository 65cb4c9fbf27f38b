//! `/api/experiment`: posted by a runner, read by the dashboard.

mod support;

use chaoslab_contract::wire::experiment::{ExperimentPhase, ExperimentView};
use chaoslab_hub::{Hub, HubConfig};
use tower::ServiceExt;

async fn call(hub: &std::sync::Arc<Hub>, method: &str, body: &str) -> (u16, String) {
    let req = http::Request::builder()
        .method(method)
        .uri("/api/experiment")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let resp = hub.router().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).to_string())
}

/// The `error` of a 400's JSON body.
fn error_of(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).expect("a JSON error body");
    v["error"].as_str().expect("an `error` string").to_string()
}

#[tokio::test]
async fn a_posted_view_is_served_until_deleted() {
    let hub = Hub::new(HubConfig::default());
    let (status, body) = call(&hub, "GET", "").await;
    assert_eq!(status, 404);
    assert!(body.contains("no experiment running"));

    let view = r#"{"title":"Lesson 3","phase":"method","steps":[{"name":"latency on payments","status":"running","at_ms":10}],"hypothesis":[]}"#;
    assert_eq!(call(&hub, "PUT", view).await.0, 204);
    let (status, body) = call(&hub, "GET", "").await;
    assert_eq!(status, 200);
    let got: chaoslab_contract::wire::experiment::ExperimentView =
        serde_json::from_str(&body).unwrap();
    assert_eq!(got.title, "Lesson 3");
    assert_eq!(got.steps[0].name, "latency on payments");

    assert_eq!(call(&hub, "DELETE", "").await.0, 204);
    assert_eq!(call(&hub, "GET", "").await.0, 404);
}

#[tokio::test]
async fn a_body_that_is_not_a_view_is_refused_with_what_is_wrong() {
    let hub = Hub::new(HubConfig::default());
    let view = r#"{"title":"Lesson 3","phase":"method"}"#;
    assert_eq!(call(&hub, "PUT", view).await.0, 204);

    let cases = [
        ("{oops", "malformed JSON"),
        ("[1]", "expected a JSON object: an experiment view"),
        (r#"{"phase":"method"}"#, "missing field `title`"),
        (
            r#"{"title":"x","phase":"during"}"#,
            "not an experiment view: phase: unknown variant `during`, expected one of `steady_state_before`",
        ),
        (
            r#"{"title":"x","phase":"method","steps":[{"name":"s","status":"late"}]}"#,
            "not an experiment view: steps[0].status: unknown variant `late`",
        ),
    ];
    for (body, wanted) in cases {
        let (status, answer) = call(&hub, "PUT", body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let error = error_of(&answer);
        assert!(error.contains(wanted), "{body}: {error}");
    }
    let (status, body) = call(&hub, "GET", "").await;
    assert_eq!(status, 200);
    assert!(body.contains("Lesson 3"), "a bad update changes nothing");
}

/// The contract's hub client over a real socket: a view put is read back,
/// and once cleared there is none.
#[tokio::test]
async fn the_hub_client_puts_reads_and_clears_the_view() {
    let th = support::TestHub::start(HubConfig::default(), false).await;
    let c = th.client();
    assert_eq!(c.experiment().await.unwrap(), None);
    let view = ExperimentView {
        title: "Lesson 5".into(),
        file: "experiments/05.yaml".into(),
        phase: ExperimentPhase::Rollback,
        elapsed_ms: 1200,
        steps: Vec::new(),
        hypothesis: Vec::new(),
    };
    c.put_experiment(&view).await.unwrap();
    assert_eq!(c.experiment().await.unwrap(), Some(view));
    c.clear_experiment().await.unwrap();
    assert_eq!(c.experiment().await.unwrap(), None);
}
