#!/usr/bin/env bash
# test_conformance_broken.sh — cds-conformance must FAIL a deliberately broken service: for each
# fault of broken-service (a 140-character summary, a null, alg none accepted, no 412, no
# selectionBehavior, a delete without resourceId, ...) the assertion it breaks turns from PASS
# (fault-free run) to FAIL, and the exit status is non-zero exactly when a must-level assertion
# fails. Also checks --format json and the --crd section. Usage: RUNNER BROKEN_SERVICE
set -u
runner=$1 broken=$2
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

# run [runner options...] -- [service options...]: sets $out and $rc.
run() {
  local ropts=() sopts=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do ropts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  sopts=("$@")
  out=$("$runner" --timing-runs 3 --timing figures --validator structural "${ropts[@]}" \
    --spawn "$broken" --port {port} --iss {iss} --jwks {jwks_file} "${sopts[@]}" 2>&1)
  rc=$?
}

# The exit status must be non-zero exactly when some must-level assertion failed.
consistent() { # name
  local must=0
  grep -qE '^FAIL [A-Z0-9]+ M ' <<<"$out" && must=1
  if { [ $must -eq 1 ] && [ $rc -ne 0 ]; } || { [ $must -eq 0 ] && [ $rc -eq 0 ]; }; then ok
  else bad "$1: exit status $rc but must-level failure=$must"; fi
  if tail -n1 <<<"$out" | grep -qE '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$'; then ok
  else bad "$1: last line is not 'N passed, N failed': $(tail -n1 <<<"$out")"; fi
}

run --
baseline=$out
consistent "fault-free run"

# fault  assertion-it-breaks
while read -r f id; do
  [ -z "$f" ] && continue
  if grep -qE "^PASS $id " <<<"$baseline"; then ok
  else bad "fault-free run: $id is not PASS: $(grep -E "^[A-Z]+ $id " <<<"$baseline")"; continue; fi
  run -- --fault "$f"
  if grep -qE "^FAIL $id " <<<"$out"; then ok
  else bad "--fault $f: $id not reported as FAIL: $(grep -E "^[A-Z]+ $id " <<<"$out")"; fi
  consistent "--fault $f"
done <<'TABLE'
summary140 C1
null H3
alg-none A4
no412 H4
no-selection-behavior C6
delete-no-resourceid X3
bad-indicator C2
discovery-null D7
crash-500 H8
no-cards H2
html-content-type D1
update-foreign X4
override-no-display C9
bad-prefetch-token D5
feedback-accept-all F2
expired-ok A6
replay-ok A12
two-recommended C7
relative-link C10
empty-actions C8
bad-resource X5
TABLE

# A must-level fault alone decides the exit status: with only a should-level fault (crash-500
# -> H8 is S) the must-level failures are those of the fault-free run.
run --format json -- --fault summary140
if grep -q '"id":[[:space:]]*"C1"' <<<"$out" && grep -q '"mustFailed":[[:space:]]*true' <<<"$out"; then ok
else bad "--format json: no C1 entry or mustFailed not true"; fi
[ $rc -ne 0 ] && ok || bad "--format json with a must-level failure exited 0"

run --crd --
if grep -q '^# CRD mode' <<<"$out" && grep -qE '^FAIL CRD3 CRD ' <<<"$out" &&
   grep -qE '^CRD: [0-9]+ passed, [0-9]+ failed' <<<"$out"; then ok
else bad "--crd: no CRD section, CRD3 FAIL or CRD tally"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
