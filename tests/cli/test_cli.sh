#!/usr/bin/env bash
# test_cli.sh — the command line as a user meets it: --help on every command, eval printing
# the response for a real request, check and serve refusing a broken configuration with file
# and JSON pointer, serve refusing a non-loopback bind, test on
# decision cases (pass, diffs, coverage), the config file's "server" object (every error at
# once, port/logFormat/decisionLog honoured, JSON access-log lines). Usage: test_cli.sh BINARY SOURCE_DIR
set -u
bin=$1 src=$2
shared="$src/../shared"
passed=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}

for cmd in "" serve eval check draft purge impact; do
  # shellcheck disable=SC2086
  check "'$cmd --help' exits 0 and prints usage" \
    bash -c "'$bin' $cmd --help >'$tmp/out' 2>&1 && grep -qi usage '$tmp/out'"
done
check "an unknown command exits 2" bash -c "'$bin' frobnicate >/dev/null 2>&1; [ \$? -eq 2 ]"

"$bin" eval --decision-log - --now 2025-01-15T12:00:00Z \
  "$shared/examples/uk-msk-order-select-knee-injection.json" >"$tmp/eval.json" 2>"$tmp/eval.err"
rc=$?
check "eval of the UK example exits 0" [ $rc -eq 0 ]
check "eval prints a card for the selected USGI order" \
  grep -q '"order":"ServiceRequest/sr-knee-injection-us"' "$tmp/eval.json"
check "eval does not assess the unselected MRI" \
  bash -c "! grep -q 'ServiceRequest/sr-mri-knee\"' '$tmp/eval.json'"
check "eval reads stdin with '-'" bash -c "'$bin' eval --decision-log - - \
  <'$shared/examples/inferno-crd-spec-fixture-order-sign.json' | grep -q '\"cards\":\[\]'"
printf '{"hook":"order-select"' >"$tmp/bad.json"
"$bin" eval --decision-log - "$tmp/bad.json" >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
check "eval of malformed JSON exits 1" [ $rc -eq 1 ]
check "eval of malformed JSON prints an OperationOutcome" grep -q OperationOutcome "$tmp/bad.out"

"$bin" check >"$tmp/check.out" 2>&1
check "check passes on the embedded configuration" [ $? -eq 0 ]
"$bin" check --policies "$src/tests/fixtures/engine-bad" >"$tmp/check.out" 2>&1
rc=$?
check "check fails on a broken configuration" [ $rc -eq 1 ]
check "check names file and JSON pointer" grep -q 'bad.policy.json#/criteria/0/met' "$tmp/check.out"
check "check names the truncated file" grep -q 'trunc.policy.json' "$tmp/check.out"
check "check names the ValueSet error" grep -q 'valuesets/broken.json#/compose/include/0' "$tmp/check.out"
# issue 10 item 8: unknown keys, unknown memberOf url, SNOMED CT check digit, summary length
check "check names an unknown policy key" \
  grep -q "schema.policy.json#/outcomes/0/suggestions/0/isRecomended: unknown key" "$tmp/check.out"
check "check names an unknown deployment key" \
  grep -q "deployment.json#/showQuietCard: unknown key" "$tmp/check.out"
check "check names an unknown memberOf ValueSet" \
  grep -q "schema.policy.json#/criteria/0/met: memberOf('urn:test:ValueSet:nosuch')" "$tmp/check.out"
check "check names a SNOMED CT id failing Verhoeff" \
  grep -q "valuesets/bad-snomed.json#/compose/include/0/concept/1/code: '241641005'" "$tmp/check.out"
check "check names a summary of 140 characters or more" \
  grep -q "schema.policy.json#/outcomes/0/summary: the summary template has 149" "$tmp/check.out"

timeout 10 "$bin" serve --port 0 --policies "$src/tests/fixtures/engine-bad" >"$tmp/serve.out" 2>&1
rc=$?
check "serve refuses to start on a broken configuration" [ $rc -eq 1 ]
check "serve says which file is broken" grep -q 'bad.policy.json#' "$tmp/serve.out"
timeout 10 "$bin" serve --bind 0.0.0.0 --port 0 >"$tmp/bind.out" 2>&1
rc=$?
check "serve refuses a non-loopback bind without client authentication" [ $rc -ne 0 ]
check "and says why" grep -qi 'loopback' "$tmp/bind.out"

# fhirpath: try an expression against a resource (issue 6); output is one JSON array.
pat="$shared/fhirpath-tests/resources/patient-example.json"
check "fhirpath --help exits 0 and prints usage" \
  bash -c "'$bin' fhirpath --help 2>&1 | grep -qi usage"
got=$("$bin" fhirpath --resource "$pat" "Patient.name.where(use = 'official').given")
check "fhirpath prints strings as a JSON array" [ "$got" = '["Peter","James"]' ]
printf '%s\n' '[true,3,1.50,"1974-12-25","2021-03-01T10:00:00Z","T10:30","4.0 '"'mg'"'","3 '"'months'"'"]' \
  >"$tmp/fp.want"
"$bin" fhirpath --resource "$pat" "Patient.active | 1 + 2 | 1.50 | Patient.birthDate | \
@2021-03-01T10:00:00Z | @T10:30 | 4.0 'mg' | 3 months" >"$tmp/fp.out" 2>"$tmp/fp.err"
check "fhirpath prints booleans, numbers at their scale, dates without @, quantities" \
  cmp -s "$tmp/fp.want" "$tmp/fp.out"
printf '{"resourceType":"Organization","id":"1","name":"Acme"}' >"$tmp/org.json"
check "fhirpath --var NAME=FILE binds %NAME" bash -c "[ \"\$('$bin' fhirpath \
  --var org='$tmp/org.json' '%org.name')\" = '[\"Acme\"]' ]"
"$bin" fhirpath "1 + " >"$tmp/fp.out" 2>"$tmp/fp.err"
rc=$?
check "fhirpath: a syntax error exits 1" [ $rc -eq 1 ]
check "fhirpath: a syntax error names its position" grep -q 'position 5' "$tmp/fp.err"
"$bin" fhirpath "(1 | 2).substring(1)" >"$tmp/fp.out" 2>"$tmp/fp.err"
rc=$?
check "fhirpath: an evaluation error exits 1 with its position" \
  bash -c "[ $rc -eq 1 ] && grep -q 'position 9' '$tmp/fp.err' && [ ! -s '$tmp/fp.out' ]"
check "fhirpath without an expression exits 2" \
  bash -c "'$bin' fhirpath >/dev/null 2>&1; [ \$? -eq 2 ]"

# test: decision cases like `opa test` (issue 10 item 7). Copies in $tmp, so the checks hold
# whatever other vectors say: a case with no MSK order (nothing triggers), then broken copies.
vec="$src/tests/vectors"
check "test --help exits 0 and prints usage" \
  bash -c "'$bin' test --help 2>&1 | grep -qi usage"
check "test without a CASE exits 2" bash -c "'$bin' test >/dev/null 2>&1; [ \$? -eq 2 ]"
check "test of a missing folder exits 2" \
  bash -c "'$bin' test '$tmp/no-such-folder' >/dev/null 2>&1; [ \$? -eq 2 ]"
check "test of a folder without cases exits 2" \
  bash -c "mkdir -p '$tmp/empty/sub' && '$bin' test '$tmp/empty' >/dev/null 2>&1; [ \$? -eq 2 ]"
mkdir -p "$tmp/cases/nested"
cp -r "$vec/no-msk-order-no-prefetch-200" "$tmp/cases/nested/quiet"
"$bin" test "$tmp/cases" >"$tmp/test.out" 2>&1
rc=$?
check "test of a passing folder of cases exits 0" [ $rc -eq 0 ]
check "test names each case below the folder" grep -qx 'PASS nested/quiet' "$tmp/test.out"
check "test prints the totals" grep -qx '1 passed, 0 failed' "$tmp/test.out"
check "test prints coverage per policy with what was never reached" \
  bash -c "grep -q '^hny-142-usgi 142: 0 assessments' '$tmp/test.out' && \
  grep -q 'A never assessed' '$tmp/test.out' && grep -q 'injection-commissioned never' '$tmp/test.out'"
check "test --no-coverage prints no coverage" bash -c "'$bin' test --no-coverage \
  '$tmp/cases/nested/quiet' | grep -q 'PASS' && ! '$bin' test --no-coverage \
  '$tmp/cases/nested/quiet' | grep -q 'hny-142-usgi'"
mkdir -p "$tmp/broken"
cp -r "$vec/no-msk-order-no-prefetch-200" "$tmp/broken/status"
sed -e 's/"status": 200/"status": 412/' \
  -e 's/"decisions": \[\]/"decisions": [{"policy": "p", "order": "ServiceRequest\/x", "decision": "commissioned"}]/' \
  "$vec/no-msk-order-no-prefetch-200/expected.json" >"$tmp/broken/status/expected.json"
cp -r "$vec/no-msk-order-no-prefetch-200" "$tmp/broken/cards"
sed -e 's/"cards": \[\]/"cards": [{"indicator": "warning", "policy": "hny-142-usgi", "order": "ServiceRequest\/sr", "decision": "not-commissioned", "criteria": {"A": "met"}}]/' \
  "$vec/no-msk-order-no-prefetch-200/expected.json" >"$tmp/broken/cards/expected.json"
cp -r "$vec/no-msk-order-no-prefetch-200" "$tmp/broken/notjson"
printf '{"status": 200,' >"$tmp/broken/notjson/expected.json"
card=hny142-injection-A-met-E-not-met-recent-onset-not-commissioned # one card, A to E listed
cp -r "$vec/$card" "$tmp/broken/criteria"
sed -e 's/"A": "met"/"A": "bogus-state"/' -e '/"B": /d' "$vec/$card/expected.json" \
  >"$tmp/broken/criteria/expected.json"
"$bin" test "$tmp/broken" "$tmp/cases" >"$tmp/broken.out" 2>&1
rc=$?
check "test with a broken expected.json exits 1" [ $rc -eq 1 ]
check "test prints FAIL with the case name" grep -qx 'FAIL status' "$tmp/broken.out"
check "test diff: status expected vs actual" \
  grep -q '^    status: expected 412, actual 200' "$tmp/broken.out"
check "test diff: decision records expected vs actual, listed" bash -c "grep -q \
  '^    decisions: expected 1 records, actual 0' '$tmp/broken.out' && grep -q \
  'expected\\[0\\]: p ServiceRequest/x commissioned' '$tmp/broken.out'"
check "test diff: cards expected vs actual, listed" bash -c "grep -q \
  '^    cards: expected 1, actual 0' '$tmp/broken.out' && grep -q \
  'expected\\[0\\]: warning hny-142-usgi ServiceRequest/sr not-commissioned' '$tmp/broken.out'"
check "test diff: a criterion's state expected vs actual" \
  grep -q '^    cards\[0\]\.criteria\.A: expected bogus-state, actual ' "$tmp/broken.out"
check "test diff: a criterion on the card that the case does not expect" \
  grep -q '^    cards\[0\]\.criteria\.B: expected (not on the card), actual ' "$tmp/broken.out"
check "test names an expected.json that is not JSON" \
  grep -q '^    expected.json: not JSON' "$tmp/broken.out"
check "test still runs the passing case after failures" grep -qx 'PASS nested/quiet' "$tmp/broken.out"
check "test counts every case" grep -qx '1 passed, 4 failed' "$tmp/broken.out"

# issue 15 item 4: the drafted IFR / prior-approval request as Markdown
v="$src/tests/vectors/draft-gm070-si-prior-approval-no-provocation-test-sacroiliitis/request.json"
"$bin" draft --now 2025-01-15T12:00:00Z "$v" >"$tmp/draft.md" 2>"$tmp/draft.err"
rc=$?
check "draft of an SI prior-approval request exits 0" [ $rc -eq 0 ]
check "draft prints the Questionnaire's title as the heading" \
  grep -qx '# GM070 individual prior approval: image-guided sacroiliac joint injection' "$tmp/draft.md"
check "draft prints the criterion the record shows, with its evidence" bash -c \
  "grep -qx '### Evidence of degenerative sacroiliitis' '$tmp/draft.md' && grep -q \
  'show it:\*\* \`Condition/cond-sacroiliitis\`' '$tmp/draft.md'"
check "draft lists what is still to complete" bash -c "grep -qx '## Still to complete' \
  '$tmp/draft.md' && grep -qx -- '- Response to the treatment (MedicationRequest/med-naproxen)' \
  '$tmp/draft.md'"
check "draft does not state a provocation test the record lacks" \
  bash -c "! grep -qi provocation '$tmp/draft.md'"
check "draft reads stdin with '-'" bash -c "'$bin' draft --now 2025-01-15T12:00:00Z - <'$v' \
  | cmp -s - '$tmp/draft.md'"
"$bin" draft --now 2025-01-15T12:00:00Z \
  "$src/tests/vectors/gm070-facet-contraindicated-apixaban-medication/request.json" \
  >"$tmp/none.md" 2>"$tmp/none.err"
rc=$?
check "draft with no IFR or prior-approval card exits 1 and says so" \
  bash -c "[ $rc -eq 1 ] && [ ! -s '$tmp/none.md' ] && grep -q 'no card drafts' '$tmp/none.err'"
check "draft without a FILE is a usage error (2)" \
  bash -c "'$bin' draft >/dev/null 2>&1; [ \$? -eq 2 ]"


# The config file (issue 14 item 6): every error of a bad "server" object at once, each with
# file and JSON pointer; check refuses what serve would.
cp "$src/policies/deployment.json" "$tmp/dep-bad.json"
python3 - "$tmp/dep-bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["server"] = {"prot": 8081, "tls": {"cert": "c.pem", "key": "k.pem", "ca": "x"},
               "limits": {"maxInFlight": 0},
               "store": {"url": "mysql://db", "requestBodies": {"keep": True, "days": 3}}}
json.dump(d, open(sys.argv[1], "w"))
PY
for cmd in check serve; do
  "$bin" $cmd --config "$tmp/dep-bad.json" >"$tmp/cfg.out" 2>"$tmp/cfg.err"
  rc=$?
  check "$cmd --config refuses unknown server keys and a bad limit (exit 1)" [ $rc -eq 1 ]
  check "$cmd --config reports all five errors with file and pointer" bash -c "
    grep -q 'dep-bad.json#/server/prot: unknown key' '$tmp/cfg.err' &&
    grep -q 'dep-bad.json#/server/tls/ca: unknown key' '$tmp/cfg.err' &&
    grep -q 'dep-bad.json#/server/limits/maxInFlight: .*from 1 to 65536' '$tmp/cfg.err' &&
    grep -q 'dep-bad.json#/server/store/url: .mysql://db. is not a store' '$tmp/cfg.err' &&
    grep -q 'dep-bad.json#/server/store/requestBodies/days: unknown key' '$tmp/cfg.err' &&
    grep -q 'has 5 errors' '$tmp/cfg.err'"
done

# serve takes port, log format and decision log from the config file; --log-format json
# access-log lines are JSON objects.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cp "$src/policies/deployment.json" "$tmp/dep-port.json"
python3 - "$tmp/dep-port.json" "$port" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["server"] = {"port": int(sys.argv[2]), "logFormat": "json", "decisionLog": "decisions.log",
               "replayCacheFile": "-",
               "store": {"url": "sqlite:store.db",
                         "requestBodies": {"keep": True, "retentionDays": 0}}}
json.dump(d, open(sys.argv[1], "w"))
PY
"$bin" serve --config "$tmp/dep-port.json" 2>"$tmp/port.err" &
serve_pid=$!
up=0
for _ in $(seq 1 100); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; then up=1; break; fi
  sleep 0.1
done
check "serve listens on the config file's server.port" [ $up -eq 1 ]
curl -s -o /dev/null -H 'Content-Type: application/json' \
  --data @"$shared/examples/uk-msk-order-select-knee-injection.json" \
  "http://127.0.0.1:$port/cds-services/commissioning-order-select"
kill -TERM $serve_pid
wait $serve_pid
check "serve exits 0 on SIGTERM" [ $? -eq 0 ]
check "logFormat json: every access-log line is a JSON object with method, path, status" \
  python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
paths = [l["path"] for l in lines if "status" in l and "method" in l]
assert "/healthz" in paths and "/cds-services/commissioning-order-select" in paths, lines
' "$tmp/port.err"
check "decisionLog: the decision log is written beside the config file" \
  grep -q '"hookInstance"' "$tmp/decisions.log"
# issue 13: the store from the config file, beside it; its key created and said so; bodies kept
# with retention 0 are purged by `purge`
check "store: the SQLite file and its patient key are created beside the config file" \
  bash -c "[ -s '$tmp/store.db' ] && [ \"\$(stat -c %a '$tmp/store.db.patient-key')\" = 600 ]"
check "store: serve logs the store and that it created the key" \
  bash -c "grep -q 'store: sqlite:$tmp/store.db (sqlite, schema v' '$tmp/port.err' &&
           grep -q 'request bodies kept 0 days' '$tmp/port.err' &&
           grep -q 'patient key $tmp/store.db.patient-key (created now' '$tmp/port.err'"
"$bin" purge --store "sqlite:$tmp/store.db" >"$tmp/purge.out" 2>&1
rc=$?
check "purge removes the body kept for 0 days" \
  bash -c "[ $rc -eq 0 ] && grep -qx 'purged 1 expired request body' '$tmp/purge.out'"
check "purge without --store is a usage error (2)" \
  bash -c "'$bin' purge >/dev/null 2>&1; [ \$? -eq 2 ]"
check "serve --store refuses a URL of no known kind (exit 2)" \
  bash -c "'$bin' serve --store mysql://db >'$tmp/st.err' 2>&1; [ \$? -eq 2 ] &&
           grep -q 'is not a store' '$tmp/st.err'"
check "serve --help says that --store - means the decision log only" \
  bash -c "'$bin' serve --help | grep -q \"'-': none, the decision log only\""
check "--log-format rejects an unknown format (exit 2)" \
  bash -c "'$bin' serve --log-format xml >/dev/null 2>&1; [ \$? -eq 2 ]"

# policy impact (issue 13 item 5): the runs on a store are tests/unit/test_impact.c
check "impact without --store exits 2" \
  bash -c "'$bin' impact --policies '$src/policies' >/dev/null 2>&1; [ \$? -eq 2 ]"
check "impact --format xml exits 2" bash -c "'$bin' impact --store sqlite:'$tmp/s.db' \
  --policies '$src/policies' --format xml >/dev/null 2>&1; [ \$? -eq 2 ]"
check "impact --from yesterday exits 2" bash -c "'$bin' impact --store sqlite:'$tmp/s.db' \
  --policies '$src/policies' --from yesterday >/dev/null 2>&1; [ \$? -eq 2 ]"
"$bin" impact --store "sqlite:$tmp/none.db" --policies "$src/tests/fixtures/engine-bad" \
  >"$tmp/impact.out" 2>&1
rc=$?
check "impact refuses a broken policy set (exit 1)" [ $rc -eq 1 ]
check "impact names file and JSON pointer" grep -q 'bad.policy.json#/criteria/0/met' "$tmp/impact.out"
"$bin" impact --store "sqlite:$tmp/none.db" --policies "$src/policies" >"$tmp/impact.out" 2>&1
rc=$?
check "impact on an absent store exits 1" [ $rc -eq 1 ]
check "impact says there is no store" grep -q "no store at $tmp/none.db" "$tmp/impact.out"
check "impact does not create the store" [ ! -e "$tmp/none.db" ]

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
