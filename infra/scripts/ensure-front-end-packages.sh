#!/usr/bin/env bash
# Front-end assets the pages serve themselves (never from a CDN), from Debian packages:
# Chart.js for the SLA trend charts (/usr/share/javascript/chart.js). Without it the
# dashboard still shows every figure as tables, so a missing package only warns.
set -uo pipefail
need=()
if [ ! -f /usr/share/javascript/chart.js/chart.min.js ]; then need+=(libjs-chart.js); fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "Missing front-end packages: ${need[*]} (charts show as tables). Install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 0
fi
echo "Installing front-end packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
(apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null) \
  || echo "Could not install ${need[*]}; the SLA charts show as tables." >&2
exit 0
