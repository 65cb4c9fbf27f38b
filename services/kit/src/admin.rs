//! `/admin/...`: a service's resilience policies, settings and in-service
//! faults, open to loopback callers or to a bearer token
//! (`CHAOSLAB_ADMIN_TOKEN`).
//!
//! | route | does |
//! |---|---|
//! | `GET /admin/resilience` | every dependency's policy and live state |
//! | `PUT /admin/resilience` | `{dependency: patch}`; all validated before any applies |
//! | `GET/PUT /admin/resilience/{dependency}` | one dependency |
//! | `GET/PUT /admin/settings` | deadline settings |
//! | `GET/POST/DELETE /admin/faults`, `DELETE /admin/faults/{id}` | in-service faults |
//!
//! The bodies and answers are the contract's (`chaoslab_contract::wire::admin`);
//! `chaoslab_contract::client::AdminClient` is the one client.

use crate::{context::ServiceCtx, error::json_error, faults::FaultSpec};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{ConnectInfo, Path, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{delete, get},
};
use chaoslab_resilience::PolicyPatch;
use http::StatusCode;
use std::{collections::BTreeMap, net::SocketAddr, sync::Arc};

/// The admin routes, guarded.
pub fn router(ctx: Arc<ServiceCtx>) -> Router {
    Router::new()
        .route("/admin/resilience", get(list_policies).put(put_policies))
        .route(
            "/admin/resilience/{dependency}",
            get(get_policy).put(put_policy),
        )
        .route("/admin/settings", get(get_settings).put(put_settings))
        .route(
            "/admin/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/admin/faults/{id}", delete(remove_fault))
        .route_layer(axum::middleware::from_fn_with_state(ctx.clone(), guard))
        .with_state(ctx)
}

/// Lets loopback callers in; others need `Authorization: Bearer <token>`.
async fn guard(State(ctx): State<Arc<ServiceCtx>>, req: Request, next: Next) -> Response {
    let loopback = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_none_or(|ConnectInfo(addr)| addr.ip().is_loopback());
    let token_ok = ctx.admin_token.as_deref().is_some_and(|t| {
        req.headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {t}"))
    });
    if loopback || token_ok {
        next.run(req).await
    } else {
        json_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the admin API answers loopback callers or a valid bearer token",
        )
    }
}

fn bad_request(reason: impl std::fmt::Display) -> Response {
    json_error(StatusCode::BAD_REQUEST, "bad request", &reason.to_string())
}

fn unknown_dependency(ctx: &ServiceCtx, name: &str) -> Response {
    let known: Vec<String> = ctx
        .deps
        .all()
        .iter()
        .map(|d| d.name().to_string())
        .collect();
    json_error(
        StatusCode::NOT_FOUND,
        "unknown dependency",
        &format!(
            "{} has no dependency {name:?}; it has: {}",
            ctx.name,
            known.join(", ")
        ),
    )
}

async fn list_policies(State(ctx): State<Arc<ServiceCtx>>) -> Response {
    Json(ctx.deps.status_all()).into_response()
}

async fn get_policy(State(ctx): State<Arc<ServiceCtx>>, Path(dep): Path<String>) -> Response {
    match ctx.deps.get(&dep) {
        Some(d) => Json(d.status()).into_response(),
        None => unknown_dependency(&ctx, &dep),
    }
}

async fn put_policy(
    State(ctx): State<Arc<ServiceCtx>>,
    Path(dep): Path<String>,
    body: Bytes,
) -> Response {
    let Some(d) = ctx.deps.get(&dep) else {
        return unknown_dependency(&ctx, &dep);
    };
    let patch: PolicyPatch = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return bad_request(format!("{dep}: {e}")),
    };
    match d.policy().apply(&patch).and_then(|p| d.set_policy(p)) {
        Ok(()) => Json(d.status()).into_response(),
        Err(e) => bad_request(format!("{dep}: {e}")),
    }
}

async fn put_policies(State(ctx): State<Arc<ServiceCtx>>, body: Bytes) -> Response {
    let patches: BTreeMap<String, PolicyPatch> = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return bad_request(e),
    };
    // Validate everything first so a bad entry changes nothing.
    let mut staged = Vec::new();
    for (name, patch) in &patches {
        let Some(d) = ctx.deps.get(name) else {
            return unknown_dependency(&ctx, name);
        };
        match d.policy().apply(patch) {
            Ok(p) => staged.push((d, p)),
            Err(e) => return bad_request(format!("{name}: {e}")),
        }
    }
    for (d, p) in staged {
        if let Err(e) = d.set_policy(p) {
            return bad_request(format!("{}: {e}", d.name()));
        }
    }
    Json(ctx.deps.status_all()).into_response()
}

async fn get_settings(State(ctx): State<Arc<ServiceCtx>>) -> Response {
    Json(ctx.settings()).into_response()
}

async fn put_settings(State(ctx): State<Arc<ServiceCtx>>, body: Bytes) -> Response {
    let patch: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    match ctx.settings().patched(&patch) {
        Ok(s) => {
            ctx.set_settings(s);
            Json(ctx.settings()).into_response()
        }
        Err(e) => bad_request(e),
    }
}

async fn list_faults(State(ctx): State<Arc<ServiceCtx>>) -> Response {
    Json(ctx.faults.list()).into_response()
}

async fn add_fault(State(ctx): State<Arc<ServiceCtx>>, body: Bytes) -> Response {
    let (spec, duration) = match FaultSpec::parse(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    if let FaultSpec::PoolShrink { dependency, .. } = &spec
        && ctx.deps.get(dependency).is_none()
    {
        return unknown_dependency(&ctx, dependency);
    }
    if let Err(why) = ctx.faults.applies(&spec) {
        return bad_request(why);
    }
    (StatusCode::CREATED, Json(ctx.faults.add(spec, duration))).into_response()
}

async fn clear_faults(State(ctx): State<Arc<ServiceCtx>>) -> StatusCode {
    ctx.faults.clear();
    StatusCode::NO_CONTENT
}

async fn remove_fault(State(ctx): State<Arc<ServiceCtx>>, Path(id): Path<String>) -> Response {
    if ctx.faults.remove(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        json_error(
            StatusCode::NOT_FOUND,
            "fault not found",
            &format!("no active fault {id:?}"),
        )
    }
}
