#!/usr/bin/env bash
# Installs what the services not written in Rust need, and makes their
# environments with the lab's own set-up step (`chaoslab prepare`, the
# `prepare` keys of labs/shop.toml), quick when nothing changed:
#   - python3 with venv, and node with npm (apt-get, only when missing);
#   - a venv for services/recommendations at $CHAOSLAB_ENVS/recommendations
#     (default target/envs), from requirements.txt with --require-hashes;
#   - services/shipping/node_modules, with npm ci from package-lock.json;
#   each remade only when its lock file's hash changed.
# The tests' labs (tests/support) and tests/polyglot/ find them there.
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

cargo build --locked --quiet --bin chaoslab
target/debug/chaoslab prepare --lab labs/shop.toml --envs "$envs"
echo "envs: python $("$envs/recommendations/bin/python" -c 'import platform; print(platform.python_version())'), node $(node --version)"
