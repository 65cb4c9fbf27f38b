//! OTLP receivers: gRPC ([`grpc`]) and HTTP ([`http`]) for traces, metrics
//! and logs. Spans and log records are stored; HTTP duration metrics feed
//! the RED numbers ([`crate::derived`]), every metric point is counted.
//!
//! Size limits: one export may be at most [`MAX_PAYLOAD_BYTES`] decoded
//! (gRPC answers RESOURCE_EXHAUSTED past it, HTTP 413), and each string
//! value is cut to the hub's `attr_value_max` (4 KiB by default).
//!
//! Both transports share [`Signal`], which says for each kind of export
//! what its request and response are and what the hub does with it.

pub mod grpc;
pub mod http;

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};

use crate::hub::Hub;

/// Largest accepted export, decoded (both transports).
pub const MAX_PAYLOAD_BYTES: usize = 32 * 1024 * 1024;

/// One kind of OTLP export.
pub trait Signal: Send + Sync + 'static {
    type Req: prost::Message + Default + serde::de::DeserializeOwned + Send + 'static;
    type Resp: prost::Message + Default + serde::Serialize + Send + 'static;
    /// The gRPC service name.
    const SERVICE: &'static str;
    /// Handles a decoded export.
    fn export(hub: &Hub, req: Self::Req) -> Self::Resp;
}

/// `TraceService/Export`: spans are stored.
pub struct Traces;
/// `MetricsService/Export`: HTTP duration histograms are kept, every point counted.
pub struct Metrics;
/// `LogsService/Export`: log records are stored.
pub struct Logs;

impl Signal for Traces {
    type Req = ExportTraceServiceRequest;
    type Resp = ExportTraceServiceResponse;
    const SERVICE: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";

    fn export(hub: &Hub, req: Self::Req) -> Self::Resp {
        let rejected = hub.ingest_traces(req);
        ExportTraceServiceResponse {
            partial_success: (rejected > 0).then(|| ExportTracePartialSuccess {
                rejected_spans: rejected as i64,
                error_message: "spans need a 16-byte trace id and an 8-byte span id".into(),
            }),
        }
    }
}

impl Signal for Metrics {
    type Req = ExportMetricsServiceRequest;
    type Resp = ExportMetricsServiceResponse;
    const SERVICE: &'static str = "opentelemetry.proto.collector.metrics.v1.MetricsService";

    fn export(hub: &Hub, req: Self::Req) -> Self::Resp {
        hub.ingest_metrics(&req);
        ExportMetricsServiceResponse::default()
    }
}

impl Signal for Logs {
    type Req = ExportLogsServiceRequest;
    type Resp = ExportLogsServiceResponse;
    const SERVICE: &'static str = "opentelemetry.proto.collector.logs.v1.LogsService";

    fn export(hub: &Hub, req: Self::Req) -> Self::Resp {
        hub.ingest_logs(req);
        ExportLogsServiceResponse::default()
    }
}
