#!/usr/bin/env bash
# test_conformance_broken.sh — cds-conformance must FAIL a deliberately broken service: for each
# fault of broken-service (a 140-character summary, a null, alg none accepted, no 412, no
# selectionBehavior, a delete without resourceId, ...) the assertion it breaks turns from PASS
# (fault-free run) to FAIL, and the exit status is non-zero exactly when a must-level assertion
# fails. The runs use --strict (P1-P4 are assertions) with the service's 65536-byte body limit and
# 60 s clock skew. Also checks the default mode (P failures only as '# warning' notes),
# --format json, --format junit (well-formed, counts equal to the text tally, markup and invalid
# UTF-8 escaped) and the --crd section. Usage: RUNNER BROKEN_SERVICE
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
  out=$("$runner" --timing-runs 3 --timing figures --validator structural \
    --max-body-bytes 65536 --clock-skew 60 "${ropts[@]}" \
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

run --strict --
baseline=$out
consistent "fault-free run"

# fault  assertion-it-breaks
while read -r f id; do
  [ -z "$f" ] && continue
  if grep -qE "^PASS $id " <<<"$baseline"; then ok
  else bad "fault-free run: $id is not PASS: $(grep -E "^[A-Z]+ $id " <<<"$baseline")"; continue; fi
  run --strict -- --fault "$f"
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
no-cors-401 T4
no-cors-412 T4
no-cors-413 T4
no-cors-415 T4
future-iat-ok A13
future-nbf-ok A13
null-as-absent H10
feedback-404 F4
unknown-400 P1
no-415 P2
no-413 P3
text-errors P4
TABLE

# The fault-free strict run reports every P assertion as a line and nothing as a warning.
if [ "$(grep -cE '^PASS P[1-4] S ' <<<"$baseline")" -eq 4 ] && ! grep -q '^# warning' <<<"$baseline"
then ok; else bad "--strict fault-free run: not 4 PASS P lines, or a warning"; fi
# Without --strict a P failure is only a warning note: no P line, same exit status.
run -- --fault unknown-400
if ! grep -qE '^[A-Z]+ P[1-4] ' <<<"$out" && grep -qE '^# warning: FAIL P1 S ' <<<"$out"; then ok
else bad "default mode: P1 not a '# warning' note: $(grep -E 'P1' <<<"$out")"; fi
consistent "default mode --fault unknown-400"
# H10 is must-level (the fault-free run already fails A8 M by design, so the exit status alone
# cannot show it): its FAIL line carries M and the exit status is non-zero.
run --strict -- --fault null-as-absent
if grep -qE '^FAIL H10 M ' <<<"$out" && [ $rc -ne 0 ]; then ok
else bad "--fault null-as-absent: no 'FAIL H10 M' line or exit status 0"; fi

# --format junit: well-formed XML, one testcase per text line, counts equal to the text tally;
# a reason carrying markup and an invalid UTF-8 byte (markup-indicator -> C2) is escaped.
junit_counts() { # file -> tests failures skipped of the first suite, then its element counts
  local suite
  suite=$(grep -m1 '<testsuite name="cds-conformance"' "$1")
  echo "$(sed -E 's/.* tests="([0-9]+)".*/\1/' <<<"$suite")" \
    "$(sed -E 's/.* failures="([0-9]+)".*/\1/' <<<"$suite")" \
    "$(sed -E 's/.* skipped="([0-9]+)".*/\1/' <<<"$suite")" \
    "$(grep -c '<testcase ' "$1")" "$(grep -c '<failure ' "$1")" "$(grep -c '<skipped ' "$1")"
}
# well_formed FILE: 0 when xmllint (or Python's parser) accepts it; 2 when neither is installed
# (.ci/install-deps installs neither; then only the counts and the escaping are checked).
well_formed() {
  if command -v xmllint >/dev/null; then xmllint --noout "$1" 2>/dev/null
  elif command -v python3 >/dev/null; then
    python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$1" 2>/dev/null
  else return 2; fi
}
for f in markup-indicator no-cors-401; do
  run --strict -- --fault "$f"
  text_out=$out text_rc=$rc
  xml=$(mktemp /tmp/conformance-junit-XXXXXX.xml)
  run --strict --format junit --output "$xml" -- --fault "$f"
  tally=$(tail -n1 <<<"$text_out" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\1 \2 \4/')
  read -r tp tf ts <<<"$tally"; ts=${ts:-0}
  well_formed "$xml"; wf=$?
  if [ $wf -eq 0 ]; then ok
  elif [ $wf -eq 2 ]; then echo "note: neither xmllint nor python3: XML well-formedness not checked"
  else bad "--format junit --fault $f: not well-formed XML"; head -c 2000 "$xml"; fi
  read -r at af as nc nf ns <<<"$(junit_counts "$xml" 2>&1)"
  if [ "$at" = $((tp + tf + ts)) ] && [ "$af" = "$tf" ] && [ "$as" = "$ts" ] &&
     [ "$nc" = "$at" ] && [ "$nf" = "$af" ] && [ "$ns" = "$as" ]; then ok
  else bad "--format junit --fault $f: counts $at/$af/$as, elements $nc/$nf/$ns, text $tp+$tf+$ts"; fi
  [ "$rc" = "$text_rc" ] && ok || bad "--format junit exit status $rc, text $text_rc"
  if [ "$f" = markup-indicator ]; then
    # the fault's indicator is <b>&"urgent"'\xff</b>: markup escaped, the bad byte -> U+FFFD
    if grep -q 'name="C2 (M)"' "$xml" &&
       grep -qF "&lt;b&gt;&amp;&quot;urgent&quot;&apos;$(printf '\xef\xbf\xbd')&lt;/b&gt;" "$xml" &&
       ! LC_ALL=C grep -q "$(printf '\xff')" "$xml"; then ok
    else bad "--format junit: C2's reason not escaped or not UTF-8: $(grep -A1 'C2 (M)' "$xml")"; fi
  fi
  rm -f "$xml"
done

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
