//! The JSON error body every service answers with: `{"error", "reason"}`.

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use http::StatusCode;

/// `status` with `{"error": error, "reason": reason}`.
pub fn json_error(status: StatusCode, error: &str, reason: &str) -> Response {
    (
        status,
        Json(chaoslab_contract::wire::admin::ErrorBody {
            error: error.to_string(),
            reason: reason.to_string(),
        }),
    )
        .into_response()
}
