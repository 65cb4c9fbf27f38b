//! Operational routes every process serves: `/health/live`,
//! `/health/ready` and `/metrics`.

use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

/// Readiness, flipped by the service once it can serve and off on shutdown.
#[derive(Clone, Default)]
pub struct Ready(Arc<AtomicBool>);

impl Ready {
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Relaxed);
    }
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Clone)]
struct Ops {
    ready: Ready,
    metrics: Option<PrometheusHandle>,
}

/// The operational routes.
pub fn router(ready: Ready, metrics: Option<PrometheusHandle>) -> Router {
    Router::new()
        .route("/health/live", get(|| async { (StatusCode::OK, "live\n") }))
        .route("/health/ready", get(readiness))
        .route("/metrics", get(render))
        .with_state(Ops { ready, metrics })
}

async fn readiness(State(ops): State<Ops>) -> impl IntoResponse {
    if ops.ready.get() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

async fn render(State(ops): State<Ops>) -> impl IntoResponse {
    let body = ops.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
    (
        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        body,
    )
}
