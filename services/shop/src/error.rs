//! The shop's one error type for its HTTP surfaces: every failure answers
//! `{"error", "reason"}` with a status a client can act on. Detail of server
//! errors goes to the log; the client gets a reason it can understand.

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use chaoslab_kit::http::client::UpstreamError;
use http::StatusCode;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: &'static str,
    pub reason: String,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, reason: impl Into<String>) -> Self {
        Self {
            status,
            error,
            reason: reason.into(),
        }
    }
    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad request", reason)
    }
    pub fn not_found(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not found", reason)
    }
    pub fn unauthorized(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", reason)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = %self.status, error = self.error, reason = %self.reason, "request failed");
        }
        (
            self.status,
            Json(serde_json::json!({ "error": self.error, "reason": self.reason })),
        )
            .into_response()
    }
}

/// How a failed dependency call looks to this service's caller.
impl From<UpstreamError> for ApiError {
    fn from(e: UpstreamError) -> Self {
        let reason = e.to_string();
        match e {
            UpstreamError::Timeout { .. } => {
                Self::new(StatusCode::GATEWAY_TIMEOUT, "timeout", reason)
            }
            UpstreamError::CircuitOpen { .. } | UpstreamError::BulkheadFull { .. } => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", reason)
            }
            UpstreamError::Transport { dependency, .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!("{dependency} unreachable"),
            ),
            UpstreamError::Status {
                dependency,
                status,
                body,
            } => {
                // Pass a dependency's own explanation on when it gave one.
                let inner = body
                    .get("reason")
                    .and_then(|r| r.as_str())
                    .map(str::to_owned);
                let status = if status == StatusCode::GATEWAY_TIMEOUT {
                    status
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                Self::new(
                    status,
                    "unavailable",
                    inner.unwrap_or_else(|| format!("{dependency} failed")),
                )
            }
        }
    }
}

/// A 4xx answer from a dependency, passed on as it came.
pub fn passthrough(reply: &chaoslab_kit::http::client::Reply) -> ApiError {
    let reason = reply
        .body
        .get("reason")
        .and_then(|r| r.as_str())
        .unwrap_or("rejected")
        .to_string();
    let error = match reply.status {
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::NOT_FOUND => "not found",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYMENT_REQUIRED => "payment declined",
        _ => "bad request",
    };
    ApiError::new(reply.status, error, reason)
}

/// Parses a JSON body, answering 400 with the parser's message.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON body: {e}")))
}
