//! The OTLP span exporter and tracer provider.
//!
//! Spans leave on a short batch delay ([`LIVE_EXPORT_DELAY`]) instead of
//! the SDK's default 5 s, so a dashboard watching the lab sees a request's
//! trace within a second of its end; `OTEL_BSP_SCHEDULE_DELAY` (ms) still
//! wins when set. Shutdown flushes what is left.

use std::time::Duration;

use super::TelemetryError;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::{
    Resource, runtime,
    trace::{
        BatchConfigBuilder, SdkTracerProvider,
        span_processor_with_async_runtime::BatchSpanProcessor,
    },
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
    let processor = BatchSpanProcessor::builder(exporter, runtime::Tokio)
        .with_batch_config(config.build())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource)
        .build())
}
