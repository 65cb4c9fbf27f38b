//! The process-wide Prometheus recorder.

use super::TelemetryError;
use crate::names;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the global recorder once (later calls return the same handle).
/// Every series gets `service="<service>"`; the HTTP duration histograms use
/// the semantic-convention buckets.
pub fn install_metrics(service: &str) -> Result<PrometheusHandle, TelemetryError> {
    if let Some(h) = HANDLE.get() {
        return Ok(h.clone());
    }
    let err = |e: metrics_exporter_prometheus::BuildError| TelemetryError::Metrics(e.to_string());
    let recorder = PrometheusBuilder::new()
        .add_global_label(names::label::SERVICE, service)
        .set_buckets_for_metric(
            Matcher::Suffix("_duration_seconds".into()),
            &names::HTTP_DURATION_BUCKETS,
        )
        .map_err(err)?
        .build_recorder();
    let handle = recorder.handle();
    // Another recorder may already be installed (tests running several parts in one process).
    if metrics::set_global_recorder(recorder).is_ok() {
        let _ = HANDLE.set(handle.clone());
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            })
            .map_err(|e| TelemetryError::Metrics(e.to_string()))?;
    }
    Ok(HANDLE.get().cloned().unwrap_or(handle))
}

/// The installed handle, if [`install_metrics`] ran.
pub fn metrics_handle() -> Option<PrometheusHandle> {
    HANDLE.get().cloned()
}
