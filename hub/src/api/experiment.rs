//! `/api/experiment`: the live view of the experiment running against this
//! lab. The runner `PUT`s its view (the contract's [`ExperimentView`]:
//! steps, phase, hypothesis) as it goes and `DELETE`s it at the end; the
//! dashboard `GET`s it. A body that is not such a view is refused with a 400
//! that says what is wrong, and the view kept before stays. A view not
//! refreshed for [`STALE_AFTER`] is dropped, so a killed runner leaves no
//! ghost behind.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chaoslab_contract::wire::experiment::ExperimentView;
use serde_json::{Value, json};

use crate::hub::Hub;

/// How long a view lives without an update.
pub const STALE_AFTER: Duration = Duration::from_secs(30);

/// The stored view and when it arrived.
#[derive(Debug, Default)]
pub struct Slot(RwLock<Option<(ExperimentView, Instant)>>);

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
    let view = match read_view(&body) {
        Ok(v) => v,
        Err(error) => {
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response();
        }
    };
    *hub.experiment.0.write().unwrap_or_else(|e| e.into_inner()) = Some((view, Instant::now()));
    StatusCode::NO_CONTENT.into_response()
}

/// The view in `body`, or what is wrong with it, naming the field
/// (`steps[0].status: unknown variant `late`, ...`).
fn read_view(body: &[u8]) -> Result<ExperimentView, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("malformed JSON: {e}"))?;
    if !value.is_object() {
        return Err(
            "expected a JSON object: an experiment view (title, phase, steps, hypothesis)".into(),
        );
    }
    serde_path_to_error::deserialize(value).map_err(|e| match e.path().to_string().as_str() {
        "." => format!("not an experiment view: {}", e.inner()),
        path => format!("not an experiment view: {path}: {}", e.inner()),
    })
}

pub(crate) async fn delete(State(hub): State<Arc<Hub>>) -> StatusCode {
    *hub.experiment.0.write().unwrap_or_else(|e| e.into_inner()) = None;
    StatusCode::NO_CONTENT
}
