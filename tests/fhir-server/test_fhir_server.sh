#!/usr/bin/env bash
# test_fhir_server.sh — runs test_fetch against a real FHIR server on loopback (Medplum's
# fhir-router over its in-memory repository: server.mjs, npm packages pinned in package.json and
# installed at test time into WORK, never committed) and the misbehaving fault.mjs. They need
# node >= 20.19: when the system node is older (Debian 12 ships 18) node/ensure-node.sh installs
# Node 22 LTS from the npm registry into WORK/node and that one runs them. Only when no supported
# node can be had (npm missing or registry unreachable) or npm cannot install the FHIR packages,
# the fetch tests that need no server still run and the test reports SKIP loudly (exit 77)
# instead of passing silently.
# Usage: test_fhir_server.sh TEST_FETCH SOURCE_DIR WORK_DIR
set -u
bin=$1 src=$2 work=$3
here="$src/tests/fhir-server"
mkdir -p "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap cleanup EXIT
skip=""

# Waits for "listening PORT" in file $1 (up to 60 s); prints the port.
wait_port() {
  for _ in $(seq 1 600); do
    port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$1" 2>/dev/null | head -n1)
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  return 1
}

# A node >= 20.19: the system one, or Node 22 from the npm registry installed into WORK/node.
node_ok=0
if node=$(bash "$here/node/ensure-node.sh" "$work"); then
  node_ok=1
  major=$("$node" -p 'process.versions.node.split(".")[0]')
  echo "node: $node ($("$node" --version))"
else
  skip="no node >= 20.19: $node"
fi

fault_root="" fhir_root=""
if [ $node_ok -eq 1 ]; then
  "$node" "$here/fault.mjs" >"$work/fault.out" 2>&1 &
  pids+=($!)
  if port=$(wait_port "$work/fault.out"); then fault_root="http://127.0.0.1:$port"; fi
  cp "$here/package.json" "$here/server.mjs" "$work/"
  if [ ! -d "$work/node_modules/@medplum/fhir-router" ] || ! cmp -s "$here/package.json" "$work/.installed.json"; then
    if (cd "$work" && timeout 300 npm install --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1; then
      cp "$here/package.json" "$work/.installed.json"
    else
      skip="npm install failed (see $work/npm.log)"
    fi
  fi
  if [ -z "$skip" ]; then
    token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
    flag=""
    [ "$major" -eq 20 ] && flag="--experimental-websocket"
    (cd "$work" && FHIR_TOKEN="$token" exec "$node" $flag server.mjs) >"$work/server.out" 2>&1 &
    pids+=($!)
    if port=$(wait_port "$work/server.out"); then
      fhir_root="http://127.0.0.1:$port"
      export FHIR_TOKEN="$token"
    else
      skip="the FHIR server did not start (see $work/server.out)"
    fi
  fi
fi

env ${fhir_root:+FHIR_ROOT=$fhir_root} ${fault_root:+FAULT_ROOT=$fault_root} \
  CDS_SOURCE_DIR="$src" "$bin"
rc=$?
if [ $rc -ne 0 ]; then exit $rc; fi
if [ -n "$skip" ] || [ -z "$fault_root" ]; then
  echo "##############################################################################"
  echo "# SKIP: the real-FHIR-server tests did not run: ${skip:-no fault server}"
  echo "##############################################################################"
  exit 77
fi
exit 0
