//! Toxiproxy's endpoints, with its status codes and bodies.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::parse;
use crate::agent::Agent;
use crate::error::ApiError;
use crate::views::{ProxyPatch, ProxySpec, ToxicPatch, ToxicSpec};

/// The Toxiproxy version whose API this one follows.
pub const TOXIPROXY_VERSION: &str = "2.12.0";

type ApiResult = Result<Response, ApiError>;

pub(super) async fn list(State(agent): State<Arc<Agent>>) -> Json<serde_json::Value> {
    Json(json!(agent.proxies()))
}

pub(super) async fn create(State(agent): State<Arc<Agent>>, body: Bytes) -> ApiResult {
    let spec: ProxySpec = parse(&body)?;
    let view = agent.create_proxy(spec).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

pub(super) async fn populate(State(agent): State<Arc<Agent>>, body: Bytes) -> Response {
    let specs: Vec<ProxySpec> = match parse(&body) {
        Ok(specs) => specs,
        Err(e) => {
            return (
                e.status_code(),
                Json(json!({"error": e.message, "status": e.status, "proxies": []})),
            )
                .into_response();
        }
    };
    match agent.populate(specs).await {
        Ok(proxies) => (StatusCode::CREATED, Json(json!({ "proxies": proxies }))).into_response(),
        Err((e, proxies)) => (
            e.status_code(),
            Json(json!({"error": e.message, "status": e.status, "proxies": proxies})),
        )
            .into_response(),
    }
}

pub(super) async fn show(State(agent): State<Arc<Agent>>, Path(proxy): Path<String>) -> ApiResult {
    Ok(Json(agent.proxy(&proxy)?).into_response())
}

pub(super) async fn update(
    State(agent): State<Arc<Agent>>,
    Path(proxy): Path<String>,
    body: Bytes,
) -> ApiResult {
    agent.proxy(&proxy)?;
    let patch: ProxyPatch = parse(&body)?;
    Ok(Json(agent.update_proxy(&proxy, patch).await?).into_response())
}

pub(super) async fn remove(
    State(agent): State<Arc<Agent>>,
    Path(proxy): Path<String>,
) -> ApiResult {
    agent.delete_proxy(&proxy).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn toxics(
    State(agent): State<Arc<Agent>>,
    Path(proxy): Path<String>,
) -> ApiResult {
    Ok(Json(agent.toxics(&proxy)?).into_response())
}

pub(super) async fn add_toxic(
    State(agent): State<Arc<Agent>>,
    Path(proxy): Path<String>,
    body: Bytes,
) -> ApiResult {
    agent.proxy(&proxy)?;
    let spec: ToxicSpec = parse(&body)?;
    Ok(Json(agent.add_toxic(&proxy, spec, None)?).into_response())
}

pub(super) async fn toxic(
    State(agent): State<Arc<Agent>>,
    Path((proxy, toxic)): Path<(String, String)>,
) -> ApiResult {
    Ok(Json(agent.toxic(&proxy, &toxic)?).into_response())
}

pub(super) async fn update_toxic(
    State(agent): State<Arc<Agent>>,
    Path((proxy, toxic)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    agent.toxic(&proxy, &toxic)?;
    let patch: ToxicPatch = parse(&body)?;
    Ok(Json(agent.update_toxic(&proxy, &toxic, patch)?).into_response())
}

pub(super) async fn remove_toxic(
    State(agent): State<Arc<Agent>>,
    Path((proxy, toxic)): Path<(String, String)>,
) -> ApiResult {
    agent.remove_toxic(&proxy, &toxic)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn reset(State(agent): State<Arc<Agent>>) -> ApiResult {
    agent.reset().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn version() -> Json<serde_json::Value> {
    Json(json!({ "version": TOXIPROXY_VERSION }))
}
