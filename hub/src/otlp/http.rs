//! OTLP over HTTP: `POST /v1/traces`, `/v1/metrics`, `/v1/logs` with
//! `application/x-protobuf` or `application/json` bodies (OTLP/JSON: hex
//! ids, integer enums, camelCase fields).
//!
//! Success answers the export response in the request's encoding. A body
//! that does not decode answers 400 with a `google.rpc.Status` in the same
//! encoding (for JSON: `{"code": 3, "message": "...", "error": "..."}`), and
//! is counted; an unknown content type answers 415. Bodies may be
//! gzip-compressed (`Content-Encoding: gzip`).

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use prost::Message;
use tokio::net::TcpListener;

use super::{Logs, MAX_PAYLOAD_BYTES, Metrics, Signal, Traces};
use crate::hub::Hub;

/// The OTLP/HTTP routes, for mounting or serving.
pub fn otlp_http_router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/v1/traces", post(export::<Traces>))
        .route("/v1/metrics", post(export::<Metrics>))
        .route("/v1/logs", post(export::<Logs>))
        .layer(DefaultBodyLimit::max(MAX_PAYLOAD_BYTES))
        .with_state(hub)
}

/// Serves OTLP/HTTP on `listener` until `shutdown`.
pub async fn serve_otlp_http(
    listener: TcpListener,
    hub: Arc<Hub>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, otlp_http_router(hub))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Inflates a gzip body, refusing more than [`MAX_PAYLOAD_BYTES`].
fn gunzip(body: &[u8]) -> Result<Bytes, String> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_PAYLOAD_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("malformed gzip body: {e}"))?;
    if out.len() > MAX_PAYLOAD_BYTES {
        return Err(format!("body inflates past {MAX_PAYLOAD_BYTES} bytes"));
    }
    Ok(Bytes::from(out))
}

/// `google.rpc.Status`, the body of OTLP error answers.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";
/// gRPC's INVALID_ARGUMENT.
const INVALID_ARGUMENT: i32 = 3;

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Protobuf,
    Json,
}

async fn export<S: Signal>(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let encoding = match content_type.as_str() {
        "application/x-protobuf" | "application/protobuf" => Encoding::Protobuf,
        "application/json" => Encoding::Json,
        other => {
            let msg = format!("unsupported content type {other:?}: send {PROTOBUF} or {JSON}");
            return (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                axum::Json(serde_json::json!({ "error": msg })),
            )
                .into_response();
        }
    };
    let body = match headers.get(header::CONTENT_ENCODING).map(|v| v.as_bytes()) {
        None | Some(b"identity") => Ok(body),
        Some(b"gzip") => gunzip(&body),
        Some(other) => {
            let msg = format!(
                "unsupported content encoding {:?}: send gzip or uncompressed bodies",
                String::from_utf8_lossy(other)
            );
            return (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                axum::Json(serde_json::json!({ "error": msg })),
            )
                .into_response();
        }
    };
    let decoded: Result<S::Req, String> = match (body, encoding) {
        (Err(e), _) => Err(e),
        (Ok(body), Encoding::Protobuf) => {
            S::Req::decode(body).map_err(|e| format!("malformed OTLP protobuf payload: {e}"))
        }
        (Ok(body), Encoding::Json) => {
            serde_json::from_slice(&body).map_err(|e| format!("malformed OTLP JSON payload: {e}"))
        }
    };
    match decoded {
        Ok(req) => {
            let resp = S::export(&hub, req);
            match encoding {
                Encoding::Protobuf => {
                    ([(header::CONTENT_TYPE, PROTOBUF)], resp.encode_to_vec()).into_response()
                }
                Encoding::Json => axum::Json(resp).into_response(),
            }
        }
        Err(message) => {
            hub.count_rejected();
            match encoding {
                Encoding::Protobuf => {
                    let status = RpcStatus {
                        code: INVALID_ARGUMENT,
                        message,
                    };
                    (
                        StatusCode::BAD_REQUEST,
                        [(header::CONTENT_TYPE, PROTOBUF)],
                        status.encode_to_vec(),
                    )
                        .into_response()
                }
                Encoding::Json => (
                    StatusCode::BAD_REQUEST,
                    axum::Json(serde_json::json!({
                        "code": INVALID_ARGUMENT,
                        "message": message,
                        "error": message,
                    })),
                )
                    .into_response(),
            }
        }
    }
}
