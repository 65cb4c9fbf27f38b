"""In-service faults: kept by the service with their own expiry, so they end
on time even when whoever asked for them is gone (as in the Rust kit's
services/kit/src/faults.rs).

- `Faults.add/remove/clear/list`: the admin API's view.
- `before_request(route)`: the request hook (latency, then maybe an error).
- `storage()`: the hook around the (simulated) storage lookup.
- CPU burn and memory growth run in daemon threads that stop with the fault.
"""

import random
import threading
import time

from opentelemetry import trace

from . import faultspec, metrics


class _Active:
    def __init__(self, fault_id, spec, duration_ms):
        self.id = fault_id
        self.spec = spec
        self.duration_ms = duration_ms
        self.started_at = time.time()
        self.expires = time.monotonic() + duration_ms / 1000
        self.stop = threading.Event()

    def live(self, now) -> bool:
        return self.expires > now


class Faults:
    def __init__(self, service: str):
        self.service = service
        self._lock = threading.Lock()
        self._active: list[_Active] = []
        self._next_id = 1
        self._publish()

    def add(self, spec: dict, duration_ms: int) -> dict:
        with self._lock:
            fault = _Active(f"{self.service}-{self._next_id}", spec, duration_ms)
            self._next_id += 1
            self._active.append(fault)
        if spec["kind"] == "cpu_burn":
            for _ in range(spec["threads"]):
                _daemon(_burn_cpu, spec["percent"], fault)
        elif spec["kind"] == "memory_growth":
            _daemon(_grow_memory, spec["mb_per_sec"], spec["max_mb"], fault)
        timer = threading.Timer(duration_ms / 1000, self.remove, args=(fault.id,))
        timer.daemon = True
        timer.start()
        self._publish()
        return self._view(fault, time.monotonic())

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            kept = [a for a in self._active if a.id != fault_id]
            removed = [a for a in self._active if a.id == fault_id]
            self._active = kept
        for a in removed:
            a.stop.set()
        self._publish()
        return bool(removed)

    def clear(self) -> None:
        with self._lock:
            removed, self._active = self._active, []
        for a in removed:
            a.stop.set()
        self._publish()

    def list(self) -> "list[dict]":
        now = time.monotonic()
        return [self._view(a, now) for a in self._live(now)]

    def before_request(self, route: str):
        """Sleeps for latency faults; returns a status when an error_rate fault hits."""
        delay, status = 0.0, None
        for a in self._live(time.monotonic()):
            spec = a.spec
            if spec["kind"] == "latency" and faultspec.matches(spec["route"], route):
                jitter = random.randint(0, spec["jitter_ms"]) if spec["jitter_ms"] else 0
                delay += (spec["latency_ms"] + jitter) / 1000
                self._injected(a.id, "latency")
            elif (
                spec["kind"] == "error_rate"
                and faultspec.matches(spec["route"], route)
                and status is None
                and random.random() < spec["rate"]
            ):
                status = spec["status"]
                self._injected(a.id, "error_rate")
        if delay:
            time.sleep(delay)
        return status

    def storage(self) -> None:
        delay = 0.0
        for a in self._live(time.monotonic()):
            if a.spec["kind"] == "slow_storage":
                delay += a.spec["latency_ms"] / 1000
                self._injected(a.id, "slow_storage")
        if delay:
            time.sleep(delay)

    def _live(self, now) -> "list[_Active]":
        with self._lock:
            return [a for a in self._active if a.live(now)]

    def _injected(self, fault_id: str, kind: str) -> None:
        metrics.CHAOS_INJECTIONS.labels(self.service, self.service, kind).inc()
        trace.get_current_span().add_event(
            "chaos.fault",
            {
                "fault.kind": kind,
                "fault.id": fault_id,
                "fault.target": self.service,
            },
        )

    def _publish(self) -> None:
        with self._lock:
            kinds = [a.spec["kind"] for a in self._active]
        for kind in faultspec.KIND_NAMES:
            metrics.CHAOS_FAULTS_ACTIVE.labels(self.service, self.service, kind).set(kinds.count(kind))

    def _view(self, a: _Active, now) -> dict:
        return {
            "id": a.id,
            "target": self.service,
            **a.spec,
            "duration_ms": a.duration_ms,
            "remaining_ms": max(0, int((a.expires - now) * 1000)),
            "started_at": a.started_at,
        }


def _daemon(target, *args) -> None:
    threading.Thread(target=target, args=args, daemon=True).start()


def _burn_cpu(percent: int, fault: _Active) -> None:
    """Busy `percent` of each 10 ms slice until the fault ends."""
    slice_s = 0.010
    busy = slice_s * percent / 100
    x = 0x9E3779B9
    while not fault.stop.is_set() and fault.live(time.monotonic()):
        start = time.monotonic()
        while time.monotonic() - start < busy:
            x = (x * 0x2545F491 + 7) & 0xFFFFFFFF
        rest = slice_s - (time.monotonic() - start)
        if rest > 0:
            time.sleep(rest)


def _grow_memory(mb_per_sec: int, max_mb: int, fault: _Active) -> None:
    """Allocates and touches `mb_per_sec` MiB a second up to `max_mb`; frees it all at the end."""
    held = []
    per_step = max(mb_per_sec * 1024 * 1024 // 10, 4096)
    cap = max_mb * 1024 * 1024
    total = 0
    while not fault.stop.wait(0.1):
        if total < cap:
            n = min(per_step, cap - total)
            held.append(b"\x01" * n)
            total += n
    held.clear()
