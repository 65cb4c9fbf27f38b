//! The hub's JSON query API: the types it speaks ([`types`], the contract's
//! `wire::hub`), its errors
//! ([`error`]), parameter parsing ([`params`]) and the axum router.
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/topology` | [`types::Topology`] |
//! | `GET /api/services[?series=1&range=5m&step=5s]` | [`types::ServicesResponse`] |
//! | `GET /api/services/{name}` | [`types::ServiceStats`] with series |
//! | `GET /api/services/{name}/heatmap[?range=5m&step=5s]` | [`types::Heatmap`] |
//! | `GET /api/edges` | [`types::EdgesResponse`] |
//! | `GET /api/logs?service=&level=&trace_id=&span_id=&q=&after=&limit=` | [`types::LogsResponse`] ([`logs`]) |
//! | `GET /api/traces?service=&status=error&min_duration_ms=&fault=1&limit=` | [`types::TracesResponse`] |
//! | `GET /api/traces/{trace_id}` | [`types::TraceDetail`] |
//! | `GET /api/resilience` | [`types::ResilienceResponse`] |
//! | `GET /api/faults` | [`types::FaultsResponse`] |
//! | `GET /api/load` | [`types::LoadResponse`] |
//! | `GET /api/health` | [`types::HubHealth`] |
//! | `GET /api/metric?name=&labels=k=v,..&agg=sum\|avg\|max\|rate&window=30s` | [`types::MetricValue`] |
//! | `GET/PUT/DELETE /api/experiment` | the running experiment's live view ([`experiment`]) |
//!
//! Routes with numbers over a window take `window=` (default: the hub's).

pub mod error;
pub mod experiment;
mod handlers;
pub mod logs;
pub mod params;
pub use chaoslab_contract::wire::hub as types;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::hub::Hub;

/// The query API's routes (plus the hub's own `/metrics`).
pub fn api_router(hub: Arc<Hub>) -> Router {
    use handlers::*;
    Router::new()
        .route("/api/topology", get(topology))
        .route("/api/services", get(services))
        .route("/api/services/{name}", get(service))
        .route("/api/services/{name}/heatmap", get(heatmap))
        .route("/api/edges", get(edges))
        .route("/api/logs", get(logs::logs))
        .route("/api/traces", get(traces))
        .route("/api/traces/{trace_id}", get(trace))
        .route("/api/resilience", get(resilience))
        .route("/api/faults", get(faults))
        .route("/api/load", get(load))
        .route("/api/health", get(health))
        .route("/api/metric", get(metric))
        .route(
            "/api/experiment",
            get(experiment::get)
                .put(experiment::put)
                .delete(experiment::delete),
        )
        .route("/metrics", get(own_metrics))
        .fallback(not_found)
        .with_state(hub)
}

impl Hub {
    /// The query API's router for this hub.
    pub fn router(self: &Arc<Self>) -> Router {
        api_router(self.clone())
    }
}

/// Serves the query API on `listener` until `shutdown`.
pub async fn serve_api(
    listener: TcpListener,
    hub: Arc<Hub>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, api_router(hub))
        .with_graceful_shutdown(shutdown)
        .await
}
