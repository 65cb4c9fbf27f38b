//! The control API: Toxiproxy's REST API exactly ([`toxiproxy`]), the `/chaos`
//! extensions ([`chaos`]), `/metrics`, and the guard every request passes
//! (request id, browser refusal, bearer token for changes).

mod chaos;
mod toxiproxy;

pub use chaos::UNANSWERED_HEADER;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::de::DeserializeOwned;

use crate::agent::Agent;
use crate::error::ApiError;

/// The header Toxiproxy puts a request id in.
pub const REQUEST_ID_HEADER: &str = "x-toxiproxy-request-id";

impl Agent {
    /// The agent's HTTP API as an axum router.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/proxies", get(toxiproxy::list).post(toxiproxy::create))
            .route("/populate", post(toxiproxy::populate))
            .route(
                "/proxies/{proxy}",
                get(toxiproxy::show)
                    .post(toxiproxy::update)
                    .patch(toxiproxy::update)
                    .delete(toxiproxy::remove),
            )
            .route(
                "/proxies/{proxy}/toxics",
                get(toxiproxy::toxics).post(toxiproxy::add_toxic),
            )
            .route(
                "/proxies/{proxy}/toxics/{toxic}",
                get(toxiproxy::toxic)
                    .post(toxiproxy::update_toxic)
                    .patch(toxiproxy::update_toxic)
                    .delete(toxiproxy::remove_toxic),
            )
            .route("/reset", post(toxiproxy::reset))
            .route("/version", get(toxiproxy::version))
            .route("/metrics", get(metrics))
            .route(
                "/chaos/faults",
                get(chaos::list_faults).delete(chaos::clear_faults),
            )
            .route("/chaos/faults/{id}", delete(chaos::remove_fault))
            .route("/chaos/proxies/{proxy}/faults", post(chaos::add_http_fault))
            .route("/chaos/proxies/{proxy}/toxics", post(chaos::add_toxic))
            .route("/chaos/proxies/{proxy}/down", post(chaos::proxy_down))
            .route("/chaos/process/{service}", post(chaos::process_fault))
            .route(
                "/chaos/services/{service}/faults",
                post(chaos::service_fault),
            )
            .layer(middleware::from_fn_with_state(self.clone(), guard))
            .with_state(self.clone())
    }
}

/// Decode a JSON body the way Toxiproxy reports failures: 400 `bad request body: ...`.
pub(crate) fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_body("EOF"));
    }
    serde_json::from_slice(body).map_err(ApiError::bad_body)
}

fn request_id() -> String {
    // 20 characters of base32hex, like the ids Toxiproxy hands out.
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuv";
    let mut n: u128 = rand::random();
    (0..20)
        .map(|_| {
            let c = ALPHABET[(n & 31) as usize] as char;
            n >>= 5;
            c
        })
        .collect()
}

async fn guard(State(agent): State<Arc<Agent>>, req: Request, next: Next) -> Response {
    let id = request_id();
    let browser = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.starts_with("Mozilla/"));
    let mut response = if browser {
        (StatusCode::FORBIDDEN, "User agent not allowed\n").into_response()
    } else if !authorized(&agent, &req) {
        ApiError::new(StatusCode::UNAUTHORIZED, "missing or wrong bearer token").into_response()
    } else {
        json_too_large(next.run(req).await)
    };
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    response
}

/// The largest request body the API reads (axum's default limit).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// axum answers a body over the limit with a plain-text 413; answer it in
/// the API's one error shape instead.
fn json_too_large(response: Response) -> Response {
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body too large: the limit is {BODY_LIMIT} bytes"),
    )
    .into_response()
}

/// Reads are open; with a token configured, every change needs `Authorization: Bearer <token>`.
fn authorized(agent: &Agent, req: &Request) -> bool {
    let Some(token) = &agent.config().token else {
        return true;
    };
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| given.trim() == token)
}

async fn metrics(State(agent): State<Arc<Agent>>) -> Response {
    match &agent.config().metrics {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => ApiError::not_found("metrics are not configured").into_response(),
    }
}
