//! A real OTLP/gRPC trace receiver for tests, built from opentelemetry-proto's
//! tonic server traits: it keeps every span it is sent.

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use std::sync::{Arc, Mutex};

/// One received span: (service.name, trace id hex, span name).
#[derive(Debug, Clone)]
pub struct Received {
    pub service: String,
    /// The sending resource's string attributes (`telemetry.sdk.language`, ...).
    pub resource: std::collections::BTreeMap<String, String>,
    pub trace_id: String,
    pub name: String,
    pub events: Vec<String>,
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub spans: Arc<Mutex<Vec<Received>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut out = self.spans.lock().unwrap();
        for rs in request.into_inner().resource_spans {
            let resource: std::collections::BTreeMap<String, String> = rs
                .resource
                .iter()
                .flat_map(|r| r.attributes.iter())
                .filter_map(|a| match a.value.as_ref()?.value.as_ref()? {
                    opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s) => {
                        Some((a.key.clone(), s.clone()))
                    }
                    _ => None,
                })
                .collect();
            let service = resource.get("service.name").cloned().unwrap_or_default();
            for ss in rs.scope_spans {
                for s in ss.spans {
                    let trace_id = s.trace_id.iter().map(|b| format!("{b:02x}")).collect();
                    let events = s.events.iter().map(|e| e.name.clone()).collect();
                    out.push(Received {
                        service: service.clone(),
                        resource: resource.clone(),
                        trace_id,
                        name: s.name,
                        events,
                    });
                }
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

/// Starts the receiver on 127.0.0.1:0; returns it and its endpoint URL.
pub async fn start() -> (Receiver, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let receiver = Receiver::default();
    let svc = TraceServiceServer::new(receiver.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(svc)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    (receiver, format!("http://{addr}"))
}

/// A lab whose processes export their spans over gRPC to a receiver of
/// this test's own.
pub async fn lab() -> (Receiver, super::Lab) {
    let (receiver, endpoint) = start().await;
    let lab = super::Lab::start(
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ],
    )
    .await;
    (receiver, lab)
}
