//! `GET /api/logs`: stored log records, newest first.
//!
//! Parameters: `service`, `level` (at least this level: trace, debug,
//! info, warn, error, fatal), `trace_id` (32 hex), `span_id` (16 hex), `q`
//! (text in the body, any case), `after` (only records newer than this
//! `seq`, for follow mode), `limit` (default 200, at most 5000).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};

use super::error::ApiError;
use super::params::Params;
use super::types::{LogView, LogsResponse};
use crate::hub::Hub;
use crate::logs::{LogFilter, StoredLog, level_name, parse_level};
use crate::traces::ids::{self, span_id_hex, trace_id_hex};
use crate::traces::view::attrs;

/// Records one answer returns when no `limit` is given.
pub const DEFAULT_LOG_LIMIT: usize = 200;
/// Most records one answer returns.
pub const MAX_LOG_LIMIT: usize = 5000;

/// A stored record in the API's shape.
pub fn view(r: &StoredLog) -> LogView {
    LogView {
        seq: r.seq,
        time_unix_nano: r.time_unix_nano,
        severity_number: r.severity,
        level: level_name(r.severity).to_string(),
        body: r.body.to_string(),
        service: r.service.to_string(),
        trace_id: (r.trace_id != 0).then(|| trace_id_hex(r.trace_id)),
        span_id: (r.span_id != 0).then(|| span_id_hex(r.span_id)),
        attributes: attrs(&r.attributes),
    }
}

/// Parses the query into a filter, naming the parameter that is wrong.
pub fn filter(p: &Params) -> Result<LogFilter, ApiError> {
    let min_severity = match p.string("level") {
        None => None,
        Some(l) => Some(parse_level(&l).ok_or_else(|| {
            ApiError::bad(
                "level",
                format!("expected trace, debug, info, warn, error or fatal, got {l:?}"),
            )
        })?),
    };
    let trace_id = match p.string("trace_id") {
        None => None,
        Some(t) => Some(ids::parse_trace_id(&t).ok_or_else(|| {
            ApiError::bad("trace_id", format!("expected 32 hex digits, got {t:?}"))
        })?),
    };
    let span_id = match p.string("span_id") {
        None => None,
        Some(s) => Some(
            (s.len() == 16)
                .then(|| u64::from_str_radix(&s, 16).ok())
                .flatten()
                .ok_or_else(|| {
                    ApiError::bad("span_id", format!("expected 16 hex digits, got {s:?}"))
                })?,
        ),
    };
    let after_seq = match p.string("after") {
        None => None,
        Some(a) => Some(a.parse::<u64>().map_err(|_| {
            ApiError::bad(
                "after",
                format!("expected a sequence number (0 or more), got {a:?}"),
            )
        })?),
    };
    Ok(LogFilter {
        service: p.string("service"),
        min_severity,
        trace_id,
        span_id,
        text: p.string("q").filter(|q| !q.is_empty()),
        after_seq,
    })
}

pub async fn logs(
    State(hub): State<Arc<Hub>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<LogsResponse>, ApiError> {
    let p = Params(q);
    let f = filter(&p)?;
    let limit = p
        .count("limit", MAX_LOG_LIMIT)?
        .unwrap_or(DEFAULT_LOG_LIMIT);
    let (records, matched) = hub.logs.query(&f, limit);
    Ok(Json(LogsResponse {
        logs: records.iter().map(view).collect(),
        matched,
        last_seq: hub.logs.stats().last_seq,
    }))
}
