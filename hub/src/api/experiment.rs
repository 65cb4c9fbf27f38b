//! `/api/experiment`: the live view of the experiment running against this
//! lab. The runner `PUT`s its view (steps, phase, hypothesis) as it goes and
//! `DELETE`s it at the end; the dashboard `GET`s it. A view not refreshed for
//! [`STALE_AFTER`] is dropped, so a killed runner leaves no ghost behind.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::hub::Hub;

/// How long a view lives without an update.
pub const STALE_AFTER: Duration = Duration::from_secs(30);

/// The stored view and when it arrived.
#[derive(Debug, Default)]
pub struct Slot(RwLock<Option<(Value, Instant)>>);

fn none() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": "no experiment running" })),
    )
        .into_response()
}

pub(crate) async fn get(State(hub): State<Arc<Hub>>) -> Response {
    let slot = hub.experiment.0.read().unwrap_or_else(|e| e.into_inner());
    match slot.as_ref() {
        Some((view, at)) if at.elapsed() < STALE_AFTER => Json(view.clone()).into_response(),
        _ => none(),
    }
}

pub(crate) async fn put(State(hub): State<Arc<Hub>>, body: Bytes) -> Response {
    let view: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "expected a JSON object" })),
            )
                .into_response();
        }
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": format!("malformed JSON: {e}") })),
            )
                .into_response();
        }
    };
    *hub.experiment.0.write().unwrap_or_else(|e| e.into_inner()) = Some((view, Instant::now()));
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) async fn delete(State(hub): State<Arc<Hub>>) -> StatusCode {
    *hub.experiment.0.write().unwrap_or_else(|e| e.into_inner()) = None;
    StatusCode::NO_CONTENT
}
