#!/usr/bin/env bash
# The container image, built and run: podman builds deploy/Dockerfile and runs a broker, a trainer
# and two generators from it on the host network, with the limits and settings of the rendered
# manifests (overlay dev by default), and only kcat, jq and curl talk to them:
#
#   1. installs what it lacks from Debian's packages (podman, runc, mmdebstrap, kcat, jq, curl,
#      python3-yaml) and writes its own containers.conf (CONTAINERS_CONF): runc, cgroupfs, no
#      default ulimits (crun fails on hybrid cgroup v1/v2 machines such as CI's);
#   2. base image: where docker.io answers, the Dockerfile's own public images and its Maven build
#      (the operator's path); where no registry is reachable, a JRE 17 made from Debian's packages
#      (mmdebstrap + podman import, kept as localhost/charstream-base:jre17-bookworm for later
#      runs) and the jar and lib/ of the host's Maven build (APP_FROM=prebuilt): the same runtime
#      stage either way;
#   3. broker, trainer and generator containers: memory and CPU limits, read-only root file system
#      (plus a writable /tmp, the manifests' emptyDir), all capabilities dropped, the image's uid
#      10001; checks what the entrypoint decided from the limits (threads, JavaCPP's caps), that
#      every process runs as 10001, that the root file system refuses writes, that nd4j's natives
#      load in the trainer and that the generator generates on the Vector API kernel (it needs no
#      natives);
#   4. a corpus upload in 256 KiB chunks, a one-epoch training job at the reference spec (no OOM
#      kill inside the trainer's limit; its step on the trainer's /metrics while it trains), both
#      workers' /livez and /readyz, a prompt answered by the generator;
#   5. a SIGTERM drain: 96 requests, SIGTERM while they run, 16 more sent once the generator
#      drains; the rendered generator Deployment started with `podman kube play` takes over, and
#      every request has exactly one final answer;
#   6. prints the image size and each container's peak memory; exits non-zero on any failure.
#
#   deploy/smoke-test.sh        # as root on Debian; builds app/target/charstream.jar if missing
#
# Settings (environment): CHARSTREAM_SMOKE_BASE=auto|debian|registry (auto), CHARSTREAM_SMOKE_OVERLAY
# (dev), CHARSTREAM_SMOKE_REBUILD_BASE=1 (make the Debian base again), CHARSTREAM_SMOKE_KEEP=1 (keep
# the work folder), CHARSTREAM_DEBIAN_MIRROR (http://deb.debian.org/debian). deploy/README.md,
# "Smoke test", says what each check proves and what it cannot check here.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS

image=localhost/charstream:smoke
base_image=localhost/charstream-base:jre17-bookworm
mode=${CHARSTREAM_SMOKE_BASE:-auto}
overlay=${CHARSTREAM_SMOKE_OVERLAY:-dev}
mirror=${CHARSTREAM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${CHARSTREAM_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
corpus_bytes=327680 # the first 320 KiB of tinyshakespeare: two 256 KiB chunks, about 76 batches
wave_a=96           # requests before SIGTERM: more than batch.capacity (64), so some queue
wave_b=16           # requests sent while the generator drains: the heir must answer them
length_a=1024

say() { echo "smoke-test: $*"; }
die() { echo "smoke-test: $*" >&2; exit 2; }
case "$mode" in auto | debian | registry) ;; *) die "CHARSTREAM_SMOKE_BASE must be auto, debian or registry, got '$mode'" ;; esac
[ -d "deploy/k8s/overlays/$overlay" ] || die "CHARSTREAM_SMOKE_OVERLAY: no overlay deploy/k8s/overlays/$overlay"
[ "$(id -u)" = 0 ] || die "run as root (it installs packages and runs podman as root)"

declare -A cost=()
phase_start=$SECONDS
phase() { # closes the running phase, names the next
  [ -z "${phase_name:-}" ] || cost[$phase_name]=$((SECONDS - phase_start))
  phase_name="$1"
  phase_start=$SECONDS
  [ -z "$1" ] || say "== $1"
}

# ---- 1. packages and podman's configuration
phase "install"
need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v kcat >/dev/null || need+=(kcat)
command -v jq >/dev/null || need+=(jq)
command -v curl >/dev/null || need+=(curl ca-certificates)
python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
[ "$mode" = registry ] || command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# kubectl renders the manifests; the check says what to install when it cannot.
deploy/ci-install-kubectl.sh 2>/dev/null || deploy/ci-install-kubectl.sh

work="$(mktemp -d /tmp/charstream-smoke.XXXXXX)"
chmod 755 "$work"
p="charstream-smoke-$$" # container names and cgroup parent
export CONTAINERS_CONF="$work/containers.conf"
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
EOF

kube_yaml=""
pod=""
failed=1
cleanup() {
  if [ "$failed" = 1 ]; then
    for c in $(podman ps -a --format '{{.Names}}' 2>/dev/null | grep -E "^($p-|charstream-generator-pod-)" || true); do
      echo "---- last lines of $c:" >&2
      podman logs "$c" 2>&1 | tail -n 25 >&2 || true
    done
  fi
  if [ -n "$kube_yaml" ]; then podman kube down "$kube_yaml" >/dev/null 2>&1 || true; fi
  for c in broker trainer generator; do podman rm -f -t 0 "$p-$c" >/dev/null 2>&1 || true; done
  for c in /sys/fs/cgroup/*/"$p" /sys/fs/cgroup/"$p"; do
    if [ -d "$c" ]; then find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi
  done
  if [ "${CHARSTREAM_SMOKE_KEEP:-0}" = 1 ]; then say "work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
  echo "smoke-test: FAILED: $*" >&2
  exit 1
}
deadline() { echo $((SECONDS + $1)); }

# ---- 2. base image and the charstream image
if [ "$mode" = auto ]; then
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 https://registry-1.docker.io/v2/ || true)"
  if [ "$code" = 401 ] || [ "$code" = 200 ]; then mode=registry; else mode=debian; fi
  say "docker.io answers ${code:-nothing}: base images from $([ "$mode" = registry ] && echo the registry || echo "Debian's packages")"
fi
if [ "$mode" = debian ]; then
  phase "base image (Debian bookworm, openjdk-17-jre-headless)"
  if [ "${CHARSTREAM_SMOKE_REBUILD_BASE:-0}" = 1 ] || ! podman image exists "$base_image"; then
    # essential: no apt in the image; passwd for the Dockerfile's useradd. Docs and translations
    # left out (copyright files kept); not the manuals: java's update-alternatives needs their folders.
    mmdebstrap --quiet --variant=essential --include=passwd,openjdk-17-jre-headless \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --format=tar bookworm "$work/base.tar" \
      "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
      "deb $security_mirror bookworm-security main" </dev/null
    podman import --quiet \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      "$work/base.tar" "$base_image" >/dev/null
    rm -f "$work/base.tar"
  else
    say "reusing $base_image (CHARSTREAM_SMOKE_REBUILD_BASE=1 makes it again)"
  fi
  say "base $base_image: $(($(podman image inspect --format '{{.Size}}' "$base_image") / 1000000)) MB"

  phase "jar (host Maven build)"
  if [ ! -f app/target/charstream.jar ] || [ ! -d app/target/lib ]; then
    mvn -B -q -pl app -am package -DskipTests
  else
    say "using app/target/charstream.jar and app/target/lib as they are"
  fi
  phase "image build (APP_FROM=prebuilt)"
  podman build --quiet -f deploy/Dockerfile --ignorefile deploy/prebuilt.dockerignore \
    --build-arg APP_FROM=prebuilt --build-arg RUNTIME_IMAGE="$base_image" -t "$image" . >/dev/null
else
  phase "image build (public base images, Maven build in the image)"
  podman build --quiet -f deploy/Dockerfile --ignorefile deploy/Dockerfile.dockerignore \
    -t "$image" . >/dev/null
fi
image_mb=$(($(podman image inspect --format '{{.Size}}' "$image") / 1000000))
say "image $image: $image_mb MB"
[ "$(podman image inspect --format '{{.Config.User}}' "$image")" = "10001:10001" ] \
  || fail "the image's user is not 10001:10001"

# ---- 3. containers
phase "containers"
kubectl kustomize "deploy/k8s/overlays/$overlay" >"$work/rendered.yaml"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# A writable /tmp for each container, as the manifests' emptyDir (owned by the image's user).
scratch() { mkdir -m 700 "$work/$1" && chown 10001:10001 "$work/$1" && echo "$work/$1"; }
running() { [ "$(podman inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }
logs_have() { podman logs "$1" 2>&1 | grep -E -- "$2" >/dev/null; }
hpids() { podman top "$1" hpid | tail -n +2; }

podman run -d --name "$p-broker" --network=host --read-only --read-only-tmpfs=false \
  --cap-drop=ALL --security-opt=no-new-privileges --cgroup-parent="/$p/broker" \
  -v "$(scratch broker):/tmp" "$image" broker --port 0 --data-dir /tmp/kafka >/dev/null
until=$(deadline 180)
until logs_have "$p-broker" '^charstream broker ready on '; do
  running "$p-broker" || fail "the broker container exited"
  [ "$SECONDS" -lt "$until" ] || fail "the broker was not ready within 180 s"
  sleep 1
done
bs="$(podman logs "$p-broker" 2>&1 | sed -n 's/^charstream broker ready on \([0-9.:]*\) .*/\1/p' | head -n 1)"
say "broker on $bs"

# A worker container as the manifest runs it: its limits, args and ConfigMap environment (pointed
# at the broker, PLAINTEXT), a read-only root file system with a writable /tmp, no capabilities,
# the image's user. OMP_NUM_THREADS is left to the entrypoint (the pods set it from limits.cpu).
declare -A cpus=() memory=() grace=()
run_worker() { # name, Deployment, extra env...
  local name="$1" deployment="$2" spec ro=()
  shift 2
  spec="$(python3 deploy/smoke-manifests.py container "$work/rendered.yaml" "$deployment" "$bs")"
  cpus[$name]="$(jq -r .cpus <<<"$spec")"
  memory[$name]="$(jq -r .memoryBytes <<<"$spec")"
  grace[$name]="$(jq -r .graceSeconds <<<"$spec")"
  [ "$(jq -r .runAsUser <<<"$spec")" = 10001 ] || fail "$deployment does not run as uid 10001"
  [ "$(jq -r .readOnlyRootFilesystem <<<"$spec")" = true ] && ro=(--read-only --read-only-tmpfs=false)
  jq -r '.env | to_entries[] | "\(.key)=\(.value)"' <<<"$spec" >"$work/$name.env"
  mapfile -t args < <(jq -r '.args[]' <<<"$spec")
  podman run -d --name "$p-$name" --network=host "${ro[@]}" --cap-drop=ALL \
    --security-opt=no-new-privileges --cpus "${cpus[$name]}" --memory "${memory[$name]}" \
    --memory-swap "${memory[$name]}" --cgroup-parent="/$p/$name" -v "$(scratch "$name"):/tmp" \
    --env-file "$work/$name.env" "${@/#/--env=}" "$image" "${args[@]}" >/dev/null
  say "$name: --cpus ${cpus[$name]} --memory ${memory[$name]} ($deployment in overlay $overlay): ${args[*]}"
}
http0="$(free_port)"
http1="$(free_port)"
# The host's network: each worker on a free port instead of the manifests' 8080.
run_worker trainer charstream-trainer "CHARSTREAM_WORKER_ID=$p-trainer" "CHARSTREAM_HTTP_PORT=$http0"
run_worker generator charstream-generator "CHARSTREAM_INSTANCE_ID=$p-generator" "CHARSTREAM_HTTP_PORT=$http1"

# What the entrypoint decided from the container's cgroup limits: the line it printed, and the
# environment and flags every JVM in the container really has (the trainer's JVM re-launches once).
check_entrypoint() { # container, CPU limit, memory limit bytes, how OMP_NUM_THREADS was chosen
  local c="$1" threads maxbytes maxphys pid line want
  threads=$(python3 -c "import math; print(math.ceil($2))")
  maxbytes=$(($3 * 40 / 100))
  maxphys=$(($3 * 90 / 100))
  want="charstream-entrypoint: OMP_NUM_THREADS=$threads ($4); memory limit $3 bytes: JavaCPP maxbytes $maxbytes, maxphysicalbytes $maxphys"
  line="$(podman logs "$c" 2>&1 | grep -m 1 '^charstream-entrypoint: ' || true)"
  [ "$line" = "$want" ] || fail "$c: the entrypoint printed '$line', expected '$want'"
  for pid in $(hpids "$c"); do
    tr '\0' '\n' <"/proc/$pid/environ" | grep -x "OMP_NUM_THREADS=$threads" >/dev/null \
      || fail "$c: process $pid does not have OMP_NUM_THREADS=$threads"
    tr '\0' '\n' <"/proc/$pid/cmdline" | grep -x -e "-Dorg.bytedeco.javacpp.maxbytes=$maxbytes" >/dev/null \
      || fail "$c: process $pid was not started with JavaCPP maxbytes $maxbytes"
  done
  say "$c: ${line#charstream-entrypoint: } (in all $(hpids "$c" | wc -l) JVMs)"
}
# Every process of the container runs as uid and gid 10001, and the root file system refuses
# writes even from root inside it.
check_user_and_root_fs() { # container
  local pid out
  for pid in $(hpids "$1"); do
    awk '/^Uid:|^Gid:/ { for (i = 2; i <= 5; i++) if ($i != 10001) bad = 1 } END { exit bad }' \
      "/proc/$pid/status" || fail "$1: process $pid does not run as 10001: $(grep -E '^[UG]id:' "/proc/$pid/status" | tr '\n' ' ')"
  done
  out="$(podman exec --user 0 "$1" sh -c ': > /app/smoke-probe' 2>&1 || true)"
  grep 'Read-only file system' <<<"$out" >/dev/null || fail "$1: writing /app as root gave '$out', not 'Read-only file system'"
}
# nd4j's native library is mapped in one of the container's JVMs; says which build.
check_natives() { # container
  local pid lib=""
  for pid in $(hpids "$1"); do
    lib="$(grep -o '/[^ ]*/libnd4jcpu\.so' "/proc/$pid/maps" | head -n 1 || true)"
    [ -z "$lib" ] || break
  done
  [ -n "$lib" ] || fail "$1: no JVM has nd4j's native library (libnd4jcpu.so) loaded"
  say "$1: nd4j natives loaded: $(basename "$(dirname "$lib")")"
}
# The generator's log says it generates on the Vector API kernel (the image's JVM options add the
# module): generation needs no native code since issue 13, session 11.
check_generation_kernel() { # container
  local line
  line="$(podman logs "$1" 2>&1 | grep -m 1 -o 'loaded model .*generating on the [a-z]* kernel' || true)"
  [ -n "$line" ] || fail "$1: no 'loaded model ... generating on the ... kernel' line in its log"
  grep 'generating on the vector kernel' <<<"$line" >/dev/null \
    || fail "$1: '$line': expected the vector kernel (is --add-modules=jdk.incubator.vector in its JVM options?)"
  say "$1: ${line##*generating on the }"
}
# Peak RSS of the container's processes (sum of their VmHWM, MiB), read while they run; the
# highest of the samples taken (a process that has gone counts nothing).
declare -A peak_rss=()
sample_rss() { # name, container
  local pid kb=0 hwm
  for pid in $(podman top "$2" hpid 2>/dev/null | tail -n +2 || true); do
    hwm="$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
    kb=$((kb + ${hwm:-0}))
  done
  [ $((kb / 1024)) -le "${peak_rss[$1]:-0}" ] || peak_rss[$1]=$((kb / 1024))
}
# Peak memory of a cgroup, page cache included (cgroup v1 max_usage_in_bytes, v2 memory.peak), MiB.
cgroup_peak() { # cgroup path
  local f
  for f in "/sys/fs/cgroup/memory$1/memory.max_usage_in_bytes" "/sys/fs/cgroup$1/memory.peak"; do
    [ -r "$f" ] && { echo $(($(cat "$f") / 1048576)); return; }
  done
  echo "?"
}
# Stops a container with SIGTERM, waiting up to its grace period: it must have been running, and
# end as a JVM does after its shutdown hooks ran (143, or 0), not OOM-killed.
stop_gracefully() { # container, grace seconds
  local t=$SECONDS status
  running "$1" || fail "$1 had exited by itself (status $(podman inspect --format '{{.State.ExitCode}}' "$1"))"
  podman stop -t "$2" "$1" >/dev/null
  status="$(podman inspect --format '{{.State.ExitCode}} {{.State.OOMKilled}}' "$1")"
  case "$status" in "143 false" | "0 false") ;; *) fail "$1 ended with exit status and OOM-killed: $status" ;; esac
  say "$1 stopped on SIGTERM in $((SECONDS - t)) s (exit ${status% *})"
}

until=$(deadline 240)
code() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2"; }
until logs_have "$p-trainer" 'consuming .*training-requests' && [ "$(code "$http0" /readyz)" = 200 ] \
  && [ "$(code "$http1" /livez)" = 200 ]; do
  running "$p-trainer" || fail "the trainer container exited"
  running "$p-generator" || fail "the generator container exited"
  [ "$SECONDS" -lt "$until" ] || fail "trainer or generator not up within 240 s"
  sleep 1
done
say "trainer consuming and ready (/livez $(code "$http0" /livez), /readyz $(code "$http0" /readyz) on port $http0); generator live (/livez 200 on port $http1)"
for c in trainer generator; do
  check_entrypoint "$p-$c" "${cpus[$c]}" "${memory[$c]}" "CPU limit, rounded up"
  check_user_and_root_fs "$p-$c"
done
check_user_and_root_fs "$p-broker"

# ---- 4. corpus, training, a prompt
phase "corpus + training"
produce() { kcat -b "$bs" -P -X partitioner=murmur2_random -t "$@"; }
dump() { kcat -b "$bs" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed -f '%k\t%h\t%s\n'; }
# The newest record with key $2 on topic $1 matching jq filter $3, waiting up to $5 s (default 300).
await_record() {
  local until value
  until=$(deadline "${5:-300}")
  while true; do
    value="$(dump "$1" | awk -F'\t' -v k="$2" '$1 == k { print $3 }' | jq -c "select($3)" 2>/dev/null | tail -n 1)"
    [ -n "$value" ] && { echo "$value"; return 0; }
    [ "$SECONDS" -lt "$until" ] || fail "no $4 on $1 within ${5:-300} s"
    for c in "${watch[@]}"; do running "$c" || fail "$c exited while waiting for $4"; done
    sleep 1
  done
}
watch=("$p-broker" "$p-trainer" "$p-generator")

head -c "$corpus_bytes" data/tinyshakespeare.txt >"$work/corpus.txt"
# The recipe of deploy/README.md ("Send a first prompt with kcat"): 256 KiB chunks built by jq.
jq -Rsc --arg sha "$(sha256sum "$work/corpus.txt" | cut -d' ' -f1)" '
  . as $t | 262144 as $size | (($t | length) + $size - 1) / $size | floor as $count
  | range(0; $count) as $i
  | {schemaVersion:1, corpusId:"smoke-shakespeare", uploadId:"u1", index:$i, count:$count,
     sha256:$sha, text:$t[$i*$size:($i+1)*$size]}' <"$work/corpus.txt" \
  | produce charstream.corpus -k smoke-shakespeare -X message.max.bytes=4194304
# The reference spec (every hyperparameter at its default), one epoch.
echo '{"schemaVersion":1,"jobId":"smoke-job","modelId":"default","corpusId":"smoke-shakespeare","numEpochs":1,"seed":7}' \
  | produce charstream.training-requests -k default
say "corpus smoke-shakespeare ($corpus_bytes bytes, 2 chunks) and training request smoke-job sent"
# While it trains, the trainer's /metrics shows the job's step (its series go when the job ends).
until=$(deadline 600)
until curl -s "http://127.0.0.1:$http0/metrics" \
  | awk '/^charstream_trainer_step\{model_id="default"\}/ && $2 >= 1 { ok = 1 } END { exit !ok }'; do
  running "$p-trainer" || fail "the trainer container exited"
  [ "$SECONDS" -lt "$until" ] || fail "the trainer's /metrics showed no step of model default within 600 s"
  sleep 1
done
[ "$(code "$http0" /livez)" = 200 ] || fail "trainer /livez not 200 while training: $(curl -s "http://127.0.0.1:$http0/livez")"
say "trainer training: /metrics $(curl -s "http://127.0.0.1:$http0/metrics" | grep -m 1 '^charstream_trainer_step{' || true), /livez 200"
ended="$(await_record charstream.training-status smoke-job \
  '.type == "completed" or .type == "failed" or .type == "rejected" or .type == "cancelled"' "end of smoke-job" 900)"
[ "$(jq -r .type <<<"$ended")" = completed ] || fail "smoke-job did not complete: $ended"
version="$(jq -r .version <<<"$ended")"
say "smoke-job completed: model default v$version, loss $(jq -r .trainLoss <<<"$ended")"
check_natives "$p-trainer"
sample_rss trainer "$p-trainer"
oom="$(awk '/^oom_kill / { print $2 }' /sys/fs/cgroup/memory/"$p"/trainer/libpod-*/memory.oom_control 2>/dev/null || echo 0)"
[ "${oom:-0}" = 0 ] || fail "the trainer's cgroup counted $oom OOM kills"
stop_gracefully "$p-trainer" "${grace[trainer]}"
watch=("$p-broker" "$p-generator")

phase "generator: probes, prompt"
until=$(deadline 180)
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http1/readyz")" = 200 ]; do
  running "$p-generator" || fail "the generator container exited"
  [ "$SECONDS" -lt "$until" ] || fail "generator /readyz not 200 within 180 s: $(curl -s "http://127.0.0.1:$http1/readyz")"
  sleep 1
done
say "generator /livez $(curl -s "http://127.0.0.1:$http1/livez"); /readyz $(curl -s "http://127.0.0.1:$http1/readyz")"
curl -sf "http://127.0.0.1:$http1/metrics" | grep '^charstream_generator_slots_active' >/dev/null \
  || fail "generator /metrics has no charstream_generator_slots_active"
check_generation_kernel "$p-generator"
# Generate requests <prefix>1..<prefix>N as "key<TAB>value" lines, produced in one go (a slow
# producer would let the generator finish the first before the last is sent).
requests() { # prefix count prompt length
  jq -rn --arg p "$1" --argjson n "$2" --arg prompt "$3" --argjson length "$4" '
    range(1; $n + 1) as $i | "\($p)\($i)\t" + ({schemaVersion: 1, requestId: "\($p)\($i)",
      prompt: $prompt, length: $length, randomSeed: $i} | tojson)' >"$work/$1.requests"
  produce charstream.generate-requests -K $'\t' -l "$work/$1.requests"
}
requests smoke-r 1 "KING RICHARD" 200
answer="$(await_record charstream.generate-responses smoke-r1 '.type == "final"' "answer to smoke-r1" 120)"
jq -e --argjson v "$version" '.finishReason == "length" and (.text | length) == 200 and .modelId == "default" and .modelVersion == $v' \
  <<<"$answer" >/dev/null || fail "unexpected answer to smoke-r1: $answer"
say "smoke-r1 answered by the generator container:"
printf '  %s\n' "KING RICHARD$(jq -r .text <<<"$answer" | head -n 4)"

# ---- 5. SIGTERM drain, and the rendered Deployment takes over
phase "SIGTERM drain + kube play"
ids=(smoke-r1)
for i in $(seq "$wave_a"); do ids+=("smoke-a$i"); done
for i in $(seq "$wave_b"); do ids+=("smoke-b$i"); done
requests smoke-a "$wave_a" "ROMEO" "$length_a"
until=$(deadline 120)
until curl -s "http://127.0.0.1:$http1/metrics" | awk '/^charstream_generator_slots_active/ && $2 >= 1 { ok = 1 } END { exit !ok }'; do
  running "$p-generator" || fail "the generator container exited"
  [ "$SECONDS" -lt "$until" ] || fail "the generator did not start the $wave_a requests within 120 s"
  sleep 0.1
done
sample_rss generator "$p-generator"
podman stop -t "${grace[generator]}" "$p-generator" >/dev/null &
stopper=$!
t_term=$SECONDS
until=$(deadline 30)
until logs_have "$p-generator" 'draining: [0-9]+ running'; do
  [ "$SECONDS" -lt "$until" ] || fail "the generator did not start draining within 30 s of SIGTERM"
  sleep 0.2
done
drain="$(podman logs "$p-generator" 2>&1 | grep -o -m 1 'draining: [0-9]* running, [0-9]* queued')"
sample_rss generator "$p-generator" # while it finishes the running requests
# Sent once the generator drains: it fetches no more, so the next generator must answer these.
requests smoke-b "$wave_b" "JULIET" 200
wait "$stopper" || fail "podman stop failed"
running=$(awk '{ print $1 }' <<<"${drain#draining: }")
[ "$running" -gt 0 ] || fail "SIGTERM found no running request ($drain): the drain was not tested"
status="$(podman inspect --format '{{.State.ExitCode}} {{.State.OOMKilled}}' "$p-generator")"
case "$status" in "143 false" | "0 false") ;; *) fail "the generator ended with exit status and OOM-killed: $status" ;; esac
logs_have "$p-generator" 'left the group' || fail "the generator did not leave the group"
say "generator drained in $((SECONDS - t_term)) s after SIGTERM ($drain at SIGTERM; exit ${status% *})"

# The generator Deployment of the overlay, as rendered, with podman kube play (what it needs
# changed: deploy/smoke-manifests.py and deploy/README.md).
http2="$(free_port)"
kube_yaml="$work/generator-kube.yaml"
python3 deploy/smoke-manifests.py kube "$work/rendered.yaml" charstream-generator "$bs" "$image" "$http2" >"$kube_yaml"
# Played from the work folder: podman 4.3 builds the image itself when the current folder holds
# something named like it (the repository's ./charstream launcher), even with --build=false.
(cd "$work" && podman kube play --replace "$kube_yaml") 2> >(grep -v 'systemd' >&2) >/dev/null \
  || fail "podman kube play $kube_yaml failed"
pod="$(podman pod ps --format '{{.Name}}' | grep '^charstream-generator-pod' | head -n 1 || true)"
[ -n "$pod" ] || fail "podman kube play started no charstream-generator pod"
kc="$pod-generator"
running "$kc" || fail "podman kube play did not start $kc"
watch=("$p-broker" "$kc")
until=$(deadline 240)
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http2/readyz")" = 200 ]; do
  running "$kc" || fail "$kc exited"
  [ "$SECONDS" -lt "$until" ] || fail "$kc /readyz not 200 within 240 s"
  sleep 1
done
kmem=$(python3 deploy/smoke-manifests.py container "$work/rendered.yaml" charstream-generator "$bs" | jq -r .memoryBytes)
kcpu=$(python3 deploy/smoke-manifests.py container "$work/rendered.yaml" charstream-generator "$bs" | jq -r .cpus)
say "$kc (podman kube play) ready: /livez $(curl -s "http://127.0.0.1:$http2/livez")"
check_entrypoint "$kc" "$kcpu" "$kmem" "set by the environment"
check_user_and_root_fs "$kc"

# Exactly one final answer per request, counted once generate-responses has been quiet for 3 s;
# wave B only from the kube play generator.
until=$(deadline 300)
after="$(dump charstream.generate-responses | wc -l)"
while true; do
  sleep 3
  before="$after"
  after="$(dump charstream.generate-responses | wc -l)"
  finals="$(dump charstream.generate-responses | awk -F'\t' '{ print $1 "\t" $2 "\t" $3 }' \
    | jq -R -r 'split("\t") | select((.[2] | fromjson? | .type) == "final")
                | [.[0], (.[1] | capture("charstream.worker=(?<w>[^,]*)").w // "?"), (.[2] | fromjson | .finishReason)] | @tsv')"
  [ "$before" = "$after" ] && [ "$(wc -l <<<"$finals")" -ge ${#ids[@]} ] && break
  [ "$SECONDS" -lt "$until" ] || fail "not every request answered within 300 s ($(wc -l <<<"$finals") finals for ${#ids[@]} requests)"
  running "$kc" || fail "$kc exited"
done
for id in "${ids[@]}"; do
  n="$(awk -F'\t' -v k="$id" '$1 == k' <<<"$finals" | wc -l)"
  [ "$n" -eq 1 ] || fail "$id has $n final answers, expected exactly 1"
done
dups="$(cut -f1 <<<"$finals" | sort | uniq -d)"
[ -z "$dups" ] || fail "answered more than once: $dups"
bad="$(awk -F'\t' '$3 != "length"' <<<"$finals")"
[ -z "$bad" ] || fail "answers that did not finish by length: $bad"
by_heir_b="$(awk -F'\t' -v w="$pod" '$1 ~ /^smoke-b/ && $2 == w' <<<"$finals" | wc -l)"
[ "$by_heir_b" -eq "$wave_b" ] || fail "the kube play generator answered $by_heir_b of the $wave_b requests sent during the drain"
by_victim_a="$(awk -F'\t' -v w="$p-generator" '$1 ~ /^smoke-a/ && $2 == w' <<<"$finals" | wc -l)"
say "exactly one final answer each for ${#ids[@]} requests: of the $wave_a sent before SIGTERM, $by_victim_a by the drained generator and $((wave_a - by_victim_a)) by $pod; all $wave_b sent during the drain by $pod"
check_generation_kernel "$kc"
sample_rss kube-generator "$kc"
pod_cgroup="$(podman pod inspect --format '{{.CgroupPath}}' "$pod")"
t=$SECONDS
podman pod stop -t "${grace[generator]}" "$pod" >/dev/null 2> >(grep -v systemd >&2)
status="$(podman inspect --format '{{.State.ExitCode}} {{.State.OOMKilled}}' "$kc")"
case "$status" in "143 false" | "0 false") ;; *) fail "$kc ended with exit status and OOM-killed: $status" ;; esac
say "$pod stopped on SIGTERM in $((SECONDS - t)) s (exit ${status% *})"
sample_rss broker "$p-broker"
stop_gracefully "$p-broker" 30
phase ""

# ---- 6. what it cost
say "image $image: $image_mb MB ($([ "$mode" = debian ] && echo "base: Debian bookworm openjdk-17-jre-headless, APP_FROM=prebuilt" || echo "public base images, Maven build in the image"))"
say "peak memory (cgroup: page cache included, what the limit counts; RSS: sum of the JVMs' VmHWM):"
printf 'smoke-test:   %-16s %10s %14s %10s\n' container limit "cgroup peak" "peak RSS"
printf 'smoke-test:   %-16s %10s %11s MiB %6s MiB\n' \
  broker none "$(cgroup_peak "/$p/broker")" "${peak_rss[broker]}" \
  trainer "$((memory[trainer] / 1048576)) MiB" "$(cgroup_peak "/$p/trainer")" "${peak_rss[trainer]}" \
  generator "$((memory[generator] / 1048576)) MiB" "$(cgroup_peak "/$p/generator")" "${peak_rss[generator]}" \
  "kube generator" "$((kmem / 1048576)) MiB" "$(cgroup_peak "$pod_cgroup")" "${peak_rss[kube-generator]}"
line=""
for k in install "base image (Debian bookworm, openjdk-17-jre-headless)" "jar (host Maven build)" \
  "image build (APP_FROM=prebuilt)" "image build (public base images, Maven build in the image)" \
  containers "corpus + training" "generator: probes, prompt" "SIGTERM drain + kube play"; do
  [ -z "${cost[$k]:-}" ] || line+="${k%% (*} ${cost[$k]} s, "
done
failed=0
say "OK in $((SECONDS - t0)) s (${line%, })"
