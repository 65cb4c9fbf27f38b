//! The `/chaos` extensions: HTTP faults, toxics with a duration, process and
//! in-service faults, and the list of every active fault.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chaoslab_contract::wire::faults::{DownSpec, TimedToxic};

use super::parse;
use crate::agent::Agent;
use crate::error::ApiError;
use crate::faults::check_optional_duration;
use crate::faults::http::HttpFaultSpec;
use crate::faults::process::ProcessFaultSpec;

type ApiResult = Result<Response, ApiError>;

pub use chaoslab_contract::wire::faults::UNANSWERED_HEADER;

pub(super) async fn list_faults(State(agent): State<Arc<Agent>>) -> Response {
    let (faults, silent) = agent.faults_report().await;
    let mut resp = Json(faults).into_response();
    if !silent.is_empty()
        && let Ok(v) = axum::http::HeaderValue::from_str(&silent.join(","))
    {
        resp.headers_mut().insert(UNANSWERED_HEADER, v);
    }
    resp
}

pub(super) async fn clear_faults(State(agent): State<Arc<Agent>>) -> Response {
    agent.clear_faults().await;
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn remove_fault(
    State(agent): State<Arc<Agent>>,
    Path(id): Path<String>,
) -> ApiResult {
    agent.remove_fault(&id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn add_http_fault(
    State(agent): State<Arc<Agent>>,
    Path(proxy): Path<String>,
    body: Bytes,
) -> ApiResult {
    agent.proxy(&proxy)?;
    let spec: HttpFaultSpec = parse(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(agent.add_http_fault(&proxy, spec)?),
    )
        .into_response())
}

pub(super) async fn add_toxic(
    State(agent): State<Arc<Agent>>,
    Path(proxy): Path<String>,
    body: Bytes,
) -> ApiResult {
    agent.proxy(&proxy)?;
    let timed: TimedToxic = parse(&body)?;
    let duration = check_optional_duration(timed.duration_ms).map_err(ApiError::bad_body)?;
    Ok((
        StatusCode::CREATED,
        Json(agent.add_toxic(&proxy, timed.toxic, duration)?),
    )
        .into_response())
}

pub(super) async fn proxy_down(
    State(agent): State<Arc<Agent>>,
    Path(proxy): Path<String>,
    body: Bytes,
) -> ApiResult {
    agent.proxy(&proxy)?;
    let spec: DownSpec = if body.iter().all(u8::is_ascii_whitespace) {
        DownSpec { duration_ms: None }
    } else {
        parse(&body)?
    };
    let duration = check_optional_duration(spec.duration_ms).map_err(ApiError::bad_body)?;
    Ok((
        StatusCode::CREATED,
        Json(agent.proxy_down(&proxy, duration).await?),
    )
        .into_response())
}

pub(super) async fn process_fault(
    State(agent): State<Arc<Agent>>,
    Path(service): Path<String>,
    body: Bytes,
) -> ApiResult {
    let spec: ProcessFaultSpec = parse(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(agent.process_fault(&service, spec).await?),
    )
        .into_response())
}

pub(super) async fn service_fault(
    State(agent): State<Arc<Agent>>,
    Path(service): Path<String>,
    body: Bytes,
) -> ApiResult {
    let request: serde_json::Value = parse(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(agent.service_fault(&service, request).await?),
    )
        .into_response())
}
