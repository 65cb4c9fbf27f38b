//! The generator's HTTP control API.
//!
//! - `GET /metrics`: Prometheus text (`loadgen_*` and whatever else the
//!   process records).
//! - `GET /health/live`, `GET /health/ready`.
//! - `GET /load`: the [`LoadReport`](crate::LoadReport) as JSON.
//! - `PUT /load` ([`LoadUpdate`]: `{"rate": N, "weights": {"checkout": 50, ...}}`): change the
//!   rate (0 pauses) and/or the weights of journeys by name; answers the new
//!   report. Both are checked before either is applied; bad input (a name
//!   that is not a journey of the load among it) is a 400 `{"error": ...}`.

use crate::config::LoadError;
use crate::generator::LoadGen;
use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use chaoslab_contract::wire::load::LoadUpdate;
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::json;
use std::sync::Arc;

#[derive(Clone)]
struct AppState {
    generator: Arc<LoadGen>,
    metrics: Option<PrometheusHandle>,
}

/// An API failure: its status and a message for the caller.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

impl From<LoadError> for ApiError {
    fn from(e: LoadError) -> Self {
        Self::bad_request(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.message, "status": self.status.as_u16() });
        (self.status, Json(body)).into_response()
    }
}

impl LoadGen {
    /// The control API. `metrics` renders `GET /metrics`; with `None` the
    /// process-wide recorder installed by the kit is used if there is one.
    pub fn router(self: &Arc<Self>, metrics: Option<PrometheusHandle>) -> Router {
        let metrics = metrics.or_else(chaoslab_kit::telemetry::metrics_handle);
        Router::new()
            .route("/metrics", get(render_metrics))
            .route("/health/live", get(health))
            .route("/health/ready", get(health))
            .route("/load", get(get_load).put(put_load))
            .fallback(not_found)
            .with_state(AppState {
                generator: Arc::clone(self),
                metrics,
            })
    }
}

async fn render_metrics(State(s): State<AppState>) -> Result<Response, ApiError> {
    let handle = s.metrics.ok_or_else(|| ApiError {
        status: StatusCode::SERVICE_UNAVAILABLE,
        message: "no metrics recorder is installed in this process".into(),
    })?;
    let text = handle.render();
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn get_load(State(s): State<AppState>) -> Response {
    Json(s.generator.report()).into_response()
}

async fn put_load(State(s): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let update: LoadUpdate = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "invalid body: {e} (expected {{\"rate\": N}} and/or {{\"weights\": {{...}}}})"
        ))
    })?;
    if update.rate.is_none() && update.weights.is_none() {
        return Err(ApiError::bad_request(
            "nothing to change: give \"rate\" and/or \"weights\"",
        ));
    }
    // Check everything first, so a bad field changes nothing.
    if let Some(rate) = update.rate {
        crate::config::validate_rate(rate)?;
    }
    if let Some(w) = &update.weights {
        s.generator.patched_weights(w)?;
    }
    if let Some(rate) = update.rate {
        s.generator.set_rate(rate)?;
    }
    if let Some(w) = &update.weights {
        s.generator.set_weights(w)?;
    }
    Ok(Json(s.generator.report()).into_response())
}

async fn not_found() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        message: "no such route".into(),
    }
}
