//! The OTLP log exporter: `tracing` events become OTLP log records through
//! the OpenTelemetry bridge for `tracing` (`opentelemetry-appender-tracing`),
//! carrying the trace and span id of the request span they were logged in.

use super::TelemetryError;
use super::traces::{Protocol, live_delay};
use opentelemetry_otlp::{LogExporter, WithExportConfig};
use opentelemetry_sdk::logs::log_processor_with_async_runtime::BatchLogProcessor;
use opentelemetry_sdk::logs::{BatchConfigBuilder, SdkLoggerProvider};
use opentelemetry_sdk::{Resource, runtime};

/// Builds the logger provider. Endpoint, headers and timeout come from the
/// standard variables (`OTEL_EXPORTER_OTLP_{,LOGS_}ENDPOINT`, ...), like the
/// span exporter's.
pub(super) fn provider(
    resource: Resource,
    endpoint: Option<&str>,
) -> Result<SdkLoggerProvider, TelemetryError> {
    let from_env = std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
        || std::env::var_os("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT").is_some();
    let endpoint = endpoint.filter(|_| !from_env);
    let exporter = match Protocol::from_env()? {
        Protocol::Grpc => match endpoint {
            Some(e) => LogExporter::builder().with_tonic().with_endpoint(e).build(),
            None => LogExporter::builder().with_tonic().build(),
        },
        Protocol::HttpProtobuf => {
            let mut b = LogExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary);
            if let Ok(base) = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
                && std::env::var("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT").is_err()
            {
                b = b.with_endpoint(format!("{}/v1/logs", base.trim_end_matches('/')));
            } else if let Some(e) = endpoint {
                b = b.with_endpoint(format!("{}/v1/logs", e.trim_end_matches('/')));
            }
            b.build()
        }
    }
    .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
    let mut config = BatchConfigBuilder::default();
    if let Some(d) = live_delay("OTEL_BLRP_SCHEDULE_DELAY") {
        config = config.with_scheduled_delay(d);
    }
    let processor = BatchLogProcessor::builder(exporter, runtime::Tokio)
        .with_batch_config(config.build())
        .build();
    Ok(SdkLoggerProvider::builder()
        .with_log_processor(processor)
        .with_resource(resource)
        .build())
}
