#!/usr/bin/env bash
# Proves the Grafana dashboards, Prometheus config and rules, and the compose
# file, without Docker:
#
#   1. installs Prometheus (and promtool) from Debian if missing;
#   2. static: promtool check config/rules, promtool test rules (alert unit
#      tests), chaoslab-dashcheck static (panel ids, schema, data source
#      uids, every query's metric names, compose paths and port names, and
#      every flag compose passes to `chaoslab` is in that subcommand's --help),
#      docker-compose config -q when Debian's docker-compose installs;
#   3. live: starts the lab (`chaoslab up --headless`) in a temp dir, adds
#      faults through the agent's API so the chaos and resilience panels have
#      data, starts a real Prometheus on a free loopback port with the shipped
#      local config, and runs every query of every panel against it
#      (chaoslab-dashcheck live): each must return at least one series, every
#      rule must be healthy, every recording rule must return series.
#
# Usage: .ci/dashboards.sh PATH/TO/chaoslab
# Everything it starts is stopped on exit, by process id.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 PATH/TO/chaoslab" >&2
    exit 2
fi
CHAOSLAB=$(realpath "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "== [$(elapsed)s] $*"; }

# ---- 1. tools -------------------------------------------------------------
APT_UPDATED=0
apt_install() {
    if [[ $APT_UPDATED == 0 ]]; then
        apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    say "installing prometheus"
    apt_install prometheus
fi
# Debian's package may start its own service where systemd runs: this proof
# uses its own process, so leave none of Debian's running.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl stop prometheus || true
elif [[ -x /etc/init.d/prometheus ]] && /etc/init.d/prometheus status >/dev/null 2>&1; then
    /etc/init.d/prometheus stop >/dev/null 2>&1 || true
fi
for tool in jq curl python3; do
    command -v "$tool" >/dev/null || apt_install "$tool"
done
HAVE_COMPOSE=1
if ! command -v docker-compose >/dev/null; then
    say "installing docker-compose (to validate the compose file)"
    apt_install docker-compose || HAVE_COMPOSE=0
fi

# ---- 2. static checks -----------------------------------------------------
say "promtool check rules"
promtool check rules dashboards/prometheus/rules/*.yml
say "promtool test rules (the alerts fire when they should, and only then)"
promtool test rules dashboards/prometheus/tests/*.yml
say "promtool check config (docker)"
promtool check config --syntax-only dashboards/prometheus/prometheus.yml

TMP=$(mktemp -d -t chaoslab-dashboards.XXXXXX)
LAB_PID=""
PROM_PID=""
cleanup() {
    local rc=$?
    if [[ -n $PROM_PID ]] && kill -0 "$PROM_PID" 2>/dev/null; then
        kill "$PROM_PID" 2>/dev/null || true
        wait "$PROM_PID" 2>/dev/null || true
    fi
    if [[ -n $LAB_PID ]] && kill -0 "$LAB_PID" 2>/dev/null; then
        kill -TERM "$LAB_PID" 2>/dev/null || true
        for _ in $(seq 1 150); do
            kill -0 "$LAB_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$LAB_PID" 2>/dev/null || true
        wait "$LAB_PID" 2>/dev/null || true
    fi
    if [[ $rc -ne 0 ]]; then
        for f in "$TMP"/lab.log "$TMP"/prometheus.log "$TMP"/lab/logs/*.log; do
            [[ -f $f ]] && { echo "---- last lines of ${f#"$TMP"/}"; tail -n 15 "$f"; }
        done
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT INT TERM

say "building chaoslab-dashcheck"
cargo build -q --locked -p chaoslab-dashcheck
DASHCHECK=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)/debug/chaoslab-dashcheck

say "chaoslab-dashcheck static"
"$DASHCHECK" static --dir dashboards --compose docker-compose.yml --chaoslab "$CHAOSLAB"

if [[ $HAVE_COMPOSE == 1 ]]; then
    # docker-compose 1.29 (Debian 12) predates the `name` of a port in the
    # compose spec; validate everything else on a copy without the names.
    say "docker-compose config -q"
    sed -E 's/\{ name: [a-z0-9-]+, /{ /' docker-compose.yml > "$TMP/compose.yml"
    docker-compose --project-directory "$ROOT" -f "$TMP/compose.yml" config -q
else
    say "docker-compose not installable here: compose checked by chaoslab-dashcheck only"
fi

# ---- 3. the lab -----------------------------------------------------------
# Waits for a condition (a shell command) with a deadline in seconds.
wait_for() {
    local what=$1 deadline=$2
    shift 2
    local until=$(($(date +%s) + deadline))
    until "$@" >/dev/null 2>&1; do
        if (($(date +%s) >= until)); then
            echo "timed out after ${deadline}s waiting for $what" >&2
            return 1
        fi
        sleep 0.2
    done
}
# Waits for `lab ready` on the lab's output, failing at once if it exits.
wait_for_lab() {
    local until=$(($(date +%s) + $1))
    until grep -q "lab ready" "$TMP/lab.log"; do
        if ! kill -0 "$LAB_PID" 2>/dev/null; then
            echo "the lab exited before it was ready" >&2
            return 1
        fi
        if (($(date +%s) >= until)); then
            echo "timed out after ${1}s waiting for 'lab ready'" >&2
            return 1
        fi
        sleep 0.2
    done
}

STATE="$TMP/lab"
mkdir -p "$STATE"
# A bulkhead of one on catalog -> inventory: with the latency fault below,
# calls queue up behind it and the bulkhead panels show rejections.
cat >"$TMP/lab.toml" <<'TOML'
[services.catalog.dependencies.inventory]
bulkhead = { enabled = true, max_concurrent = 1 }
TOML
UP=(up --headless --state-dir "$STATE" --config "$TMP/lab.toml")
# Free ports only, where the CLI offers it, so a lab already running here is left alone.
if "$CHAOSLAB" up --help 2>/dev/null | grep -q -- --ephemeral-ports; then UP+=(--ephemeral-ports); fi
say "starting the lab: $CHAOSLAB ${UP[*]}"
"$CHAOSLAB" "${UP[@]}" >"$TMP/lab.log" 2>&1 &
LAB_PID=$!
wait_for_lab 180
wait_for "prometheus-targets.json" 10 test -s "$STATE/prometheus-targets.json"
JOBS=$(jq -r '.[].labels.job' "$STATE/prometheus-targets.json" | sort -u)
say "lab ready; jobs: $(echo $JOBS)"

# Faults, so that the chaos and resilience panels show what they are for:
# a latency past the per-attempt timeout on half of inventory's traffic
# (timeouts, retries, fallbacks in catalog), and 503s on a share of payments
# calls (errors and retries in orders, 5xx at the gateway).
AGENT=$(jq -r '.[] | select(.labels.job == "agent") | .targets[0]' "$STATE/prometheus-targets.json")
TOKEN=${CHAOSLAB_AGENT_TOKEN:-$(jq -r '[.. | objects | .token? | strings] | first // empty' "$STATE/lab.json" 2>/dev/null || true)}
AUTH=()
[[ -n $TOKEN ]] && AUTH=(-H "Authorization: Bearer $TOKEN")
add_fault() {
    local path=$1 body=$2
    if curl -fsS "${AUTH[@]}" -H 'Content-Type: application/json' -X POST "http://$AGENT$path" -d "$body" >"$TMP/fault.out" 2>&1; then
        say "fault added: POST $path"
    else
        say "WARNING: POST $path failed: $(cat "$TMP/fault.out")"
    fi
}
add_fault /proxies/inventory/toxics \
    '{"name":"ci_latency","type":"latency","stream":"downstream","toxicity":0.5,"attributes":{"latency":1100,"jitter":0}}'
add_fault /chaos/proxies/payments/faults '{"type":"abort","status":503,"percent":30}'

# ---- 4. Prometheus --------------------------------------------------------
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cp dashboards/prometheus/prometheus.local.yml "$STATE/prometheus.local.yml"
ln -s "$ROOT/dashboards/prometheus/rules" "$STATE/rules"
say "promtool check config (local, file_sd beside the lab's state)"
promtool check config "$STATE/prometheus.local.yml"
say "starting prometheus on 127.0.0.1:$PORT"
prometheus --config.file="$STATE/prometheus.local.yml" --storage.tsdb.path="$TMP/tsdb" \
    --web.listen-address="127.0.0.1:$PORT" >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
wait_for "prometheus ready" 60 curl -fsS "http://127.0.0.1:$PORT/-/ready"

# ---- 5. every query of every panel ----------------------------------------
EXPECT=()
for j in $JOBS; do EXPECT+=(--expect-job "$j"); done
say "chaoslab-dashcheck live"
"$DASHCHECK" live --dir dashboards --prometheus "http://127.0.0.1:$PORT" --deadline-secs 120 "${EXPECT[@]}"
say "dashboards proof passed in $(elapsed)s"
