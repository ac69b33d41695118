#!/usr/bin/env bash
# test_conformance_self.sh — runs cds-conformance against the freshly built cds-commissioning,
# started by the runner itself (--spawn) with JWT verification on and trusting the runner's
# issuer when the service supports --issuer. Passes when the only FAIL lines are the known gaps
# of known-gaps.txt (each printed), the exit status matches the must-level outcome, and the
# service's log shows no sanitizer report. Without --issuer support, A1-A13 and F3 are known
# gaps (and reported FAIL by the runner: authentication is not claimed). The run uses --strict
# (P1-P4 must PASS) with the service's body limit and clock skew given to both sides.
# Usage: RUNNER SERVICE KNOWN_GAPS_FILE
set -u
runner=$1 service=$2 gaps_file=$3
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

source "$(dirname "$0")/gaps.sh"
service_args "$service" {port}
load_gaps "$gaps_file"

log=$(mktemp /tmp/conformance-self-XXXXXX.log)
echo "== cds-conformance ${runner_args[*]} --spawn $service ${args[*]} (authentication $auth)"
out=$("$runner" "${runner_args[@]}" --timing figures --spawn-log "$log" --spawn "$service" \
  "${args[@]}")
rc=$?
echo "$out"

only_known_gaps "$out" "self"
exit_matches "$out" $rc "self"
# --strict: the HTTP-semantics assertions are lines, each PASS unless a known gap.
for id in P1 P2 P3 P4; do
  if grep -qE "^PASS $id S " <<<"$out" || [ -n "${known[$id]+x}" ]; then ok
  else bad "--strict: $id is not PASS: $(grep -E "^[A-Z]+ $id " <<<"$out")"; fi
done
if grep -q '^PASS D1 ' <<<"$out" && grep -q '^PASS H1 ' <<<"$out"; then ok
else bad "the service was not reached (D1/H1 not PASS)"; fi
if grep -qE 'Sanitizer|runtime error' "$log"; then
  bad "the service's log has a sanitizer report:"; grep -E -A20 'Sanitizer|runtime error' "$log" | head -40
else ok; fi
rm -f "$log"

# T1: the same service over HTTPS (a self-signed certificate made now), when the build serves TLS.
if grep -q -- '--tls-cert' <<<"$help" && command -v openssl >/dev/null; then
  dir=$(mktemp -d /tmp/conformance-tls-XXXXXX)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/key.pem" \
    -out "$dir/cert.pem" -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    >/dev/null 2>&1
  tls_out=$("$runner" --timing figures --timing-runs 3 --validator structural \
    --cacert "$dir/cert.pem" --base-url 'https://127.0.0.1:{port}' --spawn "$service" \
    "${args[@]}" --tls-cert "$dir/cert.pem" --tls-key "$dir/key.pem" 2>&1)
  echo "== over HTTPS: $(grep -E '^[A-Z]+ T1 ' <<<"$tls_out")"
  if grep -qE '^PASS T1 ' <<<"$tls_out" && grep -qE '^PASS H1 ' <<<"$tls_out"; then ok
  else bad "over HTTPS: T1 or H1 not PASS"; grep -E '^(FAIL|SKIP) ' <<<"$tls_out"; fi
  rm -rf "$dir"
else
  echo "note: this build serves no TLS (serve --tls-cert); T1 not exercised"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
