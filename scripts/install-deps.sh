#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK, idempotently: Debian packages and the npm packages
# under interop/. Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

# chromium: the transparency page tests (tests/Centime.Web.Tests) drive it headless through Playwright.
# jq, curl: the docs walk-throughs (tests/Centime.Cli.Tests/WalkthroughTests.cs) run them as printed.
# postgresql: the PostgreSQL store's tests and 'centime bench ledger --store postgres' start their own server
# (initdb/pg_ctl from /usr/lib/postgresql/<version>/bin) in a temporary directory on a loopback port.
debs=(libsecp256k1-1 chromium jq curl postgresql)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[deps] installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -f "$here/interop/package.json" ]; then
  stamp="$here/interop/node_modules/.centime-stamp"
  lock="$here/interop/package-lock.json"
  if [ ! -f "$stamp" ] || { [ -f "$lock" ] && [ "$lock" -nt "$stamp" ]; }; then
    echo "[deps] installing npm packages in interop/"
    (cd "$here/interop" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi)
    touch "$stamp"
  fi
fi
echo "[deps] ok"
