//! The query side of the bench: a series store filled as 15 minutes of
//! 1-second scrapes of six services would fill it, then the cost of the
//! answers the dashboard asks for every second.

use std::fmt;
use std::time::{Duration, Instant};

use crate::config::HubConfig;
use crate::hub::{Hub, now_ms};
use crate::metrics::exposition::Sample;
use crate::query::SeriesSpec;

use super::synth::SERVICES;

/// What the query bench measured.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryBench {
    pub series: usize,
    pub points_per_series: usize,
    /// Time to record every scrape, and samples per second that gives.
    pub record: Duration,
    pub samples: usize,
    /// (what, time per call).
    pub calls: Vec<(String, Duration)>,
}

impl fmt::Display for QueryBench {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "series store: {} series x {} points; recording {:.0} samples/s",
            self.series,
            self.points_per_series,
            self.samples as f64 / self.record.as_secs_f64().max(1e-9)
        )?;
        for (what, d) in &self.calls {
            writeln!(f, "{what:<44} {:>9.2} ms/call", d.as_secs_f64() * 1000.0)?;
        }
        Ok(())
    }
}

const ROUTES: usize = 8;
const STATUSES: [&str; 3] = ["200", "404", "500"];

/// One scrape page of a service at second `t`.
fn page(service: &str, t: f64) -> Vec<Sample> {
    let mut out = Vec::new();
    let les = chaoslab_kit::names::HTTP_DURATION_BUCKETS;
    for r in 0..ROUTES {
        for (si, status) in STATUSES.iter().enumerate() {
            let rate = 10.0 / (si as f64 + 1.0) + r as f64;
            let labels = |extra: Option<(&str, String)>| {
                let mut l = vec![
                    ("service".to_string(), service.to_string()),
                    ("http_request_method".to_string(), "GET".to_string()),
                    ("http_route".to_string(), format!("/api/r{r}/{{id}}")),
                    ("http_response_status_code".to_string(), status.to_string()),
                ];
                l.extend(extra.map(|(k, v)| (k.to_string(), v)));
                l
            };
            for (i, le) in les.iter().enumerate() {
                out.push(Sample {
                    name: "http_server_request_duration_seconds_bucket".into(),
                    labels: labels(Some(("le", le.to_string()))),
                    value: rate * t * (i as f64 + 1.0) / les.len() as f64,
                });
            }
            out.push(Sample {
                name: "http_server_request_duration_seconds_bucket".into(),
                labels: labels(Some(("le", "+Inf".into()))),
                value: rate * t,
            });
            out.push(Sample {
                name: "http_server_request_duration_seconds_count".into(),
                labels: labels(None),
                value: rate * t,
            });
        }
    }
    out
}

/// Fills a hub's series store with `points` scrapes of each service (the
/// default retention holds 901) and times the dashboard's queries.
pub fn bench_queries(points: usize) -> QueryBench {
    let points = points.max(2);
    let hub = Hub::new(HubConfig::default());
    let end = now_ms();
    let mut record = Duration::ZERO;
    let mut samples = 0;
    for p in 0..points {
        let t_ms = end - (points - 1 - p) as u64 * 1000;
        for s in SERVICES {
            let page = page(s, p as f64);
            samples += page.len();
            let started = Instant::now();
            hub.series
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .record(s, s, t_ms, page);
            record += started.elapsed();
        }
    }
    let series = hub.read_series().series_count();
    let time = |f: &dyn Fn()| {
        let runs = 5;
        let started = Instant::now();
        for _ in 0..runs {
            f();
        }
        started.elapsed() / runs
    };
    let calls = vec![
        (
            "GET /api/topology".to_string(),
            time(&|| drop(hub.topology(None))),
        ),
        (
            "GET /api/services".to_string(),
            time(&|| drop(hub.services(None, None))),
        ),
        (
            "GET /api/services?series=1 (5 min, 5 s)".to_string(),
            time(&|| drop(hub.services(None, Some(SeriesSpec::default())))),
        ),
        (
            "GET /api/services/alpha (15 min, 1 s)".to_string(),
            time(&|| {
                drop(hub.service(
                    SERVICES[0],
                    None,
                    SeriesSpec {
                        range: Duration::from_secs(900),
                        step: Duration::from_secs(1),
                    },
                ))
            }),
        ),
    ];
    QueryBench {
        series,
        points_per_series: points,
        record,
        samples,
        calls,
    }
}
