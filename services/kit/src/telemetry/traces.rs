//! The OTLP span exporter and tracer provider.

use super::TelemetryError;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::{
    Resource, runtime,
    trace::{SdkTracerProvider, span_processor_with_async_runtime::BatchSpanProcessor},
};

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
    service: &str,
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
    let mut resource = Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name(service.to_string());
    }
    let processor = BatchSpanProcessor::builder(exporter, runtime::Tokio).build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource.build())
        .build())
}
