#!/usr/bin/env bash
# Debian packages the project needs beyond Python: WeasyPrint's Pango, poppler-utils
# (pdftotext, used by tests), Chromium for the browser tests, prometheus for promtool (the
# tests check deploy/prometheus/alerts.yml with it; the server it also ships is not started). Installs only what is
# missing, and only where apt-get and root are available; otherwise prints what to install.
set -euo pipefail
need=()
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v chromium >/dev/null || need+=(chromium)
command -v promtool >/dev/null || need+=(prometheus)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || need+=(libharfbuzz-subset0)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "please install these system packages: ${need[*]} (e.g. sudo apt-get install ${need[*]})" >&2
  exit 1
fi
