"""The Flask application: business routes (observed: semconv metrics and the
request faults), `/admin/...` and the operational routes.

| route | answers |
|---|---|
| `GET /recommendations?product_id=ID&limit=N` | related products, best first |
| `GET /health/live`, `GET /health/ready` | `live`, `ready` (503 `not ready` while stopping) |
| `GET /metrics` | Prometheus text |
| `/admin/...` | see admin.py |
"""

import json
import re
import threading
import time

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from . import admin, catalog, metrics
from .faults import Faults

# Endpoints that are the service's business, observed like the Rust
# services' business routes (the others are not measured or faulted).
_BUSINESS = {"recommendations"}


def json_error(status: int, error: str, reason: str) -> Response:
    resp = jsonify({"error": error, "reason": reason})
    resp.status_code = status
    return resp


def _route_template(rule: str) -> str:
    # Flask writes `/x/<int:id>`; the lab's routes read `/x/{id}`.
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def create_app(service: str, telemetry, admin_token) -> Flask:
    app = Flask(service)
    app.json.sort_keys = False
    app.json.compact = True
    # Bodies are small JSON documents (fault requests); the Rust services cap theirs too.
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    ready = threading.Event()
    faults = Faults(service)
    app.config.update(SERVICE=service, READY=ready, FAULTS=faults, ADMIN_TOKEN=admin_token)
    # The instrumentation's hooks first, so the server span is current in ours.
    telemetry.instrument(app)

    @app.before_request
    def observe_start():
        if request.endpoint not in _BUSINESS:
            return None
        g.started = time.perf_counter()
        g.route = _route_template(request.url_rule.rule)
        metrics.HTTP_SERVER_ACTIVE.labels(service, request.method).inc()
        status = faults.before_request(g.route)
        if status is not None:
            return json_error(status, "injected fault", f"{service} answered {status} because of an error_rate fault")
        return None

    @app.after_request
    def observe_end(response):
        if "started" in g:
            status = response.status_code
            metrics.HTTP_SERVER_DURATION.labels(
                service, request.method, g.route, str(status), str(status) if status >= 500 else ""
            ).observe(time.perf_counter() - g.started)
        return response

    @app.teardown_request
    def observe_done(_exc):
        if "started" in g:
            metrics.HTTP_SERVER_ACTIVE.labels(service, request.method).dec()

    @app.get("/recommendations", endpoint="recommendations")
    def recommendations():
        raw_id = request.args.get("product_id")
        if raw_id is None:
            return json_error(400, "bad request", "product_id: missing; ask for ?product_id=ID")
        product_id = _whole(raw_id)
        if product_id is None:
            return json_error(400, "bad request", f"product_id: expected a whole number, got {json.dumps(raw_id)}")
        raw_limit = request.args.get("limit", str(catalog.DEFAULT_LIMIT))
        limit = _whole(raw_limit)
        if limit is None or not 1 <= limit <= catalog.MAX_LIMIT:
            return json_error(
                400, "bad request", f"limit: expected a whole number from 1 to {catalog.MAX_LIMIT}, got {json.dumps(raw_limit)}"
            )
        faults.storage()
        found = catalog.related(product_id, limit)
        if found is None:
            return json_error(404, "not found", f"no product {product_id}")
        return jsonify({"product_id": product_id, "recommendations": found})

    @app.get("/health/live")
    def live():
        return Response("live\n", mimetype="text/plain")

    @app.get("/health/ready")
    def is_ready():
        if ready.is_set():
            return Response("ready\n", mimetype="text/plain")
        return Response("not ready\n", status=503, mimetype="text/plain")

    @app.get("/metrics")
    def render_metrics():
        return Response(metrics.render(), headers={"Content-Type": metrics.CONTENT_TYPE})

    @app.errorhandler(404)
    def no_route(_e):
        return json_error(404, "not found", f"no route {request.method} {request.path}")

    @app.errorhandler(405)
    def no_method(_e):
        return json_error(405, "method not allowed", f"{request.path} does not answer {request.method}")

    @app.errorhandler(HTTPException)
    def http_error(e):
        return json_error(e.code or 500, (e.name or "error").lower(), e.description or "")

    app.register_blueprint(admin.blueprint(json_error))
    return app


def _whole(text: str):
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None
