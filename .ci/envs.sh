#!/usr/bin/env bash
# Installs what the services not written in Rust need, from their committed
# lock files, and only when something changed (quick when nothing did):
#   - python3 with venv, and node with npm (apt-get, only when missing);
#   - a venv for services/recommendations at $CHAOSLAB_ENVS/recommendations
#     (default target/envs), from requirements.txt with --require-hashes;
#   - services/shipping/node_modules, with npm ci from package-lock.json.
# tests/polyglot/ finds them there.
set -euo pipefail
cd "$(dirname "$0")/.."

envs="${CHAOSLAB_ENVS:-target/envs}"
updated=0
apt_install() {
    if [ "$updated" = 0 ]; then
        apt-get update -qq
        updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    echo "envs: installing python3 and python3-venv"
    apt_install python3 python3-venv
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "envs: installing nodejs and npm"
    apt_install nodejs npm
fi

sum() { sha256sum "$1" | cut -d' ' -f1; }

venv="$envs/recommendations"
want="$(sum services/recommendations/requirements.txt)"
if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ] || ! "$venv/bin/python" -c '' 2>/dev/null; then
    echo "envs: recommendations venv at $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check --no-deps --require-hashes --only-binary=:all: \
        -r services/recommendations/requirements.txt
    echo "$want" >"$venv/.requirements.sha256"
fi

modules="services/shipping/node_modules"
want="$(sum services/shipping/package-lock.json)"
if [ "$(cat "$modules/.package-lock.sha256" 2>/dev/null)" != "$want" ]; then
    echo "envs: shipping node_modules (npm ci)"
    (cd services/shipping && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    echo "$want" >"$modules/.package-lock.sha256"
fi
echo "envs: python $("$venv/bin/python" -c 'import platform; print(platform.python_version())'), node $(node --version)"
