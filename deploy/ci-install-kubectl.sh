#!/usr/bin/env bash
# Makes `kubectl kustomize` available to the deploy/ tests (app/src/test/java/io/charstream/app/deploy),
# which render every overlay with it and fail, never skip, without it. .ci/run calls this before Maven.
#
# Source: Debian's own package `kubernetes-client` only (kubectl 1.20 with kustomize v2.0.3 built in;
# no other registry, no downloaded binary). deploy/k8s is written for every kustomize since v2.0.3
# (bases:, patchesStrategicMerge:, patchesJson6902:) precisely so that this package renders it; a
# newer kubectl already on the machine (kustomize v5) is kept and renders the same objects.
set -euo pipefail

if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "kubectl is missing: run 'sudo apt-get install kubernetes-client' (Debian), or set KUBECTL to a kubectl binary" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client
kubectl version --client >&2
