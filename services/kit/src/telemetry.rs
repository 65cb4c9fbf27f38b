//! Telemetry set-up, in one place for every process of the lab.
//!
//! ```text
//!  HTTP request spans (kit::http) ──OpenTelemetry API──> SDK tracer ──OTLP (gRPC | HTTP/protobuf)──> hub / Collector
//!  tracing spans (messaging, load) ──tracing-opentelemetry──> the same SDK tracer
//!  tracing events ──fmt layer, events only (text | JSON, with the current trace_id/span_id)──> stderr or a file
//!  tracing events ──opentelemetry-appender-tracing──> SDK logger ──OTLP──> hub (trace/span ids kept)
//!  metrics! macros ──metrics-exporter-prometheus recorder──> GET /metrics (Prometheus text)
//! ```
//!
//! Standard `OTEL_*` variables are honoured: `OTEL_SDK_DISABLED`,
//! `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
//! `OTEL_EXPORTER_OTLP_{,TRACES_}ENDPOINT`, `OTEL_EXPORTER_OTLP_{,TRACES_}PROTOCOL`
//! (`grpc`, the default, or `http/protobuf`), `..._HEADERS`, `..._TIMEOUT`,
//! `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, and the batch delays
//! `OTEL_BSP_SCHEDULE_DELAY` / `OTEL_BLRP_SCHEDULE_DELAY` (200 ms here
//! unless set: a live lab). `OTEL_LOGS_EXPORTER=none` keeps logs local.
//! `CHAOSLAB_LOG` sets the log filter (`RUST_LOG` syntax) and
//! `CHAOSLAB_LOG_FORMAT=json` switches logs to JSON.

mod log_lines;
mod logs;
mod metrics_setup;
mod traces;

pub use metrics_setup::{install_metrics, metrics_handle};
pub use traces::{LIVE_EXPORT_DELAY, Protocol};

use metrics_exporter_prometheus::PrometheusHandle;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

/// The instrumentation scope of every span the lab's code makes.
pub const SCOPE: &str = "chaoslab";

/// The tracer of the lab's own spans, from the provider [`init`] set (a
/// no-op before it). Take it once, where a service is built, not per span.
pub fn tracer() -> opentelemetry::global::BoxedTracer {
    opentelemetry::global::tracer(SCOPE)
}

/// `future`, to be polled with the trace context current now: what a
/// spawned task needs to stay in the request's trace.
pub fn in_current_trace<F: Future>(future: F) -> opentelemetry::context::WithContext<F> {
    use opentelemetry::context::FutureExt as _;
    future.with_current_context()
}

/// Errors while setting telemetry up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("cannot build the OTLP span exporter: {0}")]
    Exporter(String),
    #[error("unknown OTLP protocol {0:?}: expected grpc or http/protobuf")]
    Protocol(String),
    #[error("cannot install the metrics recorder: {0}")]
    Metrics(String),
}

/// What a process asks of telemetry.
#[derive(Debug, Clone)]
pub struct TelemetryOptions {
    /// Default `service.name`; `OTEL_SERVICE_NAME` wins when set.
    pub service: String,
    /// Export traces at all (also off when `OTEL_SDK_DISABLED=true`).
    pub traces: bool,
    /// Log as JSON lines instead of text.
    pub json_logs: bool,
    /// Everything off (`CHAOSLAB_TELEMETRY=off`): no spans, no metrics, warnings
    /// only. The bare baseline that benchmarks compare against.
    pub off: bool,
    /// The OTLP endpoint when `OTEL_EXPORTER_OTLP_ENDPOINT` is not set.
    pub endpoint: Option<String>,
    /// Append logs to this file instead of stderr (the supervisor, whose
    /// terminal belongs to the dashboard).
    pub log_file: Option<std::path::PathBuf>,
}

impl TelemetryOptions {
    /// Options for `service`, reading the environment for the rest.
    pub fn from_env(service: &str) -> Self {
        let disabled = std::env::var("OTEL_SDK_DISABLED")
            .map(|v| v.eq_ignore_ascii_case("true"))
            .unwrap_or(false);
        let json_logs = std::env::var("CHAOSLAB_LOG_FORMAT")
            .map(|v| v.eq_ignore_ascii_case("json"))
            .unwrap_or(false);
        let off = std::env::var("CHAOSLAB_TELEMETRY").is_ok_and(|v| v.eq_ignore_ascii_case("off"));
        Self {
            service: service.to_string(),
            traces: !disabled && !off,
            json_logs,
            off,
            endpoint: None,
            log_file: None,
        }
    }
}

/// Holds what must be flushed at exit. Call [`Telemetry::shutdown`].
pub struct Telemetry {
    tracer: Option<SdkTracerProvider>,
    logger: Option<SdkLoggerProvider>,
    metrics: PrometheusHandle,
}

impl Telemetry {
    /// The Prometheus handle that renders `/metrics`.
    pub fn metrics(&self) -> PrometheusHandle {
        self.metrics.clone()
    }

    /// Flushes and stops the span and log exporters. Safe on any runtime
    /// flavour.
    pub async fn shutdown(self) {
        let (tracer, logger) = (self.tracer, self.logger);
        if tracer.is_none() && logger.is_none() {
            return;
        }
        let _ = tokio::task::spawn_blocking(move || {
            if let Some(p) = tracer {
                let _ = p.force_flush();
                let _ = p.shutdown();
            }
            if let Some(p) = logger {
                let _ = p.force_flush();
                let _ = p.shutdown();
            }
        })
        .await;
    }
}

/// Sets up traces, logs and metrics for this process. Call once, inside a
/// tokio runtime (the gRPC exporter needs one).
pub fn init(opts: &TelemetryOptions) -> Result<Telemetry, TelemetryError> {
    let metrics = if opts.off {
        // A recorder nobody installed: the metric macros do nothing.
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .build_recorder()
            .handle()
    } else {
        install_metrics(&opts.service)?
    };
    let resource = traces::resource(&opts.service);
    let tracer = if opts.traces {
        Some(traces::provider(
            resource.clone(),
            opts.endpoint.as_deref(),
        )?)
    } else {
        None
    };
    let logs_off =
        std::env::var("OTEL_LOGS_EXPORTER").is_ok_and(|v| v.eq_ignore_ascii_case("none"));
    let logger = if opts.traces && !logs_off {
        Some(logs::provider(resource, opts.endpoint.as_deref())?)
    } else {
        None
    };
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let default_filter = if opts.off {
        "warn"
    } else {
        "info,h2=warn,hyper=warn,tonic=warn,tower=warn"
    };
    let filter =
        EnvFilter::try_from_env("CHAOSLAB_LOG").unwrap_or_else(|_| EnvFilter::new(default_filter));
    let otel = tracer.as_ref().map(|p| {
        use opentelemetry::trace::TracerProvider as _;
        opentelemetry::global::set_tracer_provider(p.clone());
        // Only what a reader of the lab's traces uses: every attribute is
        // paid for on the hot path, in the export and in the hub.
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer(SCOPE))
            .with_location(false)
            .with_threads(false)
            .with_tracked_inactivity(false)
            .with_target(false)
    });
    // The bridge's own filter keeps the exporters' logs out of the export
    // (they would log about exporting their own logs).
    let otel_logs = logger.as_ref().map(|p| {
        opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(p).with_filter(
            tracing_subscriber::filter::filter_fn(|m| {
                let t = m.target();
                !(t.starts_with("opentelemetry")
                    || t.starts_with("h2")
                    || t.starts_with("hyper")
                    || t.starts_with("tonic")
                    || t.starts_with("tower")
                    || t.starts_with("reqwest"))
            }),
        )
    });
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(otel)
        .with(otel_logs);
    let writer = LogWriter::open(opts.log_file.as_deref());
    let lines = log_lines::EventsOnly(
        tracing_subscriber::fmt::layer()
            .event_format(log_lines::Line {
                json: opts.json_logs,
            })
            .with_writer(writer),
    );
    let result = registry.with(lines).try_init();
    // A second init in one process (tests) keeps the first subscriber.
    let _ = result;
    Ok(Telemetry {
        tracer,
        logger,
        metrics,
    })
}

/// Where log lines go: stderr, or a file opened for appending.
#[derive(Clone)]
struct LogWriter(Option<std::sync::Arc<std::fs::File>>);

impl LogWriter {
    fn open(path: Option<&std::path::Path>) -> Self {
        let file = path.and_then(|p| {
            if let Some(dir) = p.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        });
        Self(file.map(std::sync::Arc::new))
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = Box<dyn std::io::Write + 'a>;
    fn make_writer(&'a self) -> Self::Writer {
        match &self.0 {
            Some(f) => Box::new(f.as_ref()),
            None => Box::new(std::io::stderr()),
        }
    }
}
