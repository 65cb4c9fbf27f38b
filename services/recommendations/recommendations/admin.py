"""`/admin/...`, as the Rust services serve it (services/kit/src/admin.rs),
open to loopback callers or to `Authorization: Bearer $CHAOSLAB_ADMIN_TOKEN`.

| route | does |
|---|---|
| `GET/POST/DELETE /admin/faults`, `DELETE /admin/faults/{id}` | in-service faults |
| `GET/PUT /admin/resilience`, `GET/PUT /admin/resilience/{dependency}` | no dependencies here: `[]`, or 404 for a name |
"""

import ipaddress
import json

from flask import Blueprint, current_app, jsonify, request

from . import faultspec


def _loopback(addr) -> bool:
    try:
        return ipaddress.ip_address(addr or "").is_loopback
    except ValueError:
        return False


def _debug_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def blueprint(json_error) -> Blueprint:
    bp = Blueprint("admin", __name__, url_prefix="/admin")

    def cfg(key):
        return current_app.config[key]

    def unknown_dependency(name: str):
        return json_error(
            404, "unknown dependency", f"{cfg('SERVICE')} has no dependency {_debug_str(name)}; it has: "
        )

    @bp.before_request
    def guard():
        token = cfg("ADMIN_TOKEN")
        if _loopback(request.remote_addr):
            return None
        if token and request.headers.get("Authorization") == f"Bearer {token}":
            return None
        return json_error(403, "forbidden", "the admin API answers loopback callers or a valid bearer token")

    @bp.get("/faults")
    def list_faults():
        return jsonify(cfg("FAULTS").list())

    @bp.post("/faults")
    def add_fault():
        try:
            spec, duration_ms = faultspec.parse(request.get_data())
        except faultspec.SpecError as e:
            return json_error(400, "bad request", str(e))
        if spec["kind"] == "pool_shrink":
            return unknown_dependency(spec["dependency"])
        view = cfg("FAULTS").add(spec, duration_ms)
        resp = jsonify(view)
        resp.status_code = 201
        return resp

    @bp.delete("/faults")
    def clear_faults():
        cfg("FAULTS").clear()
        return "", 204

    @bp.delete("/faults/<fault_id>")
    def remove_fault(fault_id):
        if cfg("FAULTS").remove(fault_id):
            return "", 204
        return json_error(404, "fault not found", f"no active fault {_debug_str(fault_id)}")

    @bp.get("/resilience")
    def list_policies():
        return jsonify([])

    @bp.put("/resilience")
    def put_policies():
        try:
            patches = json.loads(request.get_data().decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            return json_error(400, "bad request", str(e))
        if not isinstance(patches, dict):
            return json_error(400, "bad request", "expected a JSON object of dependency: patch")
        for name in sorted(patches):
            return unknown_dependency(name)
        return jsonify([])

    @bp.route("/resilience/<dependency>", methods=["GET", "PUT"])
    def one_policy(dependency):
        return unknown_dependency(dependency)

    return bp
