#!/usr/bin/env bash
# Checks the Kubernetes base offline (no cluster runs here):
#
#   1. kubectl (Debian's kubernetes-client when missing) renders the base:
#      `kubectl kustomize deploy/kubernetes`;
#   2. every rendered object validates, strictly (no unknown fields),
#      against the Kubernetes JSON schemas of the oldest and the newest
#      minor the manifests are for (the k8s-openapi feature in Cargo.toml is
#      the oldest), with kubernetes-validate from PyPI in a venv, pinned with
#      hashes (.ci/kubernetes-validate.txt);
#   3. a broken Deployment is refused, so a validator that passes everything
#      cannot pass this step.
# That the base is what labs/shop.toml generates, and that it is wired as
# the lab file says, is tested by `cargo test --test kubernetes`.
#
# Usage: .ci/kubernetes.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VERSIONS=(1.33.0 1.37.0)
VENV=${CHAOSLAB_KUBE_VENV:-$ROOT/target/kubernetes-validate-venv}
REQS=.ci/kubernetes-validate.txt

if ! command -v kubectl >/dev/null; then
    echo "== installing kubectl (Debian's kubernetes-client)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
fi
# The venv is made again only when the pins change.
STAMP="$VENV/.requirements"
if ! cmp -s "$REQS" "$STAMP" 2>/dev/null; then
    echo "== installing kubernetes-validate into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check --require-hashes -r "$REQS"
    cp "$REQS" "$STAMP"
fi

TMP=$(mktemp -d -t chaoslab-kubernetes.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

echo "== kubectl kustomize deploy/kubernetes"
kubectl kustomize deploy/kubernetes >"$TMP/rendered.yaml"
OBJECTS=$(grep -c '^kind: ' "$TMP/rendered.yaml")
FILES=$(grep -c '^- ' deploy/kubernetes/kustomization.yaml)
if [[ $OBJECTS -ne $FILES ]]; then
    echo "rendered $OBJECTS objects, but the kustomization lists $FILES files" >&2
    exit 1
fi

for v in "${VERSIONS[@]}"; do
    echo "== kubernetes-validate --strict -k $v ($OBJECTS objects)"
    "$VENV/bin/kubernetes-validate" --strict --quiet -k "$v" "$TMP/rendered.yaml"
done

cat >"$TMP/broken.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: { name: broken }
spec:
  replicas: two
  selector: { matchLabels: { app: broken } }
  template:
    metadata: { labels: { app: broken } }
    spec: { containers: [{ name: broken, image: x, comand: [x] }] }
YAML
if "$VENV/bin/kubernetes-validate" --strict --quiet -k "${VERSIONS[0]}" "$TMP/broken.yaml" >/dev/null 2>&1; then
    echo "kubernetes-validate passed a broken Deployment: the check above proves nothing" >&2
    exit 1
fi
echo "== Kubernetes manifests: rendered, and valid for ${VERSIONS[*]}"
