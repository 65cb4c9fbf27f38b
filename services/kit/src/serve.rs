//! Running a service: the router assembled from business, admin and
//! operational routes, graceful shutdown on SIGTERM, Ctrl-C or the death of
//! the supervising parent, and telemetry flushed on the way out.

use crate::{admin, context::ServiceCtx, http::server::observe, ops, telemetry::Telemetry};
use axum::Router;
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::net::TcpListener;

/// The full router of a service: `business` routes observed (traces,
/// metrics, faults, deadlines), plus `/admin` and the operational routes.
pub fn app(
    business: Router,
    ctx: Arc<ServiceCtx>,
    ready: ops::Ready,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
) -> Router {
    business
        // Inside `observe`: the wait for a worker is part of the request.
        .route_layer(axum::middleware::from_fn_with_state(
            ctx.clone(),
            crate::workers::limit,
        ))
        .route_layer(axum::middleware::from_fn_with_state(ctx.clone(), observe))
        .merge(admin::router(ctx))
        .merge(ops::router(ready, metrics))
        .layer(axum::middleware::map_response(json_too_large))
}

/// The largest request body a service reads (axum's default limit).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// axum answers a body over the limit with a plain-text 413; every other
/// error of a service is JSON, so this one is too.
async fn json_too_large(response: axum::response::Response) -> axum::response::Response {
    if response.status() != http::StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    crate::error::json_error(
        http::StatusCode::PAYLOAD_TOO_LARGE,
        "payload too large",
        &format!("the request body is over the {BODY_LIMIT}-byte limit"),
    )
}

/// How long open requests may finish once shutdown is asked for; then the
/// remaining connections are dropped. With the telemetry flush capped at
/// [`FLUSH_CAP`], a service is gone within a second of being asked.
pub const DRAIN_CAP: Duration = Duration::from_millis(500);
/// How long the last spans may take to leave.
pub const FLUSH_CAP: Duration = Duration::from_millis(300);

/// Serves `app` on `listener` until `shutdown`, then flushes `telemetry`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    ready: ops::Ready,
    telemetry: Option<Telemetry>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    ready.set(true);
    let flag = ready.clone();
    let (shutdown, cap) = capped(async move {
        shutdown.await;
        flag.set(false);
    });
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .into_future();
    let result = tokio::select! {
        r = server => r,
        // Graceful up to the cap, then the open connections are dropped.
        _ = cap => Ok(()),
    };
    if let Some(t) = telemetry {
        let _ = tokio::time::timeout(FLUSH_CAP, t.shutdown()).await;
    }
    result
}

/// Splits a shutdown signal in two: the signal itself (for a server's
/// graceful shutdown) and a cap that resolves [`DRAIN_CAP`] after it, when
/// whoever serves stops waiting for open connections and drops them.
pub fn capped(
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> (
    impl Future<Output = ()> + Send + 'static,
    impl Future<Output = ()> + Send + 'static,
) {
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    let signal = async move {
        shutdown.await;
        let _ = tx.send(true);
    };
    let cap = async move {
        if rx.wait_for(|asked| *asked).await.is_err() {
            // The signal was dropped unsent: never asked to stop.
            return std::future::pending().await;
        }
        tokio::time::sleep(DRAIN_CAP).await;
        tracing::warn!("connections still open {DRAIN_CAP:?} after shutdown: dropping them");
    };
    (signal, cap)
}

/// Resolves on Ctrl-C, SIGTERM, or — when `CHAOSLAB_PARENT_PID` is set — when
/// that parent is gone, so a crashed supervisor leaves no services behind.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    let orphaned = async {
        let Some(parent) = std::env::var("CHAOSLAB_PARENT_PID")
            .ok()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            return std::future::pending::<()>().await;
        };
        loop {
            if std::os::unix::process::parent_id() != parent {
                tracing::warn!(parent, "supervisor is gone; shutting down");
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
        _ = orphaned => {},
    }
}

/// Binds `addr` with `SO_REUSEADDR`, so a restarted service gets its port back.
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}
