#!/usr/bin/env bash
# Makes promtool (Prometheus's rule checker) available to MonitoringIT
# (app/src/test/java/io/charstream/app/deploy), which checks the alert rules and the dashboard's
# queries with it and runs the alerts' unit tests (deploy/monitoring/tests); the test fails, never
# skips, without it. .ci/run calls this before Maven.
#
# Debian's `prometheus` package carries promtool, but installing it also sets up a Prometheus
# server and its service; so this takes promtool alone out of the package (apt-get download +
# dpkg-deb -x, nothing installed with dpkg) into /usr/local/bin as root, else ~/.local/bin.
set -euo pipefail
promtool=${PROMTOOL:-promtool}
if command -v "$promtool" >/dev/null 2>&1; then
  "$promtool" --version 2>&1 | head -1 >&2
  exit 0
fi
dest=/usr/local/bin
[ "$(id -u)" = 0 ] || dest="$HOME/.local/bin"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
download() { (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1); }
if ! download; then
  [ "$(id -u)" = 0 ] && apt-get update -qq
  download || {
    echo "could not download Debian's prometheus package (apt-get download prometheus):" \
      "install promtool (Prometheus >= 2.37) yourself, or set PROMTOOL to it" >&2
    exit 1
  }
fi
dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
mkdir -p "$dest"
install -m 0755 "$tmp/x/usr/bin/promtool" "$dest/promtool"
echo "promtool installed in $dest" >&2
"$dest/promtool" --version 2>&1 | head -1 >&2
