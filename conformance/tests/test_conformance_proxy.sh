#!/usr/bin/env bash
# test_conformance_proxy.sh — cds-conformance against the REAL cds-commissioning behind
# fault-proxy (tests/fault_proxy.c), which the runner spawns on {port} and which starts the
# service on a loopback port of its own ({upstream}, --public-url = the proxy's URL so JWT aud
# checks hold). The fault-free run through the proxy must pass like the self test (only known
# gaps fail, P1-P4 PASS); then each fault, one per run, must be reported as FAIL of the assertion
# it breaks, and the exit status must follow the must-level failures.
# Usage: RUNNER FAULT_PROXY SERVICE KNOWN_GAPS_FILE
set -u
runner=$1 proxy=$2 service=$3 gaps_file=$4
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

source "$(dirname "$0")/gaps.sh"
service_args "$service" {upstream}
load_gaps "$gaps_file"
if ! grep -q -- '--public-url' <<<"$help"; then
  echo "SKIP: this build's serve has no --public-url; the proxy test needs it (JWT aud)"; exit 77
fi
args+=(--public-url 'http://127.0.0.1:{port}')

log=$(mktemp /tmp/conformance-proxy-XXXXXX.log)
run() { # fault: sets $out and $rc
  : >"$log"
  out=$("$runner" "${runner_args[@]}" --timing figures --timing-runs 3 --validator structural \
    --spawn-log "$log" --spawn "$proxy" --listen {port} --fault "$1" -- "$service" "${args[@]}" \
    2>&1)
  rc=$?
  if grep -qE 'Sanitizer|runtime error' "$log"; then
    bad "--fault $1: the service's log has a sanitizer report"
    grep -E -A20 'Sanitizer|runtime error' "$log" | head -40
  fi
}

run none
echo "== through fault-proxy, no fault: $(tail -n1 <<<"$out")"
only_known_gaps "$out" "no fault"
exit_matches "$out" $rc "no fault"
if grep -q '^PASS D1 ' <<<"$out" && grep -q '^PASS H1 ' <<<"$out"; then ok
else bad "no fault: the service was not reached through the proxy"; echo "$out" | tail -n 20; fi
baseline=$out

# fault  assertion-it-breaks
while read -r f id; do
  [ -z "$f" ] && continue
  if ! grep -qE "^PASS $id " <<<"$baseline"; then
    bad "no fault: $id is not PASS, so --fault $f proves nothing"; continue
  fi
  run "$f"
  line=$(grep -E "^[A-Z]+ $id " <<<"$out")
  if grep -qE "^FAIL $id " <<<"$out"; then ok; echo "--fault $f: $line"
  else bad "--fault $f: $id not reported as FAIL: ${line:-(no line)}"; fi
  exit_matches "$out" $rc "--fault $f"
done <<'TABLE'
strip-cors-200 T4
strip-cors-400 T4
strip-cors-401 T4
strip-cors-404 T4
strip-cors-412 T4
strip-cors-413 T4
strip-cors-415 T4
feedback-404 F4
future-iat-ok A13
future-nbf-ok A13
null-as-absent H10
reset-413 P3
no-ct-errors P4
unknown-400 P1
415-as-400 P2
TABLE
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
