//! users: accounts and bearer tokens.
//!
//! `POST /users/login {"email","password"}` -> `{"token","user_id"}` or 401;
//! `GET /users/verify` with `Authorization: Bearer` -> `{"user_id","email"}` or 401.

use crate::{error::ApiError, error::parse_json, seed};
use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::HeaderMap,
    routing::{get, post},
};
use chaoslab_kit::context::ServiceCtx;
use rand::RngExt;
use serde::Deserialize;
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

#[derive(Clone)]
struct Users {
    ctx: Arc<ServiceCtx>,
    /// token -> user id
    tokens: Arc<Mutex<HashMap<String, u64>>>,
}

pub fn router(ctx: Arc<ServiceCtx>) -> Router {
    let state = Users {
        ctx,
        tokens: Default::default(),
    };
    Router::new()
        .route("/users/login", post(login))
        .route("/users/verify", get(verify))
        .with_state(state)
}

#[derive(Deserialize)]
struct Login {
    email: String,
    password: String,
}

async fn login(State(s): State<Users>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let login: Login = parse_json(&body)?;
    s.ctx.faults.storage().await;
    let user = seed::USERS
        .iter()
        .find(|(_, _, email, password)| {
            email.eq_ignore_ascii_case(&login.email) && *password == login.password
        })
        .ok_or_else(|| ApiError::unauthorized("unknown email or wrong password"))?;
    let token: String = (0..32)
        .map(|_| format!("{:x}", rand::rng().random_range(0..16u8)))
        .collect();
    s.tokens
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(token.clone(), user.0);
    Ok(Json(json!({ "token": token, "user_id": user.0 })))
}

async fn verify(State(s): State<Users>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let token = bearer(&headers).ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
    s.ctx.faults.storage().await;
    let id = s
        .tokens
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(token)
        .copied();
    let id = id.ok_or_else(|| ApiError::unauthorized("invalid or expired token"))?;
    let (_, name, email, _) = seed::USERS
        .iter()
        .find(|u| u.0 == id)
        .copied()
        .unwrap_or((id, "?", "?", ""));
    Ok(Json(json!({ "user_id": id, "name": name, "email": email })))
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let t = v
        .strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))?
        .trim();
    (!t.is_empty()).then_some(t)
}
