"""The store: a list of items in memory. `python3 store.py --port N`."""

import argparse

import labkit

ITEMS = [{"id": i, "name": n} for i, n in enumerate(["kettle", "teapot", "mug", "tray"], 1)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    labkit.serve(args.port, {("GET", "/items"): lambda h: (200, {"items": ITEMS})})


if __name__ == "__main__":
    main()
