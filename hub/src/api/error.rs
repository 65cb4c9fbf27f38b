//! The query API's error answer: a status and `{"error": "..."}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::types::ErrorBody;

/// What a query can get wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// A query parameter is missing or malformed (400).
    #[error("parameter `{param}`: {reason}")]
    BadParam { param: &'static str, reason: String },
    /// The thing asked for is not there (404).
    #[error("{0}")]
    NotFound(String),
}

impl ApiError {
    /// A 400 naming the parameter.
    pub fn bad(param: &'static str, reason: impl Into<String>) -> Self {
        ApiError::BadParam {
            param,
            reason: reason.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self {
            ApiError::BadParam { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
        };
        (
            status,
            Json(ErrorBody {
                error: self.to_string(),
            }),
        )
            .into_response()
    }
}
