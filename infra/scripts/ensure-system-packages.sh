#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing.
# Skips what is given by environment (TEST_DATABASE_URL, TEST_REDIS_URL).
set -euo pipefail
need=()
if [ -z "${TEST_DATABASE_URL:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need+=(postgresql); fi
if [ -z "${TEST_REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then need+=(redis-server); fi
if ! command -v chromium >/dev/null 2>&1; then need+=(chromium); fi
# Purchase-order PDFs print Latin Extended names (Łódź, Děčín) only with DejaVu.
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then need+=(fonts-dejavu-core); fi
# The SLA dashboard's charts (Chart.js, served by the app itself; see ensure-front-end-packages.sh).
if [ ! -f /usr/share/javascript/chart.js/chart.min.js ]; then need+=(libjs-chart.js); fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "Missing system packages: ${need[*]}. Install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
# Debian starts these as system services on install; the suite runs its own throwaway ones.
(service redis-server stop || true) >/dev/null 2>&1
(service postgresql stop || true) >/dev/null 2>&1
