#!/usr/bin/env bash
# bench_fetch.sh — starts the test FHIR server (server.mjs; npm packages pinned in package.json,
# installed into WORK) on loopback and runs cds-bench-fetch against it. Prints figures only.
# Usage: bench_fetch.sh CDS_BENCH_FETCH SOURCE_DIR WORK_DIR [ITERATIONS] REQUEST.json
set -u
bin=$1 src=$2 work=$3; shift 3
here="$src/tests/fhir-server"
mkdir -p "$work"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null' EXIT
cp "$here/package.json" "$here/server.mjs" "$work/"
if [ ! -d "$work/node_modules/@medplum/fhir-router" ] || ! cmp -s "$here/package.json" "$work/.installed.json"; then
  (cd "$work" && npm install --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1 ||
    { echo "bench-fetch: npm install failed (see $work/npm.log)"; exit 1; }
  cp "$here/package.json" "$work/.installed.json"
fi
token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
flag=""
[ "$(node -p 'process.versions.node.split(".")[0]')" = 20 ] && flag="--experimental-websocket"
(cd "$work" && FHIR_TOKEN="$token" exec node $flag server.mjs) >"$work/bench-server.out" 2>&1 &
pid=$!
port=""
for _ in $(seq 1 600); do
  port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$work/bench-server.out" | head -n1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "bench-fetch: the FHIR server did not start"; cat "$work/bench-server.out"; exit 1; }
FHIR_ROOT="http://127.0.0.1:$port" FHIR_TOKEN="$token" "$bin" "$@"
