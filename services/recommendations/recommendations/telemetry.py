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

import os
import threading

# The stable HTTP semantic conventions (http.request.method, http.route,
# http.response.status_code), as the Rust services emit; read when the
# instrumentation is imported, so set before that.
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")

from opentelemetry import propagate, trace  # noqa: E402
from opentelemetry.sdk.resources import SERVICE_NAME, Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402
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


def _exporter():
    protocol = (
        os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "grpc"
    ).strip().lower()
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    elif protocol in ("http/protobuf", "http"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    else:
        raise TelemetryError(f"unknown OTLP protocol {protocol!r}: expected grpc or http/protobuf")
    return OTLPSpanExporter()


class Telemetry:
    """What must be flushed at exit."""

    def __init__(self, provider):
        self.provider = provider

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
    provider.add_span_processor(BatchSpanProcessor(_exporter(), schedule_delay_millis=delay))
    trace.set_tracer_provider(provider)
    return Telemetry(provider)
