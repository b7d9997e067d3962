#!/usr/bin/env bash
# charstream against the current peers, PyTorch 2 and ONNX Runtime, in one go, on this machine.
#
#   bench/pytorch/compare.sh          # from anywhere; ROUNDS=3 TEXT=... BATCHES=200 LENGTH=8192 STOCK=0 override
#
# ROUNDS alternating rounds of, in this order:
#   charstream-train     java -jar app/target/charstream.jar bench train --text-path T --batches BATCHES
#   pytorch-train        charrnn_bench.py --skip-generate --batches BATCHES   (torch 2, 2 threads)
#   charstream-generate  java -jar app/target/charstream.jar bench generate --text-path T --length LENGTH
#   onnxruntime          onnx_generate.py                                     (one exported step, 2 threads)
#   pytorch-generate     charrnn_bench.py --skip-train                        (for the record)
#   stock-train          CHARSTREAM_LAYERS=stock ... bench train               (only with STOCK=1; slow)
# Each run appends one JSON line {"run", "round", "load1", "result"} to OUT (target/compare-*.jsonl); at the
# end the medians per run kind, one JSON line each, then one JSON object with the ratios and targets:
#   train_vs_pytorch                 charstream train chars/s / PyTorch's            target >= 1.3
#   generate_batch64_vs_onnxruntime  charstream batch-64 chars/s / ONNX Runtime's    target >= 1.3
#   generate_batch1_vs_onnxruntime   charstream batch-1 chars/s / ONNX Runtime's     target >= 3.0
#   train_peak_rss_mb                charstream bench train's peak RSS               target <= 400
# The venv comes from bench/pytorch/setup.sh (run here when the venv does not import the peers yet).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
BATCHES=${BATCHES:-200}    # timed training batches on both sides (short runs understate the JVM)
LENGTH=${LENGTH:-8192}     # charstream bench generate --length (the peers: 4,096 at batch 1, 2,048 at batch 64)
STOCK=${STOCK:-0}          # also DL4J's stock layers (slow: minutes per run)
VENV=${VENV:-bench/pytorch/.venv}
if [ -z "${TEXT:-}" ]; then
  for candidate in data/tinyshakespeare.txt ../shared/data/tinyshakespeare.txt; do
    if [ -f "$candidate" ]; then TEXT=$candidate; break; fi
  done
fi
if [ ! -f "${TEXT:-}" ]; then
  echo "no corpus: set TEXT=path/to/tinyshakespeare.txt (see data/README.md)" >&2; exit 2
fi
OUT=${OUT:-target/compare-$(date +%Y%m%d-%H%M%S).jsonl}
mkdir -p "$(dirname "$OUT")"
: > "$OUT.stderr"
VENV=$VENV bench/pytorch/setup.sh >&2
PY=$VENV/bin/python
[ -f app/target/charstream.jar ] || mvn -B -q package -DskipTests
# charstream's native BLAS (OpenBLAS) mis-detects some AVX-512 CPUs; the peers use MKL / MLAS and ignore this.
if grep -qw avx512f /proc/cpuinfo; then CORE=SkylakeX; else CORE=Haswell; fi
export OPENBLAS_CORETYPE=$CORE
CHARSTREAM=(java -jar app/target/charstream.jar)
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); writing $OUT" >&2

run() { # tag round command...
  local tag=$1 round=$2; shift 2
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  echo "== $tag round $round" >> "$OUT.stderr"
  local line; line=$("$@" 2>>"$OUT.stderr" | grep '^{' | tail -1 || true)
  if [ -z "$line" ]; then
    echo "run $tag failed; its stderr is in $OUT.stderr" >&2; return 0
  fi
  echo "{\"run\": \"$tag\", \"round\": $round, \"load1\": $load, \"result\": $line}" | tee -a "$OUT"
}

for round in $(seq 1 "$ROUNDS"); do
  run charstream-train "$round" "${CHARSTREAM[@]}" bench train --text-path "$TEXT" --batches "$BATCHES"
  OMP_NUM_THREADS=2 run pytorch-train "$round" "$PY" bench/pytorch/charrnn_bench.py --text-path "$TEXT" \
      --skip-generate --batches "$BATCHES" --threads 2
  run charstream-generate "$round" "${CHARSTREAM[@]}" bench generate --text-path "$TEXT" --length "$LENGTH"
  OMP_NUM_THREADS=2 run onnxruntime "$round" "$PY" bench/pytorch/onnx_generate.py --threads 2
  OMP_NUM_THREADS=2 run pytorch-generate "$round" "$PY" bench/pytorch/charrnn_bench.py --text-path "$TEXT" \
      --skip-train --threads 2
  if [ "$STOCK" = 1 ]; then
    CHARSTREAM_LAYERS=stock run stock-train "$round" "${CHARSTREAM[@]}" bench train --text-path "$TEXT" \
        --batches "$BATCHES"
  fi
done

COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo true || echo false)
"$PY" - "$OUT" "$COMMIT" "$DIRTY" "$(cat /proc/loadavg)" <<'PY'
import json, statistics, sys
out, commit, dirty, loadavg_end = sys.argv[1], sys.argv[2], sys.argv[3] == "true", sys.argv[4]
runs = [json.loads(line) for line in open(out)]
keys = ["train_chars_per_s", "train_chars_per_cpu_s", "generate_chars_per_s_batch1",
        "generate_chars_per_s_batch64", "peak_rss_mb"]
med = {}
for tag in dict.fromkeys(r["run"] for r in runs):
    rs = [r["result"] for r in runs if r["run"] == tag]
    med[tag] = {k: statistics.median(r[k] for r in rs) for k in keys if all(k in r for r in rs)}
    print(json.dumps({"median_of": len(rs), "run": tag, **med[tag]}))

def get(tag, key):
    return med.get(tag, {}).get(key)

def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None

def target(value, goal, at_least=True):
    ok = None if value is None else (value >= goal if at_least else value <= goal)
    return {"value": value, "target": (">= " if at_least else "<= ") + str(goal), "pass": ok}

def fact(tag, key):
    values = {r["result"].get(key) for r in runs if r["run"] == tag} - {None}
    return values.pop() if len(values) == 1 else sorted(values) or None

summary = {
    "train_vs_pytorch": target(ratio(get("charstream-train", "train_chars_per_s"),
                                     get("pytorch-train", "train_chars_per_s")), 1.3),
    "generate_batch64_vs_onnxruntime": target(ratio(get("charstream-generate", "generate_chars_per_s_batch64"),
                                                    get("onnxruntime", "generate_chars_per_s_batch64")), 1.3),
    "generate_batch1_vs_onnxruntime": target(ratio(get("charstream-generate", "generate_chars_per_s_batch1"),
                                                   get("onnxruntime", "generate_chars_per_s_batch1")), 3.0),
    "train_peak_rss_mb": target(get("charstream-train", "peak_rss_mb"), 400, at_least=False),
}
summary["all_pass"] = all(v["pass"] for v in summary.values())
# On 2 cores the peers' thread pools collapse under other load far more than the JVM does: ratios measured
# at a load average of 1 or more overstate charstream; they are not results.
max_load = max((r["load1"] for r in runs), default=0.0)
summary["quiet_machine"] = max_load < 1.0
if not summary["quiet_machine"]:
    print(f"WARNING: load average reached {max_load} during the runs: the ratios are not a quiet measurement",
          file=sys.stderr)
summary["also"] = {
    "train_cpu_vs_pytorch": ratio(get("charstream-train", "train_chars_per_cpu_s"),
                                  get("pytorch-train", "train_chars_per_cpu_s")),
    "generate_batch64_vs_pytorch": ratio(get("charstream-generate", "generate_chars_per_s_batch64"),
                                         get("pytorch-generate", "generate_chars_per_s_batch64")),
    "generate_batch1_vs_pytorch": ratio(get("charstream-generate", "generate_chars_per_s_batch1"),
                                        get("pytorch-generate", "generate_chars_per_s_batch1")),
    "train_vs_stock": ratio(get("charstream-train", "train_chars_per_s"), get("stock-train", "train_chars_per_s")),
}
summary.update({
    "rounds": max((r["round"] for r in runs), default=0),
    "torch_version": fact("pytorch-train", "torch_version"),
    "mkl_version": fact("pytorch-train", "mkl_version"),
    "onednn_version": fact("pytorch-train", "onednn_version"),
    "onnxruntime_version": fact("onnxruntime", "onnxruntime_version"),
    "git_commit": commit,
    "git_dirty": dirty,
    "load1_per_run": {tag: [r["load1"] for r in runs if r["run"] == tag] for tag in med},
    "loadavg_end": loadavg_end,
    "jsonl": out,
})
print(json.dumps(summary))
PY
