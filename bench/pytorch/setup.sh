#!/usr/bin/env bash
# Virtual environment for the current peers: PyTorch 2 (MKL + oneDNN) and ONNX Runtime.
#
#   bench/pytorch/setup.sh                  # makes bench/pytorch/.venv (gitignored)
#   VENV=/path/to/venv bench/pytorch/setup.sh
#
# Idempotent: does nothing when the venv already imports torch, onnxruntime and onnx.
# PIP_OPTS (default "--retries 0 --timeout 5") are passed to pip install: where the pip configuration offers
# local wheels (find-links, a file:// index) and PyPI cannot be reached, retrying PyPI only costs time.
# PYTHON (default python3) is the interpreter the venv is made from.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VENV=${VENV:-$HERE/.venv}
PYTHON=${PYTHON:-python3}
PIP_OPTS=${PIP_OPTS:---retries 0 --timeout 5}
PACKAGES=(torch onnxruntime onnx)

check() {
  "$VENV/bin/python" - <<'PY' 2>/dev/null
import torch, onnxruntime, onnx
print(f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, onnx {onnx.__version__}")
PY
}

if [ -x "$VENV/bin/python" ] && check; then
  echo "$VENV is ready"
  exit 0
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "making $VENV with $PYTHON -m venv" >&2
  "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC2086  # PIP_OPTS is a list of options
"$VENV/bin/python" -m pip install $PIP_OPTS "${PACKAGES[@]}"
check || { echo "$VENV does not import torch, onnxruntime and onnx after pip install" >&2; exit 1; }
echo "$VENV is ready"
