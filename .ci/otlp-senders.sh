#!/usr/bin/env bash
# Installs the OTLP senders the tests drive (tests/otlp_senders.rs): the
# official OpenTelemetry Python SDK into tests/otlp/python/.venv (pinned
# with hashes) and the JS SDK into tests/otlp/node/node_modules (npm ci
# from package-lock.json). Idempotent: a lock file unchanged since the last
# install is not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v python3 >/dev/null || need_apt+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi

py=tests/otlp/python
stamp="$py/.venv/.installed"
if [ ! -f "$stamp" ] || ! cmp -s "$py/requirements.txt" "$stamp"; then
  rm -rf "$py/.venv"
  python3 -m venv "$py/.venv"
  "$py/.venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$py/requirements.txt"
  cp "$py/requirements.txt" "$stamp"
fi

node=tests/otlp/node
stamp="$node/node_modules/.installed"
if [ ! -f "$stamp" ] || ! cmp -s "$node/package-lock.json" "$stamp"; then
  (cd "$node" && npm ci --no-audit --no-fund --silent)
  cp "$node/package-lock.json" "$stamp"
fi
echo "OTLP senders ready: $("$py/.venv/bin/python" -c 'import opentelemetry.sdk.version as v; print("python sdk", v.__version__)'), node sdk $(node -p "require('./$node/node_modules/@opentelemetry/sdk-trace-base/package.json').version")"
