#!/bin/sh
# Run by Maven (generate-resources): installs the locked dependencies when they changed, then builds dist/.
set -eu
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  echo "web/build.sh: npm is needed to build the web UI (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --prefer-offline
fi
# Up to date: nothing the bundle is made of is newer than it (saves ~15 s on Java-only rebuilds).
if [ -f dist/index.html ] && [ -z "$(find src public index.html package.json package-lock.json vite.config.ts tsconfig.json \
    -newer dist/index.html -print -quit)" ]; then
  echo "web: dist/ is up to date"
  exit 0
fi
npm run build
