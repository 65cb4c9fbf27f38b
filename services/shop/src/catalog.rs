//! catalog: products and prices; asks inventory for stock.
//!
//! `GET /products` -> `[{"id","name","price_cents"}]`;
//! `GET /products/{id}` -> the product with `"stock"`: a number, or `null`
//! when inventory cannot answer and the fallback is on (otherwise 503).

use crate::{Upstreams, error::ApiError, seed};
use axum::{
    Json, Router,
    extract::{Path, State},
    routing::get,
};
use chaoslab_kit::{
    context::ServiceCtx,
    http::client::{Call, Upstream},
};
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Clone)]
struct Catalog {
    ctx: Arc<ServiceCtx>,
    inventory: Arc<Upstream>,
}

pub fn router(ctx: Arc<ServiceCtx>, up: &Upstreams) -> anyhow::Result<Router> {
    let state = Catalog {
        ctx,
        inventory: up.get("inventory")?,
    };
    Ok(Router::new()
        .route("/products", get(list))
        .route("/products/{id}", get(one))
        .with_state(state))
}

fn view(p: &seed::Product) -> Value {
    json!({ "id": p.id, "name": p.name, "price_cents": p.price_cents })
}

async fn list(State(s): State<Catalog>) -> Json<Value> {
    s.ctx.faults.storage().await;
    Json(Value::Array(seed::PRODUCTS.iter().map(view).collect()))
}

async fn one(State(s): State<Catalog>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let id: u64 = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("product id must be a number, got {id:?}")))?;
    s.ctx.faults.storage().await;
    let product =
        seed::product(id).ok_or_else(|| ApiError::not_found(format!("no product {id}")))?;
    let mut out = view(product);
    let stock = match s
        .inventory
        .call(Call::get(format!("/stock/{id}"), "/stock/{id}"))
        .await
    {
        Ok(reply) if reply.status.is_success() => {
            reply.body.get("available").cloned().unwrap_or(Value::Null)
        }
        Ok(reply) => return Err(crate::error::passthrough(&reply)),
        Err(e) if s.inventory.dependency().fallback_enabled() => {
            // The business allows a product page without stock.
            tracing::info!(error = %e, "inventory failed; serving the product without stock");
            s.inventory.dependency().record_fallback();
            Value::Null
        }
        Err(e) => return Err(e.into()),
    };
    out["stock"] = stock;
    Ok(Json(out))
}
