#!/usr/bin/env bash
# Debian's Chromium, driven headless by puppeteer-core in test/ui-e2e.test.ts (MLflow's web UI on
# `mlflow server` and `mlstore server`). Idempotent and quick once installed: `start` installs the
# `chromium` package when /usr/bin/chromium is missing (root, apt-get; CI machines are fresh) and
# checks that `chromium --headless --version` answers. No long-running process: each test launches
# its own browser and closes it, so `stop` has nothing to do. `path` prints the executable.
# .ci/run starts the scripts in test/services/ one after another (file-name order) except hdfs,
# which installs no package, so this script's apt-get never waits on another's dpkg lock; the lock
# timeout below covers a machine where something else holds it.
# Sourcing lib/ports.sh only publishes the checkout's ports (Chromium listens on none of them).
set -euo pipefail
. "$(dirname "$0")/lib/ports.sh"
chromium="${MLSTORE_CHROMIUM:-/usr/bin/chromium}"

install() {
  [ -x "$chromium" ] && return
  [ "$chromium" = /usr/bin/chromium ] || { echo "chromium.sh: MLSTORE_CHROMIUM=$chromium is not an executable" >&2; exit 1; }
  [ "$(id -u)" = 0 ] || { echo "chromium.sh: chromium is missing and installing it needs root (apt-get install chromium)" >&2; exit 1; }
  apt-get update -qq -o DPkg::Lock::Timeout=300 >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends \
    chromium fonts-liberation >/dev/null
}

# The version line, from the browser itself in headless mode (a missing shared library fails here).
# Debian's launcher script prints a harmless shell warning on some machines; only stdout counts.
version() { timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --version 2>/dev/null | grep -m1 -i chromium; }

start() {
  install
  local v
  v=$(version) || { echo "chromium.sh: '$chromium --headless --version' failed" >&2; exit 1; }
  echo "chromium ready: $v ($chromium)"
}

case "${1:-}" in
  start) start ;;
  stop) ;;
  status) [ -x "$chromium" ] && version || { echo "not installed"; exit 1; } ;;
  path) echo "$chromium" ;;
  *) echo "usage: $0 start|stop|status|path" >&2; exit 2 ;;
esac
