#!/usr/bin/env bash
# ensure-node.sh — prints the path of a node binary the FHIR-server tests support (>= 20.19):
# the system `node` when it is recent enough, otherwise Node 22 LTS installed from the npm
# registry (pinned in package.json next to this file) into WORK/node — the build folder, never
# the source tree. Exit 0 with the path on stdout; exit 1 with the reason on stdout when there
# is no supported node (no node/npm at all, npm registry unreachable, unsupported CPU).
# Usage: ensure-node.sh WORK_DIR   (called by tests/fhir-server/test_fhir_server.sh)
set -u
work=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# node_ok BIN: BIN --version is v20.19 or later.
node_ok() {
  local v major minor
  v=$("$1" --version 2>/dev/null) || return 1
  v=${v#v}; major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
  [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || return 1
  [ "$major" -gt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -ge 19 ]; }
}

if sys=$(command -v node 2>/dev/null) && node_ok "$sys"; then echo "$sys"; exit 0; fi
have="${sys:+system node $("$sys" --version 2>/dev/null) is older than 20.19}"
have=${have:-no system node}
if ! command -v npm >/dev/null 2>&1; then
  echo "$have and npm is not installed to fetch a newer one"; exit 1
fi
mkdir -p "$work" && dir="$(cd "$work" && pwd)/node"   # absolute: the tests cd before running it
# npm links no bin named "node", so the binary is taken from whichever package npm installed.
pick() { for b in "$dir"/node_modules/node-linux-*/bin/node; do [ -x "$b" ] && { echo "$b"; return; }; done; }
bin=$(pick)
mkdir -p "$dir"
if [ -z "$bin" ] || ! cmp -s "$here/package.json" "$dir/.installed.json"; then
  cp "$here/package.json" "$dir/package.json"
  if (cd "$dir" && timeout 600 npm install --no-audit --no-fund --loglevel=error) >"$dir/npm.log" 2>&1; then
    cp "$here/package.json" "$dir/.installed.json"
    bin=$(pick)
  else
    echo "$have and npm could not install Node 22 from the registry (see $dir/npm.log)"; exit 1
  fi
fi
if [ -n "$bin" ] && node_ok "$bin"; then echo "$bin"; exit 0; fi
# npm skips an optional dependency it cannot fetch without a word: tell why there is none.
if ! (cd "$dir" && timeout 60 npm ping) >>"$dir/npm.log" 2>&1; then
  echo "$have and the npm registry is unreachable (see $dir/npm.log)"; exit 1
fi
echo "$have and package.json pins no Node binary for this $(uname -m) machine (see $dir/npm.log)"
exit 1
