"""Sends OTLP from the official OpenTelemetry Python SDK (traces, metrics
and logs over OTLP/gRPC) to a chaoslab hub, for chaoslab's tests.

It plays a small web app: for each of N requests it records a server span
`GET /checkout` (every fifth one fails with a 500), calls a downstream
HTTP service (NODE_URL, when set) inside a client span with `traceparent`,
logs a line inside the request, and records `http.server.request.duration`
and `http.client.request.duration`. Then it flushes and exits.

Environment: OTEL_EXPORTER_OTLP_ENDPOINT (the hub's OTLP/gRPC address),
OTEL_SERVICE_NAME, NODE_URL, REQUESTS (default 40).
"""

import logging
import os
import time
import urllib.error
import urllib.request

from opentelemetry import metrics, trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.propagate import inject
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

resource = Resource.create({})  # service.name from OTEL_SERVICE_NAME; telemetry.sdk.* added
tracer_provider = TracerProvider(resource=resource)
tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(), schedule_delay_millis=200))
trace.set_tracer_provider(tracer_provider)
meter_provider = MeterProvider(
    resource=resource,
    metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter(), export_interval_millis=500)],
)
metrics.set_meter_provider(meter_provider)
logger_provider = LoggerProvider(resource=resource)
logger_provider.add_log_record_processor(
    BatchLogRecordProcessor(OTLPLogExporter(), schedule_delay_millis=200)
)
set_logger_provider(logger_provider)
log = logging.getLogger("shop")
log.setLevel(logging.INFO)
log.addHandler(LoggingHandler(level=logging.INFO, logger_provider=logger_provider))

tracer = trace.get_tracer("chaoslab-python-sender")
meter = metrics.get_meter("chaoslab-python-sender")
server_duration = meter.create_histogram(
    "http.server.request.duration", unit="s", explicit_bucket_boundaries_advisory=BUCKETS
)
client_duration = meter.create_histogram(
    "http.client.request.duration", unit="s", explicit_bucket_boundaries_advisory=BUCKETS
)
node_url = os.environ.get("NODE_URL")


def call_downstream(i):
    url = f"{node_url}/fail/{i}" if i % 10 == 9 else f"{node_url}/stock/{i}"
    start = time.perf_counter()
    with tracer.start_as_current_span("GET", kind=SpanKind.CLIENT) as span:
        span.set_attribute("http.request.method", "GET")
        span.set_attribute("url.full", url)
        headers = {}
        inject(headers)
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))
    client_duration.record(
        time.perf_counter() - start,
        {"http.request.method": "GET", "server.address": "127.0.0.1", "http.response.status_code": status},
    )


for i in range(int(os.environ.get("REQUESTS", "40"))):
    start = time.perf_counter()
    status = 500 if i % 5 == 4 else 200
    with tracer.start_as_current_span("GET /checkout", kind=SpanKind.SERVER) as span:
        span.set_attribute("http.request.method", "GET")
        span.set_attribute("http.route", "/checkout")
        if node_url:
            call_downstream(i)
        time.sleep(0.01)
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))
            log.error("checkout %d failed: payment declined", i)
        else:
            log.info("checkout %d done", i)
    attrs = {"http.request.method": "GET", "http.route": "/checkout", "http.response.status_code": status}
    if status >= 500:
        attrs["error.type"] = "500"
    server_duration.record(time.perf_counter() - start, attrs)

tracer_provider.shutdown()
meter_provider.shutdown()
logger_provider.shutdown()
print("sent", flush=True)
