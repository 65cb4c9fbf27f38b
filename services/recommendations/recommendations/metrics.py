"""The Prometheus metrics, with the names, labels and buckets of the Rust
services (services/kit/src/names.rs): every series carries `service`.

prometheus_client writes bucket bounds as `1.0`, `5.0`, `10.0`; the Rust
services write `1`, `5`, `10`. A Prometheus before 3.0 (Debian's is 2.x)
keeps those as different `le` values, so a `sum by (le)` over both would
split buckets: `render()` writes the bounds the Rust way.
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.exposition import generate_latest

# Rust's exporter has no `_created` series.
disable_created_metrics()

# The semantic-convention advisory buckets, in seconds.
HTTP_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4"

_own = CollectorRegistry(auto_describe=True)

HTTP_SERVER_DURATION = Histogram(
    "http_server_request_duration_seconds",
    "Duration of HTTP server requests.",
    ["service", "http_request_method", "http_route", "http_response_status_code", "error_type"],
    buckets=HTTP_DURATION_BUCKETS,
    registry=None,
)
HTTP_SERVER_ACTIVE = Gauge(
    "http_server_active_requests",
    "Requests being served right now.",
    ["service", "http_request_method"],
    registry=_own,
)
CHAOS_FAULTS_ACTIVE = Gauge(
    "chaos_faults_active",
    "Active in-service faults.",
    ["service", "target", "kind"],
    registry=_own,
)
CHAOS_INJECTIONS = Counter(
    "chaos_injections_total",
    "Faults injected into requests.",
    ["service", "target", "kind"],
    registry=_own,
)


def _rust_bound(le: str) -> str:
    if le == "+Inf":
        return le
    f = float(le)
    return str(int(f)) if f.is_integer() else repr(f)


class _RustBuckets:
    """Collects the histogram with `le` written as the Rust services write it."""

    def collect(self):
        for family in HTTP_SERVER_DURATION.collect():
            family.samples = [
                s._replace(labels={**s.labels, "le": _rust_bound(s.labels["le"])}) if "le" in s.labels else s
                for s in family.samples
            ]
            yield family


_own.register(_RustBuckets())


def render() -> bytes:
    return generate_latest(_own)
