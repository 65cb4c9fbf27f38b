//! `/api/experiment`: posted by a runner, read by the dashboard.

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

#[tokio::test]
async fn a_posted_view_is_served_until_deleted() {
    let hub = Hub::new(HubConfig::default());
    let (status, body) = call(&hub, "GET", "").await;
    assert_eq!(status, 404);
    assert!(body.contains("no experiment running"));

    let view = r#"{"title":"Lesson 3","phase":"during","steps":[],"hypothesis":[]}"#;
    assert_eq!(call(&hub, "PUT", view).await.0, 204);
    let (status, body) = call(&hub, "GET", "").await;
    assert_eq!(status, 200);
    assert!(body.contains("Lesson 3"));

    assert_eq!(call(&hub, "PUT", "[1]").await.0, 400);
    assert_eq!(call(&hub, "PUT", "{oops").await.0, 400);
    assert!(
        call(&hub, "GET", "").await.1.contains("Lesson 3"),
        "a bad update changes nothing"
    );

    assert_eq!(call(&hub, "DELETE", "").await.0, 204);
    assert_eq!(call(&hub, "GET", "").await.0, 404);
}
