#!/usr/bin/env bash
# Checks that `kubectl kustomize` can render deploy/k8s for the deploy/ tests
# (app/src/test/java/io/charstream/app/deploy), which render every overlay with it and fail, never
# skip, without it. .ci/run calls this before Maven.
#
# deploy/k8s uses current kustomize syntax (`resources`, `patches`, `labels`): kustomize v5, which
# kubectl >= 1.27 carries. Debian 12's `kubernetes-client` (kubectl 1.20, kustomize v2.0.3) is too old
# to render it, so this script does not install it; it says what to do instead.
set -euo pipefail
cd "$(dirname "$0")/.."
kubectl=${KUBECTL:-kubectl}

if ! command -v "$kubectl" >/dev/null 2>&1; then
  echo "kubectl is missing: the deploy tests need kubectl >= 1.27 (kustomize v5); install it from" \
    "https://kubernetes.io/docs/tasks/tools/ or set KUBECTL to a kubectl binary" >&2
  exit 1
fi
if ! err=$("$kubectl" kustomize deploy/k8s/overlays/prod 2>&1 >/dev/null); then
  echo "$kubectl cannot render deploy/k8s/overlays/prod; it needs kubectl >= 1.27 (kustomize v5):" >&2
  echo "$err" >&2
  "$kubectl" version --client >&2 || true
  exit 1
fi
"$kubectl" version --client 2>/dev/null | head -2 >&2
