"""Traces, set up in one place: the official OpenTelemetry Python SDK, an
OTLP exporter (gRPC by default, like the Rust services; HTTP/protobuf with
`OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`), W3C trace context, and the
Flask instrumentation for server spans.

The exporters read the standard variables themselves
(`OTEL_EXPORTER_OTLP_{,TRACES_}ENDPOINT`, `..._HEADERS`, `..._TIMEOUT`);
`OTEL_SERVICE_NAME` wins over the `--service-name` flag; `OTEL_SDK_DISABLED=true`
or `CHAOSLAB_TELEMETRY=off` turns spans off. Spans leave in batches every
200 ms (`OTEL_BSP_SCHEDULE_DELAY` overrides), so a live lab sees them within
a second; `shutdown()` flushes them, bounded so the process still stops in
time when the receiver is gone.
"""

import logging
import os
import threading

# The stable HTTP semantic conventions (http.request.method, http.route,
# http.response.status_code), as the Rust services emit; read when the
# instrumentation is imported, so set before that.
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")

from opentelemetry import propagate, trace  # noqa: E402
from opentelemetry.sdk.resources import SERVICE_NAME, Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult  # noqa: E402
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator  # noqa: E402

# Requests that are not the service's business get no span (as on the Rust side).
EXCLUDED_URLS = "/health/,/metrics,/admin"


class TelemetryError(Exception):
    pass


def service_name(flag: str) -> str:
    return os.environ.get("OTEL_SERVICE_NAME") or flag


def enabled() -> bool:
    disabled = os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
    off = os.environ.get("CHAOSLAB_TELEMETRY", "").strip().lower() == "off"
    return not (disabled or off)


def _protocol() -> str:
    protocol = (
        os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "grpc"
    ).strip().lower()
    if protocol not in ("grpc", "http/protobuf", "http"):
        raise TelemetryError(f"unknown OTLP protocol {protocol!r}: expected grpc or http/protobuf")
    return protocol


def _exporter(protocol: str):
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter()


class _DeferredExporter(SpanExporter):
    """The OTLP exporter, made on a thread of its own once the service is
    ready: importing gRPC (or requests) and protobuf costs a third of a
    second or more of start-up, and readiness need not wait for it. Spans
    ended before it exists wait in the batch processor's queue."""

    def __init__(self, protocol: str):
        self._protocol = protocol
        self._real = None
        self._made = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._make, name="otlp-exporter", daemon=True).start()

    def _make(self) -> None:
        try:
            self._real = _exporter(self._protocol)
        except Exception as e:  # an exporter that cannot be made drops spans, not the service
            logging.getLogger("recommendations").warning("no OTLP exporter: %s", e)
        finally:
            self._made.set()

    def export(self, spans):
        self._made.wait(10)
        if self._real is None:
            return SpanExportResult.FAILURE
        return self._real.export(spans)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._real.force_flush(timeout_millis) if self._real is not None else True

    def shutdown(self) -> None:
        if self._real is not None:
            self._real.shutdown()


class Telemetry:
    """What must be flushed at exit."""

    def __init__(self, provider, exporter=None):
        self.provider = provider
        self._exporter = exporter

    def start_export(self) -> None:
        """Makes the OTLP exporter in the background: call once ready."""
        if self._exporter is not None:
            self._exporter.start()

    def instrument(self, app) -> None:
        if self.provider is None:
            return
        from opentelemetry.instrumentation.flask import FlaskInstrumentor

        FlaskInstrumentor().instrument_app(app, tracer_provider=self.provider, excluded_urls=EXCLUDED_URLS)

    def shutdown(self, timeout_s: float) -> None:
        """Flushes and stops the exporter, waiting at most `timeout_s`."""
        if self.provider is None:
            return
        worker = threading.Thread(target=self.provider.shutdown, daemon=True)
        worker.start()
        worker.join(timeout_s)


def init(flag_name: str) -> Telemetry:
    if "OTEL_PROPAGATORS" not in os.environ:
        propagate.set_global_textmap(TraceContextTextMapPropagator())
    if not enabled():
        return Telemetry(None)
    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: flag_name}
    provider = TracerProvider(resource=Resource.create(attributes))
    delay = None if "OTEL_BSP_SCHEDULE_DELAY" in os.environ else 200
    exporter = _DeferredExporter(_protocol())
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=delay))
    trace.set_tracer_provider(provider)
    return Telemetry(provider, exporter)
