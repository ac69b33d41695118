#!/usr/bin/env bash
# test_impact_serve.sh — policy impact end to end (issue 13 item 5): `serve --store` with
# request bodies kept records real requests (five decision cases of tests/vectors/ posted over
# HTTP), then `impact` replays them against copies of policies/: an unchanged copy flips
# nothing (exit 0 with --fail-on-flip), and HNY policy 142 criterion C at three landmark-guided
# injections instead of two flips the case whose two injections gave C (commissioned ->
# not-commissioned, C met -> not-met; exit 3 with --fail-on-flip). The rows are the service's
# own (store/decision_rows.c), decided at today's date, so the assertions name only what the
# threshold can change. Usage: test_impact_serve.sh BINARY SOURCE_DIR
set -u
bin=$1 src=$2
passed=0 failed=0
tmp=$(mktemp -d)
serve_pid=
trap '[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cd "$tmp" || exit 1
"$bin" serve --port "$port" --store "sqlite:$tmp/store.db" --keep-request-bodies 30 \
  --replay-cache - --decision-log - 2>"$tmp/serve.err" &
serve_pid=$!
up=0
for _ in $(seq 1 100); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; then up=1; break; fi
  sleep 0.1
done
check "serve --store with request bodies kept starts" [ $up -eq 1 ]
for v in hny142-injection-C-met-E-met-commissioned-order-sign \
  rt-hny142-e-not-met-responding-well-to-physio hny142-injection-A-met-E-met-commissioned \
  gm070-si-injection-prior-approval-provocation-positive \
  nwl-text-coded-mri-shoulder-general-practice-encounter; do
  body="$src/tests/vectors/$v/request.json"
  hook=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["hook"])' "$body")
  status=$(curl -s -o "$tmp/reply.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data @"$body" "http://127.0.0.1:$port/cds-services/commissioning-$hook")
  check "$v answered 200 (and recorded)" [ "$status" = 200 ]
done
kill -TERM "$serve_pid"
wait "$serve_pid"
check "serve exits 0" [ $? -eq 0 ]
serve_pid=

cp -r "$src/policies" "$tmp/same"
cp -r "$src/policies" "$tmp/c3"
sed -i 's/count() >= 2 or/count() >= 3 or/' "$tmp/c3/hny-142-usgi.policy.json"
check "the copy changes one threshold" \
  bash -c "[ \"\$(diff '$src/policies/hny-142-usgi.policy.json' '$tmp/c3/hny-142-usgi.policy.json' | grep -c '^>')\" = 1 ]"

"$bin" impact --store "sqlite:$tmp/store.db" --policies "$tmp/same" --fail-on-flip \
  >"$tmp/same.out" 2>&1
rc=$?
check "an unchanged copy flips nothing (exit 0 with --fail-on-flip)" [ $rc -eq 0 ]
check "every recorded request was replayed" \
  grep -q 'Requests received at any time: 5 with a stored body: 5 replayed' "$tmp/same.out"
check "and its decisions compared, none changed" grep -q 'changed: 0 ' "$tmp/same.out"

"$bin" impact --store "sqlite:$tmp/store.db" --policies "$tmp/c3" --fail-on-flip \
  --format json >"$tmp/c3.json" 2>"$tmp/c3.err"
rc=$?
check "the threshold flips a decision (exit 3 with --fail-on-flip)" [ $rc -eq 3 ]
check "C at three injections: the two-injection case goes commissioned -> not-commissioned, only C changes" \
  python3 - "$tmp/c3.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["requests"]["replayed"] == 5 and r["requests"]["notReplayable"] == 0, r["requests"]
p = {x["policy"]: x for x in r["policies"]}
hny = p["hny-142-usgi"]
flip = [t for t in hny["transitions"]
        if t["old"] == "commissioned" and t["new"] == "not-commissioned"]
assert flip and "9d6703ce-91ac-503e-8957-0097381bd847" in flip[0]["hookInstances"], hny
assert all(c["criterion"] == "C" and c["old"] == "met" and c["new"] == "not-met"
           for c in hny["criteria"]) and hny["criteria"], hny["criteria"]
for other in ("gm070-facet-joint-injections", "nwl-msk-imaging"):
    assert p[other]["changed"] == 0 and p[other]["compared"] == 1, p[other]
PY
"$bin" impact --store "sqlite:$tmp/store.db" --policies "$tmp/c3" >"$tmp/c3.out" 2>&1
check "without --fail-on-flip a flip still exits 0" [ $? -eq 0 ]
check "the text names the case" grep -q 'commissioned     -> not-commissioned .*9d6703ce' "$tmp/c3.out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
