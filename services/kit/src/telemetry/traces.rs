//! The OTLP span exporter and tracer provider.
//!
//! Spans leave on a short batch delay ([`LIVE_EXPORT_DELAY`]) instead of
//! the SDK's default 5 s, so a dashboard watching the lab sees a request's
//! trace within a second of its end; `OTEL_BSP_SCHEDULE_DELAY` (ms) still
//! wins when set. Shutdown flushes what is left.
//!
//! Ended spans queue in the SDK's batch processor, which exports from a
//! thread of its own; see [`provider`] for why not its async-runtime one.

use std::{sync::Arc, time::Duration};

use super::TelemetryError;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::{
    Resource,
    error::{OTelSdkError, OTelSdkResult},
    trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, SpanData},
};

/// How long spans and log records wait in their batch before export,
/// unless the standard variable says otherwise.
pub const LIVE_EXPORT_DELAY: Duration = Duration::from_millis(200);

/// [`LIVE_EXPORT_DELAY`] unless `var` (ms, the SDK reads it itself) is set.
pub(super) fn live_delay(var: &str) -> Option<Duration> {
    std::env::var_os(var).is_none().then_some(LIVE_EXPORT_DELAY)
}

/// The resource of this process: `service.name` (unless
/// `OTEL_SERVICE_NAME` says), plus what the SDK detects (`telemetry.sdk.*`,
/// `OTEL_RESOURCE_ATTRIBUTES`).
pub(super) fn resource(service: &str) -> Resource {
    let mut resource = Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name(service.to_string());
    }
    resource.build()
}

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Grpc,
    HttpProtobuf,
}

impl Protocol {
    /// From `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`,
    /// else gRPC.
    pub fn from_env() -> Result<Self, TelemetryError> {
        let raw = std::env::var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            .or_else(|_| std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL"))
            .unwrap_or_else(|_| "grpc".into());
        match raw.trim().to_ascii_lowercase().as_str() {
            "grpc" => Ok(Self::Grpc),
            "http/protobuf" | "http" => Ok(Self::HttpProtobuf),
            _ => Err(TelemetryError::Protocol(raw)),
        }
    }
}

/// Builds the tracer provider. The endpoint, headers and timeout come from
/// the standard variables, read by the exporter itself.
pub(super) fn provider(
    resource: Resource,
    endpoint: Option<&str>,
) -> Result<SdkTracerProvider, TelemetryError> {
    let from_env = std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
        || std::env::var_os("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some();
    let endpoint = endpoint.filter(|_| !from_env);
    let exporter = match Protocol::from_env()? {
        Protocol::Grpc => match endpoint {
            Some(e) => SpanExporter::builder()
                .with_tonic()
                .with_endpoint(e)
                .build(),
            None => SpanExporter::builder().with_tonic().build(),
        },
        Protocol::HttpProtobuf => {
            let mut b = SpanExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary);
            // The HTTP exporter takes a signal URL; accept the base URL too.
            if let Ok(base) = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
                && std::env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_err()
            {
                b = b.with_endpoint(format!("{}/v1/traces", base.trim_end_matches('/')));
            } else if let Some(e) = endpoint {
                b = b.with_endpoint(format!("{}/v1/traces", e.trim_end_matches('/')));
            }
            b.build()
        }
    }
    .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
    let mut config = BatchConfigBuilder::default();
    if let Some(d) = live_delay("OTEL_BSP_SCHEDULE_DELAY") {
        config = config.with_scheduled_delay(d);
    }
    // The SDK's batch processor on a thread of its own, not the one on the
    // async runtime: that one sends every ended span to its task over a
    // channel and so wakes it once a span, where this one queues spans
    // without a wake and is woken once a batch (or by its timer).
    let processor = BatchSpanProcessor::builder(OnRuntime::new(exporter)?)
        .with_batch_config(config.build())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource)
        .build())
}

/// An exporter whose exports run on the tokio runtime it was made in. The
/// batch processor's thread has no runtime, and both OTLP transports (tonic,
/// reqwest) need one for their sockets; the thread waits for the export
/// task instead.
#[derive(Debug)]
struct OnRuntime<E> {
    inner: Arc<E>,
    runtime: tokio::runtime::Handle,
}

impl<E> OnRuntime<E> {
    fn new(inner: E) -> Result<Self, TelemetryError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            TelemetryError::Exporter("telemetry is set up outside a tokio runtime".into())
        })?;
        Ok(Self {
            inner: Arc::new(inner),
            runtime,
        })
    }
}

impl<E: opentelemetry_sdk::trace::SpanExporter + 'static> opentelemetry_sdk::trace::SpanExporter
    for OnRuntime<E>
{
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let inner = self.inner.clone();
        match self
            .runtime
            .spawn(async move { inner.export(batch).await })
            .await
        {
            Ok(result) => result,
            // The runtime is shutting down: the process is on its way out.
            Err(e) => Err(OTelSdkError::InternalFailure(format!(
                "the export task did not finish: {e}"
            ))),
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        // Called while the provider is built, before any export holds a clone.
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.set_resource(resource);
        }
    }
}
