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
        .route_layer(axum::middleware::from_fn_with_state(ctx.clone(), observe))
        .merge(admin::router(ctx))
        .merge(ops::router(ready, metrics))
}

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
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        flag.set(false);
    })
    .await;
    if let Some(t) = telemetry {
        t.shutdown().await;
    }
    result
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
            tokio::time::sleep(Duration::from_millis(500)).await;
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
