#!/usr/bin/env bash
# Alternating benchmark runs on this machine: charstream's fused LSTM (FusedBench), DL4J's stock LSTM and
# the PyTorch reference (charrnn_bench.py), ROUNDS rounds, one JSON line per run, then the medians.
# The machine is shared, so compare within one invocation, as ratios.
#
#   bench/pytorch/compare.sh            # from the repository root; ROUNDS=5 TEXT=... STOCK=1 to override
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
if [ -z "${TEXT:-}" ]; then
  for candidate in data/tinyshakespeare.txt ../shared/data/tinyshakespeare.txt ../../shared/data/tinyshakespeare.txt; do
    if [ -f "$candidate" ]; then TEXT=$candidate; break; fi
  done
fi
if [ ! -f "${TEXT:-}" ]; then
  echo "no corpus: set TEXT=path/to/tinyshakespeare.txt (see data/README)" >&2; exit 2
fi
STOCK=${STOCK:-1}          # also run DL4J's stock LSTM (slow: a few minutes a run when the machine is busy)
BATCHES=${BATCHES:-40}
OUT=${OUT:-target/compare-$(date +%Y%m%d-%H%M%S).jsonl}
mkdir -p "$(dirname "$OUT")"

mvn -B -q -pl model -am compile
mvn -B -q -pl model dependency:build-classpath -Dmdep.outputFile="$PWD/model/target/bench.cp" >/dev/null
CP="model/target/classes:$(cat model/target/bench.cp)"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 ND4J_SKIP_BLAS_THREADS=1 OPENBLAS_CORETYPE=SkylakeX
JAVA=(java -Xmx1g -XX:+UseSerialGC -Dorg.bytedeco.javacpp.platform.extension=-avx512 -cp "$CP"
      io.charstream.model.fused.FusedBench)

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
  run fused-train "${JAVA[@]}" --mode train --impl fused --batches "$BATCHES"
  OMP_NUM_THREADS=2 run pytorch /usr/bin/python3 bench/pytorch/charrnn_bench.py --text-path "$TEXT" \
      --batches "$BATCHES"
  # One OpenMP thread: PyTorch's per-core efficiency without barrier spinning (context for the ratios).
  OMP_NUM_THREADS=1 run pytorch-1thread /usr/bin/python3 bench/pytorch/charrnn_bench.py --text-path "$TEXT" \
      --batches "$BATCHES" --skip-generate
  run fused-generate "${JAVA[@]}" --mode generate --impl fused
  if [ "$STOCK" = 1 ]; then
    run stock-train "${JAVA[@]}" --mode train --impl stock --batches "$BATCHES"
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
        print(f"{a} / {b} {k}: {med[a][k] / med[b][k]:.2f}")
for k in keys[:4]:
    ratio("fused-train", "pytorch", k); ratio("fused-generate", "pytorch", k)
    ratio("fused-train", "pytorch-1thread", k)
    ratio("fused-train", "stock-train", k)
print("loads:", [r["load1"] for r in runs])
PY
