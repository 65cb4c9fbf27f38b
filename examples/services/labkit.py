"""What both example services share (standard library only): a threaded
HTTP server, the lab's /healthz and /metrics (the semconv request-duration
histogram, labelled with the service name), and the /admin settings and
faults endpoints the experiment runner calls."""

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = os.environ.get("CHAOSLAB_SERVICE", "service")
BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

_lock = threading.Lock()
_histograms = {}  # (method, route, status) -> [bucket counts..., sum, count]
settings = {"request_deadline_ms": None}


def observe(method, route, status, seconds):
    with _lock:
        h = _histograms.setdefault((method, route, status), [0] * len(BUCKETS) + [0.0, 0])
        for i, b in enumerate(BUCKETS):
            if seconds <= b:
                h[i] += 1
        h[-2] += seconds
        h[-1] += 1


def exposition():
    name = "http_server_request_duration_seconds"
    lines = [f"# TYPE {name} histogram"]
    with _lock:
        for (method, route, status), h in sorted(_histograms.items()):
            labels = (f'service="{SERVICE}",http_request_method="{method}",'
                      f'http_route="{route}",http_response_status_code="{status}"')
            for i, b in enumerate(BUCKETS):
                lines.append(f'{name}_bucket{{{labels},le="{b}"}} {h[i]}')
            lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {h[-1]}')
            lines.append(f"{name}_sum{{{labels}}} {h[-2]}")
            lines.append(f"{name}_count{{{labels}}} {h[-1]}")
    return "\n".join(lines) + "\n"


class Handler(BaseHTTPRequestHandler):
    """Routes: `routes` maps (method, path) to fn(handler) -> (status, body)."""

    routes = {}
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("content-length") or 0)
        try:
            return json.loads(self.rfile.read(n) or b"null")
        except ValueError:
            return None

    def handle_any(self, method):
        started = time.monotonic()
        path = self.path.split("?")[0]
        route = self.routes.get((method, path)) or BUILTIN.get((method, path))
        if route is None:
            status, body = 404, {"error": f"no route {method} {path}"}
        else:
            status, body = route(self)
        if isinstance(body, str):
            self.send(status, body.encode(), "text/plain; version=0.0.4")
        else:
            self.send(status, body)
        if path not in ("/metrics", "/healthz"):
            observe(method, path, status, time.monotonic() - started)

    def do_GET(self):
        self.handle_any("GET")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")


def put_settings(h):
    patch = h.body()
    if not isinstance(patch, dict) or any(k not in settings for k in patch):
        return 400, {"error": f"settings are {sorted(settings)}"}
    settings.update(patch)
    return 200, settings


BUILTIN = {
    ("GET", "/healthz"): lambda h: (200, {"status": "ok"}),
    ("GET", "/metrics"): lambda h: (200, exposition()),
    ("GET", "/admin/settings"): lambda h: (200, settings),
    ("PUT", "/admin/settings"): put_settings,
    # This service has no in-service faults: the list is always empty.
    ("GET", "/admin/faults"): lambda h: (200, {"faults": []}),
    ("DELETE", "/admin/faults"): lambda h: (200, {"removed": 0}),
    ("POST", "/admin/faults"): lambda h: (400, {"error": "no in-service faults here"}),
}


def serve(port, routes):
    Handler.routes = routes
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()
