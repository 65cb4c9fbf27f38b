//! RED numbers from OTLP metrics: the HTTP duration histograms of any
//! sender, by their semantic-convention names.
//!
//! | OTLP metric | unit | becomes |
//! |---|---|---|
//! | `http.server.request.duration` | s | `http_server_request_duration_seconds` |
//! | `http.client.request.duration` | s | `http_client_request_duration_seconds` |
//! | `http.server.duration` (older semconv) | ms | the server histogram, bounds in s |
//! | `http.client.duration` (older semconv) | ms | the client histogram, bounds in s |
//!
//! Attributes map to the lab's labels: `http.request.method` (or
//! `http.method`), `http.route`, `http.response.status_code` (or
//! `http.status_code`), `error.type`, and on the client side
//! `peer.service`, else `server.address`, as `server_address`. Cumulative
//! points replace the stream's value; delta points add to it. Every stream
//! is per `service.instance.id`, so two replicas add up. Other metrics are
//! counted, not kept; exponential histograms are not read.

use std::collections::BTreeMap;

use chaoslab_kit::names::{self, label};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;

use super::hist::{Hist, Labels, labels};
use crate::metrics::exposition::Sample;
use crate::traces::convert::service_name;

/// OTLP's `AGGREGATION_TEMPORALITY_DELTA`.
const DELTA: i32 = 1;
/// Most streams kept; past it new ones are ignored (counted).
pub const MAX_STREAMS: usize = 4_000;

/// The instance label, so replicas of one service sum instead of clash.
const INSTANCE: &str = "instance";

/// The kept histograms, by (series name, labels).
#[derive(Debug, Default)]
pub struct OtlpMetrics {
    streams: BTreeMap<(&'static str, Labels), Hist>,
    /// Points ignored because too many streams were kept.
    pub dropped: u64,
}

fn attr<'a>(attrs: &'a [KeyValue], keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| {
        let v = attrs
            .iter()
            .find(|kv| kv.key == *k)?
            .value
            .as_ref()?
            .value
            .as_ref()?;
        match v {
            any_value::Value::StringValue(s) => Some(s.clone()),
            any_value::Value::IntValue(i) => Some(i.to_string()),
            any_value::Value::DoubleValue(d) => Some(d.to_string()),
            any_value::Value::BoolValue(b) => Some(b.to_string()),
            _ => None,
        }
    })
}

impl OtlpMetrics {
    /// Takes the HTTP duration histograms of one export; returns the
    /// services it came from.
    pub fn ingest(&mut self, req: &ExportMetricsServiceRequest) -> Vec<String> {
        let mut services = Vec::new();
        for rm in &req.resource_metrics {
            let res = rm
                .resource
                .as_ref()
                .map(|r| r.attributes.as_slice())
                .unwrap_or(&[]);
            let service = service_name(res).to_string();
            let instance = attr(res, &["service.instance.id"]);
            if !services.contains(&service) {
                services.push(service.clone());
            }
            for m in rm.scope_metrics.iter().flat_map(|s| &s.metrics) {
                let (name, scale, client) = match m.name.as_str() {
                    "http.server.request.duration" => (names::HTTP_SERVER_DURATION, 1.0, false),
                    "http.client.request.duration" => (names::HTTP_CLIENT_DURATION, 1.0, true),
                    "http.server.duration" => (names::HTTP_SERVER_DURATION, 1e-3, false),
                    "http.client.duration" => (names::HTTP_CLIENT_DURATION, 1e-3, true),
                    _ => continue,
                };
                let Some(Data::Histogram(h)) = &m.data else {
                    continue;
                };
                let delta = h.aggregation_temporality == DELTA;
                for p in &h.data_points {
                    let a = &p.attributes;
                    let l = labels([
                        (label::SERVICE, Some(service.clone())),
                        (INSTANCE, instance.clone()),
                        (
                            label::METHOD,
                            attr(a, &["http.request.method", "http.method"])
                                .map(|m| names::http_method(&m).to_string()),
                        ),
                        (label::ROUTE, attr(a, &["http.route"])),
                        (
                            label::STATUS,
                            attr(a, &["http.response.status_code", "http.status_code"]),
                        ),
                        (label::ERROR_TYPE, attr(a, &["error.type"])),
                        (
                            label::SERVER_ADDRESS,
                            client
                                .then(|| {
                                    attr(a, &["peer.service", "server.address", "net.peer.name"])
                                })
                                .flatten(),
                        ),
                    ]);
                    let bounds: Vec<f64> = p.explicit_bounds.iter().map(|b| b * scale).collect();
                    if p.bucket_counts.len() != bounds.len() + 1 {
                        continue; // malformed point: counts must be bounds + 1
                    }
                    let key = (name, l);
                    if !self.streams.contains_key(&key) && self.streams.len() >= MAX_STREAMS {
                        self.dropped += 1;
                        continue;
                    }
                    let hist = self
                        .streams
                        .entry(key)
                        .or_insert_with(|| Hist::with_bounds(&bounds));
                    let counts = p.bucket_counts.iter().map(|c| *c as f64);
                    if !delta || hist.bounds != bounds {
                        // Cumulative (or new bounds): the point is the value.
                        *hist = Hist {
                            bounds,
                            counts: counts.collect(),
                        };
                    } else {
                        for (c, add) in hist.counts.iter_mut().zip(counts) {
                            *c += add;
                        }
                    }
                }
            }
        }
        services
    }

    /// Every stream as series.
    pub fn render(&self) -> Vec<Sample> {
        let mut out = Vec::new();
        for ((name, l), h) in &self.streams {
            h.render(name, l, &mut out);
        }
        out
    }
}
