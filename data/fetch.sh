#!/usr/bin/env bash
# Fetch the reference corpora into data/ and verify them against data/SHA256SUMS.
#
#   data/fetch.sh                      # all three corpora from their public sources
#   data/fetch.sh tinyshakespeare      # just one
#   data/fetch.sh --from DIR [NAME..]  # copy from a local folder instead (offline machines)
#
# Exits non-zero, saying what to do, when a download fails or a checksum does not match.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

declare -A url=(
  [tinyshakespeare]="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
  [nietzsche]="https://s3.amazonaws.com/text-datasets/nietzsche.txt"
  [warpeace]="https://cs.stanford.edu/people/karpathy/char-rnn/warpeace_input.txt"
)

from=""
if [ "${1:-}" = "--from" ]; then
  from="${2:?--from needs a folder}"; shift 2
fi
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(tinyshakespeare nietzsche warpeace)

status=0
for name in "${names[@]}"; do
  [ -n "${url[$name]:-}" ] || { echo "unknown corpus '$name' (known: ${!url[*]})" >&2; exit 2; }
  dest="$here/$name.txt"
  expected="$(awk -v f="$name.txt" '$2 == f {print $1}' "$here/SHA256SUMS")"
  if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$expected" ]; then
    echo "$name: already present and verified ($dest)"; continue
  fi
  tmp="$(mktemp "$dest.XXXXXX")"
  if [ -n "$from" ]; then
    cp "$from/$name.txt" "$tmp"
  elif ! curl -fsSL --retry 2 --connect-timeout 15 -o "$tmp" "${url[$name]}"; then
    rm -f "$tmp"
    echo "$name: could not download ${url[$name]}." >&2
    echo "  Offline? Copy the file by other means and run: data/fetch.sh --from DIR $name" >&2
    status=1; continue
  fi
  actual="$(sha256sum "$tmp" | cut -d' ' -f1)"
  if [ "$actual" != "$expected" ]; then
    rm -f "$tmp"
    echo "$name: checksum mismatch (got $actual, expected $expected); the source changed or the copy is truncated." >&2
    status=1; continue
  fi
  mv "$tmp" "$dest"
  echo "$name: $(wc -c < "$dest") bytes -> $dest"
done
exit $status
