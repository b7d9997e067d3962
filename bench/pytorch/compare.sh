#!/usr/bin/env bash
# Alternating side-by-side runs on this machine: `charstream bench train` and `charstream bench generate`
# (the product's own commands, fused layers) against the PyTorch reference loop (charrnn_bench.py, two
# OpenMP threads), and optionally DL4J's stock layers (`CHARSTREAM_LAYERS=stock charstream bench train`);
# ROUNDS rounds, one JSON line per run, then the medians and the ratios as JSON lines.
# Both sides run with OPENBLAS_CORETYPE=SkylakeX on an AVX-512 CPU (Haswell otherwise).
#
#   bench/pytorch/compare.sh        # from the repository root; ROUNDS=5 TEXT=... STOCK=0 BATCHES=40 override
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
if [ -z "${TEXT:-}" ]; then
  for candidate in data/tinyshakespeare.txt ../shared/data/tinyshakespeare.txt; do
    if [ -f "$candidate" ]; then TEXT=$candidate; break; fi
  done
fi
if [ ! -f "${TEXT:-}" ]; then
  echo "no corpus: set TEXT=path/to/tinyshakespeare.txt (see data/README.md)" >&2; exit 2
fi
STOCK=${STOCK:-0}          # also DL4J's stock layers (slow: minutes per run on a busy machine)
BATCHES=${BATCHES:-40}
OUT=${OUT:-target/compare-$(date +%Y%m%d-%H%M%S).jsonl}
mkdir -p "$(dirname "$OUT")"
[ -f app/target/charstream.jar ] || mvn -B -q package -DskipTests
if grep -qw avx512f /proc/cpuinfo; then CORE=SkylakeX; else CORE=Haswell; fi
export OPENBLAS_CORETYPE=$CORE
CHARSTREAM=(java -jar app/target/charstream.jar)

run() { # tag command...
  local tag=$1; shift
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  local line; line=$("$@" 2>"$OUT.stderr" | grep '^{' | tail -1 || true)
  if [ -z "$line" ]; then
    echo "run $tag failed; its stderr is in $OUT.stderr" >&2; return 0
  fi
  echo "{\"run\": \"$tag\", \"load1\": $load, \"result\": $line}" | tee -a "$OUT"
}

for round in $(seq 1 "$ROUNDS"); do
  run charstream-train "${CHARSTREAM[@]}" bench train --text-path "$TEXT" --batches "$BATCHES"
  OMP_NUM_THREADS=2 run pytorch /usr/bin/python3 bench/pytorch/charrnn_bench.py --text-path "$TEXT" \
      --batches "$BATCHES"
  run charstream-generate "${CHARSTREAM[@]}" bench generate --text-path "$TEXT"
  if [ "$STOCK" = 1 ]; then
    CHARSTREAM_LAYERS=stock run stock-train "${CHARSTREAM[@]}" bench train --text-path "$TEXT" --batches "$BATCHES"
  fi
done

python3 - "$OUT" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
keys = ["train_chars_per_s", "train_chars_per_cpu_s", "generate_chars_per_s_batch1",
        "generate_chars_per_s_batch64", "peak_rss_mb"]
med = {}
for tag in sorted({r["run"] for r in runs}):
    rs = [r["result"] for r in runs if r["run"] == tag]
    med[tag] = {k: statistics.median(r[k] for r in rs) for k in keys if all(k in r for r in rs)}
    print(json.dumps({"median_of": len(rs), "run": tag, **med[tag]}))
def ratio(a, b, k):
    if k in med.get(a, {}) and k in med.get(b, {}) and med[b][k]:
        print(json.dumps({"ratio": f"{a} / {b}", "key": k, "value": round(med[a][k] / med[b][k], 2)}))
for k in keys[:2]:
    ratio("charstream-train", "pytorch", k)
    ratio("charstream-train", "stock-train", k)
for k in keys[2:4]:
    ratio("charstream-generate", "pytorch", k)
print(json.dumps({"load1": [r["load1"] for r in runs]}))
PY
