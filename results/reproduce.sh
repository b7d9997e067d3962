#!/usr/bin/env bash
# Re-runs the first epochs of every charstream result in this folder and checks that the losses match
# the committed curve (charstream bench table --reproduce). Needs the corpora: data/fetch.sh, or
# --data DIR for a folder that has them. Exit status 1 if any result does not reproduce.
#
#   results/reproduce.sh [--data DIR] [--epochs N] [FILE...]
set -euo pipefail
cd "$(dirname "$0")/.."

data=data
epochs=2
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) files+=("$1"); shift ;;
  esac
done
if [ ${#files[@]} -eq 0 ]; then
  files=(results/*.json)
fi

status=0
for f in "${files[@]}"; do
  system=$(jq -r .system "$f")
  if [ "$system" != charstream ]; then
    echo "skip $f: measured with $system (rerun it with bench/pytorch/charrnn_table.py)"
    continue
  fi
  text="$data/$(jq -r .corpus.file "$f")"
  if [ ! -f "$text" ]; then
    echo "missing $text: run data/fetch.sh $(jq -r .corpus.name "$f") (or pass --data DIR)" >&2
    exit 2
  fi
  echo "== $f: first $epochs epochs on $text"
  log=$(mktemp)
  if ./charstream bench table --reproduce "$f" --text-path "$text" --num-epochs "$epochs" > "$log.json" 2> "$log"; then
    echo "reproduced: $(jq -c '[.epochs[] | {epoch, train_loss_committed, train_loss_measured, val_loss_committed, val_loss_measured}]' "$log.json")"
  else
    tail -5 "$log" >&2
    echo "NOT reproduced: $(jq -c .epochs "$log.json" 2>/dev/null)" >&2
    status=1
  fi
  rm -f "$log" "$log.json"
done
exit $status
