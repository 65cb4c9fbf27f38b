//! A stand-in hub that serves the fixture lab ([`crate::fixtures`]) with the
//! hub's JSON shapes, on an already-bound listener. The render bench uses
//! it to measure the dashboard's idle CPU against a hub that answers; tests
//! use it where the real hub cannot be started.

use std::future::Future;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chaoslab_contract::wire::hub::{EdgesResponse, FaultsResponse, TraceDetail};
use tokio::net::TcpListener;

use crate::action::HubData;
use crate::fixtures;

/// What the stand-in serves.
#[derive(Debug, Clone)]
pub struct FixtureHub {
    pub data: HubData,
    pub traces: Vec<TraceDetail>,
}

impl FixtureHub {
    /// The fixture lab with 15 minutes of 5 s series and the checkout trace.
    pub fn lab() -> FixtureHub {
        FixtureHub {
            data: fixtures::hub_data(180),
            traces: vec![fixtures::checkout_trace()],
        }
    }
}

/// The stand-in's routes.
pub fn router(hub: Arc<FixtureHub>) -> Router {
    Router::new()
        .route(
            "/api/topology",
            get(|State(h): State<Arc<FixtureHub>>| async move { Json(h.data.topology.clone()) }),
        )
        .route(
            "/api/services",
            get(|State(h): State<Arc<FixtureHub>>| async move { Json(h.data.services.clone()) }),
        )
        .route(
            "/api/edges",
            get(|State(h): State<Arc<FixtureHub>>| async move {
                Json(EdgesResponse {
                    edges: h.data.topology.edges.clone(),
                    window_s: 30.0,
                })
            }),
        )
        .route(
            "/api/resilience",
            get(|State(h): State<Arc<FixtureHub>>| async move { Json(h.data.resilience.clone()) }),
        )
        .route(
            "/api/load",
            get(|State(h): State<Arc<FixtureHub>>| async move { Json(h.data.load.clone()) }),
        )
        .route(
            "/api/traces",
            get(|State(h): State<Arc<FixtureHub>>| async move { Json(h.data.traces.clone()) }),
        )
        .route("/api/traces/{id}", get(trace))
        .route(
            "/api/faults",
            get(|| async {
                Json(FaultsResponse {
                    faults: Vec::new(),
                    note: Some("no agent configured".into()),
                })
            }),
        )
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                Json(serde_json::json!({"error": "not found"})),
            )
        })
        .with_state(hub)
}

async fn trace(State(h): State<Arc<FixtureHub>>, Path(id): Path<String>) -> Response {
    match h.traces.iter().find(|t| t.summary.trace_id == id) {
        Some(t) => Json(t.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": format!("unknown trace {id}")})),
        )
            .into_response(),
    }
}

/// Serves the stand-in on `listener` until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    hub: Arc<FixtureHub>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(hub))
        .with_graceful_shutdown(shutdown)
        .await
}
