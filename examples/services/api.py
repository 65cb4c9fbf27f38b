"""The api: `GET /items` asks the store, through the agent's proxy at
$CHAOSLAB_DEP_STORE. With a deadline (`request_deadline_ms`, changed at
`PUT /admin/settings`) it gives up on a slow or failing store and serves
its last good copy, marked `"stale": true`; without one it waits as long
as the store takes and passes failures on."""

import argparse
import json
import os
import threading
import urllib.error
import urllib.request

import labkit

STORE = os.environ["CHAOSLAB_DEP_STORE"]
_last_good = {"items": None}
_lock = threading.Lock()


def items(_h):
    deadline = labkit.settings.get("request_deadline_ms")
    timeout = deadline / 1000 if deadline else 30
    try:
        with urllib.request.urlopen(f"{STORE}/items", timeout=timeout) as r:
            data = json.loads(r.read())
        with _lock:
            _last_good["items"] = data["items"]
        return 200, {"items": data["items"], "stale": False}
    except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
        with _lock:
            cached = _last_good["items"]
        if deadline and cached is not None:
            return 200, {"items": cached, "stale": True}
        return 502, {"error": f"the store failed: {e}"}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    labkit.serve(args.port, {("GET", "/items"): items})


if __name__ == "__main__":
    main()
