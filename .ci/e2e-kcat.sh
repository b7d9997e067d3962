#!/usr/bin/env bash
# End to end through clients nobody here wrote: `charstream up` runs in the background, and kcat
# (librdkafka) talks to it, with plain JSON built by jq. It publishes a corpus, submits a
# training request, follows the job on training-status, sends a prompt and a bad prompt, and checks
# both answers; asks for three samples with log-probabilities, cancels a long request with a
# tombstone and lets a 1 ms deadline pass; curl then asks the same model through `up`'s HTTP API (POST /v1/completions, whole
# and streamed) and must get the text kcat got; then it restarts `charstream up` on the same data
# directory and checks that the trained model still answers (corpora, checkpoints and models
# persist). Answers are counted after a quiet period (exactly one final per request), and
# `charstream up` must stop cleanly on SIGTERM.
#
#   .ci/e2e-kcat.sh            # builds app/target/charstream.jar first if it is missing
#
# Exits non-zero, saying what failed, with the tail of charstream's log.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v kcat >/dev/null || need+=(kcat)
command -v jq >/dev/null || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

work="$(mktemp -d)"
pid=""
log="$work/up.log"
# On the way out (any exit): stop `charstream up` if it still runs; its status no longer matters.
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "e2e-kcat: FAILED: $*" >&2
  echo "---- last lines of charstream up's log ($log):" >&2
  tail -n 40 "$log" >&2 || true
  exit 1
}
deadline() { echo $(( $(date +%s) + $1 )); }

# Stops `charstream up` with SIGTERM and checks how it ended: it must still have been running, and
# end as a JVM does after its shutdown hooks ran on SIGTERM (143), having said it was stopping.
stop_up() {
  local status=0
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" || status=$?
    pid=""
    fail "charstream up had exited by itself (status $status)"
  fi
  kill -TERM "$pid"
  wait "$pid" || status=$?
  pid=""
  [ "$status" -eq 143 ] || [ "$status" -eq 0 ] || fail "charstream up exited with status $status after SIGTERM (expected 143)"
  grep -q 'charstream up: stopping' "$log" || fail "charstream up did not say it was stopping"
  echo "e2e-kcat: charstream up stopped (exit status $status)"
}

# `charstream up` on the given port (0 = any), data in $work/data; waits until it prints its address.
start_up() {
  : > "$log"
  # length.max raised from 10,000 so that a 1,000,000-character request (seconds, even for the tiny model) can be cancelled in 4c.
  CHARSTREAM_CORPUS_WAIT_MS=60000 CHARSTREAM_LENGTH_MAX=1000000 ./charstream up --port "$1" --data-dir "$work/data" --http-port 0 --trainer-http-port -1 >>"$log" 2>&1 &
  pid=$!
  local until; until=$(deadline 300)
  while ! grep -q '^charstream up: Kafka broker on ' "$log"; do
    kill -0 "$pid" 2>/dev/null || fail "charstream up exited before it was ready"
    [ "$(date +%s)" -lt "$until" ] || fail "charstream up was not ready within 300 s"
    sleep 1
  done
  bs="$(sed -n 's/^charstream up: Kafka broker on \([0-9.:]*\) .*/\1/p' "$log" | head -n 1)"
  console="$(sed -n 's|^Open the console: \(http://[0-9.:]*/\) .*|\1|p' "$log" | head -n 1)"
  [ -n "$console" ] || fail "charstream up printed no console address"
  echo "e2e-kcat: charstream up is running, broker $bs, console $console"
}

# kcat with the Java client's partitioner (murmur2), so keys land where charstream's own clients put them.
produce() { kcat -b "$bs" -P -X partitioner=murmur2_random -t "$1" -k "$2"; }
# Everything on a topic now, as "key<TAB>value" lines; read_committed as the generator writes in transactions.
dump() { kcat -b "$bs" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed -f '%k\t%s\n'; }

# Exactly one final response per request, counted after the end: waits until generate-responses has
# been quiet for $1 s (no committed record added), reads every partition to its end and checks that
# each requestId named has exactly one final record and that no requestId has more than one.
assert_one_final_each() {
  local quiet="$1" until before after counts id n; shift
  until=$(deadline 120)
  after="$(dump charstream.generate-responses | wc -l)"
  while true; do
    sleep "$quiet"
    before="$after"
    after="$(dump charstream.generate-responses | wc -l)"
    [ "$before" = "$after" ] && break
    [ "$(date +%s)" -lt "$until" ] || fail "generate-responses did not go quiet within 120 s"
  done
  # Values are JSON (no raw tab or newline in them): key, tab, value per line.
  counts="$(dump charstream.generate-responses \
    | jq -R -r 'split("\t") | select((.[1:] | join("\t") | fromjson? | .type) == "final") | .[0]' \
    | sort | uniq -c)"
  for id in "$@"; do
    n="$(awk -v k="$id" '$2 == k { print $1 }' <<<"$counts")"
    [ "${n:-0}" -eq 1 ] || fail "$id has ${n:-0} final responses on generate-responses, expected exactly 1"
  done
  n="$(awk '$1 > 1' <<<"$counts")"
  [ -z "$n" ] || fail "requests answered more than once: $n"
  echo "e2e-kcat: exactly one final response each for $* ($after committed response records, quiet for $quiet s)"
}

# Waits until a record with key $2 on topic $1 matches the jq filter $3; prints its value.
await_record() {
  local topic="$1" key="$2" filter="$3" what="$4" until value
  until=$(deadline "${5:-240}")
  while true; do
    value="$(dump "$topic" | awk -F'\t' -v k="$key" '$1 == k { sub(/^[^\t]*\t/, ""); print }' \
      | jq -c "select($filter)" 2>/dev/null | tail -n 1)"
    [ -n "$value" ] && { echo "$value"; return 0; }
    [ "$(date +%s)" -lt "$until" ] || fail "no $what on $topic within ${5:-240} s"
    kill -0 "$pid" 2>/dev/null || fail "charstream up died while waiting for $what"
    sleep 1
  done
}

./charstream --version >/dev/null  # builds the jar on a fresh clone
start_up 0
port="${bs##*:}"

# 1. A corpus as one chunk, with the SHA-256 of its UTF-8 text (the trainer refuses a corpus that does not match).
for i in $(seq 30); do printf 'First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n'; done > "$work/corpus.txt"
sha="$(sha256sum "$work/corpus.txt" | cut -d' ' -f1)"
jq -cn --rawfile text "$work/corpus.txt" --arg sha "$sha" \
  '{schemaVersion: 1, corpusId: "kcat-corpus", uploadId: "kcat-upload-1", index: 0, count: 1, sha256: $sha, text: $text}' \
  | produce charstream.corpus kcat-corpus
echo "e2e-kcat: corpus kcat-corpus published ($(wc -c < "$work/corpus.txt") bytes, sha256 ${sha:0:12}...)"

# 2. A training request: a tiny model, one epoch (seconds).
echo '{"schemaVersion":1,"jobId":"kcat-job-1","modelId":"kcat-model","corpusId":"kcat-corpus","seqLen":16,"embeddingSize":8,"rnnSize":16,"numLayers":1,"batchSize":4,"numEpochs":1,"learningRate":0.01,"seed":7}' \
  | produce charstream.training-requests kcat-model
echo "e2e-kcat: training request kcat-job-1 submitted"

# 3. Follow the job on training-status until it completes (a rejection or failure ends the test).
ended="$(await_record charstream.training-status kcat-job-1 \
  '.type == "completed" or .type == "failed" or .type == "rejected" or .type == "cancelled"' "end of job kcat-job-1")"
[ "$(jq -r .type <<<"$ended")" = completed ] || fail "job kcat-job-1 did not complete: $ended"
version="$(jq -r .version <<<"$ended")"
echo "e2e-kcat: job kcat-job-1 completed: model kcat-model v$version, loss $(jq -r .trainLoss <<<"$ended")"
checkpoint="$(await_record charstream.checkpoints kcat-model ".version == $version" "checkpoint v$version" 60)"
[ "$(jq -r .jobId <<<"$checkpoint")" = kcat-job-1 ] || fail "checkpoint v$version is not kcat-job-1's: $checkpoint"

# 4. A prompt, and a bad one (empty prompt): each gets exactly one final response.
ask() {  # requestId, prompt, random seed
  jq -cn --arg id "$1" --arg prompt "$2" --argjson seed "$3" --argjson v "$version" \
    '{schemaVersion: 1, requestId: $id, prompt: $prompt, length: 50, topN: 3, randomSeed: $seed, modelId: "kcat-model", modelVersion: $v}' \
    | produce charstream.generate-requests "$1"
}
ask kcat-req-1 "First" 3
ask kcat-bad-1 "" 4
answer="$(await_record charstream.generate-responses kcat-req-1 '.type == "final"' "answer to kcat-req-1" 120)"
jq -e '.finishReason == "length" and (.text | length) == 50 and .modelId == "kcat-model"' <<<"$answer" >/dev/null \
  || fail "unexpected answer to kcat-req-1: $answer"
echo "e2e-kcat: kcat-req-1 answered by kcat-model v$(jq -r .modelVersion <<<"$answer"):"
printf '  %s\n' "First$(jq -r .text <<<"$answer")"
bad="$(await_record charstream.generate-responses kcat-bad-1 '.type == "final"' "answer to kcat-bad-1" 60)"
jq -e '.finishReason == "error" and .error.kind == "empty-prompt"' <<<"$bad" >/dev/null \
  || fail "the empty prompt did not get an empty-prompt error: $bad"
echo "e2e-kcat: kcat-bad-1 got its error: $(jq -r .error.message <<<"$bad")"

# 4b. The same model through the HTTP API, with curl: the same prompt, options and seed as
# kcat-req-1 (top-n 3 and temperature 1 are both sides' defaults) give the same text, whole or
# streamed as Server-Sent Events ending in [DONE]; a broken body gets an OpenAI-style error.
# The page is read whole before it is searched: `curl | grep -q` under pipefail fails when grep
# stops reading at the match while curl still writes (curl: (23) Failed writing body).
page="$(curl -sS --fail "$console")" || fail "GET $console failed"
grep -q '<title>charstream console</title>' <<<"$page" || fail "GET $console is not the console page"
body="{\"model\":\"kcat-model@$version\",\"prompt\":\"First\",\"max_tokens\":50,\"seed\":3"
whole="$(curl -sS --fail-with-body "${console}v1/completions" -d "$body}")" || fail "POST /v1/completions: $whole"
jq -e --arg m "kcat-model@$version" --argjson kcat "$answer" \
  '.object == "text_completion" and .model == $m and .choices[0].finish_reason == "length"
   and .choices[0].text == $kcat.text and .usage.completion_tokens == 50' <<<"$whole" >/dev/null \
  || fail "curl's completion differs from kcat's answer ($(jq -c .text <<<"$answer")): $whole"
streamed="$(curl -sS -N --fail-with-body "${console}v1/completions" -d "$body,\"stream\":true}")" \
  || fail "streamed POST /v1/completions: $streamed"
[ "$(grep '^data: ' <<<"$streamed" | tail -n 1)" = "data: [DONE]" ] || fail "the stream did not end in [DONE]: $streamed"
grep '^data: {' <<<"$streamed" | sed 's/^data: //' \
  | jq -e -s --argjson whole "$whole" 'map(.choices[0].text) | join("") == $whole.choices[0].text' >/dev/null \
  || fail "the streamed chunks do not join to the same text: $streamed"
status="$(curl -sS -o "$work/err.json" -w '%{http_code}' "${console}v1/completions" -d '{"prompt":')"
[ "$status" = 400 ] && jq -e '.error.code == "malformed-json"' "$work/err.json" >/dev/null \
  || fail "a broken body got $status: $(cat "$work/err.json")"
echo "e2e-kcat: curl got kcat-req-1's text from ${console}v1/completions, whole and in $(grep -c '^data: {' <<<"$streamed") SSE events"

# 4c. The serving contract with kcat alone (issue 16): three samples with per-character
# log-probabilities; a tombstone (the key, a null value: -Z) cancels a 1,000,000-character request
# well before its end; a 1 ms deadline has passed before the worker reads the request.
jq -cn --argjson v "$version" \
  '{schemaVersion: 1, requestId: "kcat-n-1", prompt: "First", length: 20, randomSeed: 11, n: 3, logprobs: 2, modelId: "kcat-model", modelVersion: $v}' \
  | produce charstream.generate-requests kcat-n-1
samples="$(await_record charstream.generate-responses kcat-n-1 '.type == "final"' "answer to kcat-n-1" 120)"
jq -e '(.choices | length) == 3 and ([.choices[].index] == [0, 1, 2]) and .text == .choices[0].text
       and (.logprobs | length) == 20 and all(.logprobs[]; (.top | length) == 2 and .logprob <= 0)' \
  <<<"$samples" >/dev/null || fail "n 3 / logprobs 2 gave: $samples"
echo "e2e-kcat: kcat-n-1 got 3 samples ($(jq -c '[.choices[].text]' <<<"$samples")) with log-probabilities"
jq -cn --argjson v "$version" \
  '{schemaVersion: 1, requestId: "kcat-long-1", prompt: "First", length: 1000000, randomSeed: 12, modelId: "kcat-model", modelVersion: $v}' \
  | produce charstream.generate-requests kcat-long-1
printf 'kcat-long-1:\n' | kcat -b "$bs" -P -X partitioner=murmur2_random -t charstream.generate-requests -K: -Z
cancelled="$(await_record charstream.generate-responses kcat-long-1 '.type == "final"' "answer to kcat-long-1" 120)"
jq -e '.finishReason == "cancelled" and (.text | length) < 1000000' <<<"$cancelled" >/dev/null \
  || fail "the tombstone did not cancel kcat-long-1: $(jq -c '{finishReason, chars: (.text | length), error}' <<<"$cancelled")"
echo "e2e-kcat: kcat-long-1 cancelled by a tombstone after $(jq '.text | length' <<<"$cancelled") of 1000000 characters"
jq -cn --argjson v "$version" \
  '{schemaVersion: 1, requestId: "kcat-late-1", prompt: "First", length: 5000, timeoutMs: 1, modelId: "kcat-model", modelVersion: $v}' \
  | produce charstream.generate-requests kcat-late-1
late="$(await_record charstream.generate-responses kcat-late-1 '.type == "final"' "answer to kcat-late-1" 120)"
jq -e '(.finishReason == "error" and .error.kind == "deadline-exceeded") or .finishReason == "deadline"' <<<"$late" >/dev/null \
  || fail "a 1 ms deadline gave: $(jq -c '{finishReason, chars: (.text | length), error}' <<<"$late")"
echo "e2e-kcat: kcat-late-1 ended by its deadline: $(jq -c '{finishReason, kind: .error.kind}' <<<"$late")"

assert_one_final_each 3 kcat-req-1 kcat-bad-1 kcat-n-1 kcat-long-1 kcat-late-1

# 5. Restart on the same data: the model is still there and answers.
stop_up
start_up "$port"
ask kcat-req-2 "Speak" 5
again="$(await_record charstream.generate-responses kcat-req-2 '.type == "final"' "answer after the restart" 120)"
jq -e --argjson v "$version" '.finishReason == "length" and .modelVersion == $v' <<<"$again" >/dev/null \
  || fail "after the restart, kcat-req-2 got: $again"
echo "e2e-kcat: after the restart kcat-model v$version still answers:"
printf '  %s\n' "Speak$(jq -r .text <<<"$again")"
assert_one_final_each 3 kcat-req-1 kcat-bad-1 kcat-n-1 kcat-long-1 kcat-late-1 kcat-req-2
stop_up
echo "e2e-kcat: OK"
