#!/usr/bin/env bash
# Installs the web UI's npm packages (web/package-lock.json, exact versions) and vendors the browser modules the
# pages import (three.js and its addons) into src/Ringside.Server/wwwroot/vendor/, which the server serves at
# /vendor/. The copies are not committed (.gitignore); `./ringside` runs this when they are missing, and
# scripts/test.sh runs it before building. Needs Node.js and npm; nothing is fetched at run time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/web"
command -v npm >/dev/null || { echo "web.sh: npm is missing: install Node.js and npm." >&2; exit 1; }
npm ci --no-audit --no-fund --loglevel=error >&2
node vendor.mjs
