//! The hub's fault list (`GET /api/faults`) as the scraper reads it from the
//! agent's `GET /chaos/faults` with the contract's client: the agent's own
//! typed entries, and a note the dashboard shows when the agent cannot be
//! reached or answers something that is not a fault list.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use chaoslab_contract::wire::faults::{ActiveFault, FaultSource};
use chaoslab_contract::wire::hub::FaultsResponse;
use chaoslab_hub::{Hub, HubConfig, scrape_once};

/// One scrape round of a hub whose agent is at `agent`, then its fault list.
async fn faults_seen(agent: &str) -> FaultsResponse {
    let hub = Hub::new(HubConfig {
        agent_url: Some(agent.to_string()),
        scrape_timeout: Duration::from_millis(500),
        ..HubConfig::default()
    });
    scrape_once(&hub).await;
    hub.faults()
}

async fn agent(router: Router) -> String {
    format!("http://{}", chaoslab_testkit::serve(router).await)
}

#[tokio::test]
async fn the_agents_faults_are_kept_as_it_typed_them() {
    let fault = ActiveFault {
        id: "http:payments:1".into(),
        source: FaultSource::Http,
        target: "payments".into(),
        kind: "http_abort".into(),
        remaining_ms: Some(9000),
        detail: serde_json::json!({"abort": {"status": 503}}),
    };
    let list = vec![fault.clone()];
    let base = agent(Router::new().route(
        "/chaos/faults",
        get(move || {
            let list = list.clone();
            async move { axum::Json(list) }
        }),
    ))
    .await;
    let seen = faults_seen(&base).await;
    assert_eq!(seen.faults, vec![fault]);
    assert_eq!(seen.note, None);
}

#[tokio::test]
async fn an_agent_that_answers_no_fault_list_leaves_a_note_naming_the_call() {
    let base = agent(Router::new().route(
        "/chaos/faults",
        get(|| async { axum::Json(serde_json::json!({"faults": 3})) }),
    ))
    .await;
    let seen = faults_seen(&base).await;
    assert!(seen.faults.is_empty());
    let note = seen.note.unwrap();
    assert!(
        note.starts_with(&format!(
            "agent answered no fault list: GET {base}/chaos/faults: unexpected answer: invalid type: map"
        )),
        "{note}"
    );
}

#[tokio::test]
async fn an_agent_error_or_no_agent_at_all_leaves_a_note() {
    let base = agent(Router::new().route(
        "/chaos/faults",
        get(|| async {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(serde_json::json!({"error": "supervisor gone", "status": 500})),
            )
        }),
    ))
    .await;
    let note = faults_seen(&base).await.note.unwrap();
    assert_eq!(
        note,
        format!("agent answered 500: GET {base}/chaos/faults: supervisor gone (HTTP 500)")
    );

    let dead = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let note = faults_seen(&format!("http://{dead}")).await.note.unwrap();
    assert!(
        note.starts_with(&format!(
            "agent unreachable: GET http://{dead}/chaos/faults: "
        )),
        "{note}"
    );
}
