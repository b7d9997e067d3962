#!/bin/sh
# charstream container entrypoint: sizes nd4j's OpenMP pool and the native-memory limits to the
# container's cgroup limits, then runs the jar with the given command (trainer, generator, ...).
# OMP_NUM_THREADS set by the pod (Kubernetes: resourceFieldRef limits.cpu) is kept as it is.
set -eu

cgroup=${CGROUP_ROOT:-/sys/fs/cgroup}
java_cmd=${JAVA_CMD:-java}
jar=${APP_JAR:-/app/charstream.jar}

# Whole CPUs of the CPU quota, rounded up; nothing when unlimited.
cpu_limit() {
  quota=max
  period=100000
  if [ -r "$cgroup/cpu.max" ]; then
    read -r quota period < "$cgroup/cpu.max"
  elif [ -r "$cgroup/cpu/cpu.cfs_quota_us" ]; then
    quota=$(cat "$cgroup/cpu/cpu.cfs_quota_us")
    period=$(cat "$cgroup/cpu/cpu.cfs_period_us")
  fi
  case "$quota" in
    max | -1 | '') ;;
    *) echo $(( (quota + period - 1) / period )) ;;
  esac
}

# Memory limit in bytes; nothing when unlimited (cgroup v1 says so with a huge number).
mem_limit() {
  limit=max
  if [ -r "$cgroup/memory.max" ]; then
    limit=$(cat "$cgroup/memory.max")
  elif [ -r "$cgroup/memory/memory.limit_in_bytes" ]; then
    limit=$(cat "$cgroup/memory/memory.limit_in_bytes")
  fi
  case "$limit" in
    max | '') ;;
    *) if [ "$limit" -lt 1099511627776 ]; then echo "$limit"; fi ;;
  esac
}

if [ -n "${OMP_NUM_THREADS:-}" ]; then
  threads_why="set by the environment"
else
  threads=$(cpu_limit)
  if [ -n "$threads" ]; then
    threads_why="CPU limit, rounded up"
  else
    threads=$(nproc)
    threads_why="no CPU limit: the visible cores"
  fi
  OMP_NUM_THREADS=$threads
  export OMP_NUM_THREADS
fi

# nd4j keeps tensors off the Java heap; JavaCPP frees them when Java collects. Cap what it tracks
# (40% of the limit) and the process's physical memory (90%), so it collects, or fails with a Java
# OutOfMemoryError that names the cause, before the kernel kills the container.
native_opts=""
memory=$(mem_limit)
if [ -n "$memory" ]; then
  native_opts="-Dorg.bytedeco.javacpp.maxbytes=$((memory * 40 / 100)) -Dorg.bytedeco.javacpp.maxphysicalbytes=$((memory * 90 / 100))"
  memory_why="memory limit $memory bytes: JavaCPP maxbytes $((memory * 40 / 100)), maxphysicalbytes $((memory * 90 / 100))"
else
  memory_why="no memory limit: JavaCPP's defaults"
fi

# One line on standard error says what was decided, so a pod's log shows it (deploy/smoke-test.sh
# checks it against the limits it set).
echo "charstream-entrypoint: OMP_NUM_THREADS=$OMP_NUM_THREADS ($threads_why); $memory_why" >&2

# JAVA_OPTS and native_opts are lists of flags: split on spaces on purpose.
# shellcheck disable=SC2086
exec "$java_cmd" ${JAVA_OPTS:-} $native_opts -jar "$jar" "$@"
