//! OTLP receivers: gRPC ([`grpc`]) and HTTP ([`http`]) for traces, metrics
//! and logs. Traces are stored; metric points and log records are counted.
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
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use std::sync::atomic::Ordering;

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
/// `MetricsService/Export`: data points are counted.
pub struct Metrics;
/// `LogsService/Export`: log records are counted.
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
        let points: usize = req
            .resource_metrics
            .iter()
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .map(|m| match &m.data {
                Some(Data::Gauge(g)) => g.data_points.len(),
                Some(Data::Sum(s)) => s.data_points.len(),
                Some(Data::Histogram(h)) => h.data_points.len(),
                Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
                Some(Data::Summary(s)) => s.data_points.len(),
                None => 0,
            })
            .sum();
        hub.stats
            .metric_points
            .fetch_add(points as u64, Ordering::Relaxed);
        ExportMetricsServiceResponse::default()
    }
}

impl Signal for Logs {
    type Req = ExportLogsServiceRequest;
    type Resp = ExportLogsServiceResponse;
    const SERVICE: &'static str = "opentelemetry.proto.collector.logs.v1.LogsService";

    fn export(hub: &Hub, req: Self::Req) -> Self::Resp {
        let records: usize = req
            .resource_logs
            .iter()
            .flat_map(|r| &r.scope_logs)
            .map(|s| s.log_records.len())
            .sum();
        hub.stats
            .log_records
            .fetch_add(records as u64, Ordering::Relaxed);
        ExportLogsServiceResponse::default()
    }
}
