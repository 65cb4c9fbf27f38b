"""recommendations: related products for a product page (Python, Flask).

    python main.py [--host 127.0.0.1] --port PORT [--service-name recommendations]

Serves with waitress until SIGTERM or Ctrl-C, or until the supervising
parent is gone when `CHAOSLAB_PARENT_PID` is set; spans are flushed on the way
out and the process is gone within a second.
"""

import argparse
import logging
import os
import signal
import sys
import threading
import time

from waitress import create_server

from recommendations import telemetry
from recommendations.app import create_app

SHUTDOWN_BUDGET_S = 0.7
log = logging.getLogger("recommendations")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="recommendations", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, required=True, help="port to listen on")
    p.add_argument(
        "--service-name", default="recommendations", help="service.name when OTEL_SERVICE_NAME is not set"
    )
    p.add_argument("--threads", type=int, default=16, help="request worker threads (default 16)")
    args = p.parse_args(argv)
    if not 0 < args.port < 65536:
        p.error(f"--port must be from 1 to 65535, got {args.port}")
    return args


def watch_parent(stop) -> None:
    """Stops the service when the process `CHAOSLAB_PARENT_PID` names is no longer its parent."""
    raw = os.environ.get("CHAOSLAB_PARENT_PID")
    if not raw:
        return
    try:
        parent = int(raw)
    except ValueError:
        log.warning("ignoring CHAOSLAB_PARENT_PID=%r: not a process id", raw)
        return

    def loop():
        while os.getppid() == parent:
            time.sleep(0.5)
        stop("the supervisor is gone")

    threading.Thread(target=loop, name="parent-watch", daemon=True).start()


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv if argv is not None else sys.argv[1:])
    service = telemetry.service_name(args.service_name)
    try:
        tel = telemetry.init(service)
    except telemetry.TelemetryError as e:
        print(f"recommendations: {e}", file=sys.stderr)
        return 2
    app = create_app(service, tel, os.environ.get("CHAOSLAB_ADMIN_TOKEN") or None)
    try:
        server = create_server(app, host=args.host, port=args.port, threads=args.threads, ident=service)
    except OSError as e:
        print(f"recommendations: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    stopping = threading.Lock()

    def stop(reason: str) -> None:
        if not stopping.acquire(blocking=False):
            return
        log.info("stopping: %s", reason)
        app.config["READY"].clear()
        tel.shutdown(SHUTDOWN_BUDGET_S)
        os._exit(0)

    signal.signal(signal.SIGTERM, lambda *_: stop("SIGTERM"))
    signal.signal(signal.SIGINT, lambda *_: stop("interrupted"))
    watch_parent(stop)
    app.config["READY"].set()
    tel.start_export()
    log.info("%s listening on http://%s:%d", service, args.host, args.port)
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
