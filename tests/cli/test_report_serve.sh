#!/usr/bin/env bash
# test_report_serve.sh — the commissioner's report end to end (issue 13 item 4): `serve --store`
# answers real requests (the UK knee example and two policy-142 cases whose warning cards offer
# override reasons and a suggestion), takes feedback (one card overridden with the card's own
# reason, one accepted with its suggestion, one naming a card nobody showed), and then, while it
# still runs, `report --store` on the same SQLite file and GET /report must show the figures the
# responses imply (computed here from the responses, not from the report); GET /report is 403
# for a loopback peer whose Host is another name, 200 with the admin token; serve stops with 0.
# Usage: test_report_serve.sh BINARY SOURCE_DIR
set -u
. "$(dirname "$0")/cli_lib.sh"
bin=$1 src=$2
shared="$src/../shared"

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$token" >"$tmp/admin-token"
chmod 600 "$tmp/admin-token"
"$bin" serve --port 0 --store "sqlite:$tmp/store.db" --decision-log - --replay-cache - \
  --admin-token-file "$tmp/admin-token" 2>"$tmp/serve.err" &
pid=$!
url=$(wait_serve_url "$tmp/serve.err")
check "serve --store starts and prints its URL" [ -n "$url" ]

i=0
for body in "$shared/examples/uk-msk-order-select-knee-injection.json" \
  "$src/tests/vectors/hny142-injection-A-B-C-D-not-met-E-met-not-commissioned/request.json" \
  "$src/tests/vectors/hny142-aspiration-F-G-not-met-not-commissioned/request.json"; do
  i=$((i + 1))
  curl -s -o "$tmp/resp$i.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$body" "$url/cds-services/commissioning-order-select" >"$tmp/code$i"
  check "service call $i answered 200" grep -qx 200 "$tmp/code$i"
done

# Feedback: the first warning card overridden with its first reason, the second accepted with
# its suggestion, and one for a card no decision has; the expected figures, from the responses.
python3 - "$tmp" <<'PY' >"$tmp/feedback.json"
import json, sys
tmp = sys.argv[1]
cards = []
for i in (1, 2, 3):
    cards += json.load(open(f"{tmp}/resp{i}.json"))["cards"]
warnings = [c for c in cards if c.get("overrideReasons") and c.get("suggestions")]
assert len(warnings) >= 2, cards
over, acc = warnings[0], warnings[1]
reason = over["overrideReasons"][0]
fb = [{"card": over["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-12-01T10:00:00Z",
       "overrideReason": {"reason": reason, "userComment": "free text that must not be stored"}},
      {"card": acc["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-12-01T10:01:00Z",
       "acceptedSuggestions": [{"id": acc["suggestions"][0]["uuid"]}]},
      {"card": "00000000-0000-4000-8000-000000000000", "outcome": "accepted",
       "outcomeTimestamp": "2026-12-01T10:02:00Z",
       "acceptedSuggestions": [{"id": "00000000-0000-4000-8000-000000000001"}]}]
json.dump({"feedback": fb}, sys.stdout)
json.dump({"cards": len(cards), "reason": reason["code"], "over": over["uuid"]},
          open(f"{tmp}/expect.json", "w"))
PY
curl -s -o "$tmp/fb.out" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary "@$tmp/feedback.json" "$url/cds-services/commissioning-order-select/feedback" \
  >"$tmp/fbcode"
check "feedback answered 200" grep -qx 200 "$tmp/fbcode"

# The command line on the store the running service writes.
"$bin" report --store "sqlite:$tmp/store.db" --format json >"$tmp/report.json" 2>"$tmp/report.err"
check "report --store on the running service's store exits 0" [ $? -eq 0 ]
check "report: the figures the responses and the feedback imply" python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
r = json.load(open(f"{tmp}/report.json"))
e = json.load(open(f"{tmp}/expect.json"))
p = r["policies"]
shown = sum(g["cards"]["shown"] for g in p)
assert shown == e["cards"], (shown, e)
assert sum(g["assessments"] for g in p) >= 3, p
assert sum(g["feedback"]["cardsWithFeedback"] for g in p) == 2, p
assert sum(g["feedback"]["cardsOverridden"] for g in p) == 1, p
assert sum(g["feedback"]["suggestionsAccepted"] for g in p) == 1, p
reasons = [x for g in p for x in g["overrides"]["byReason"]]
assert [(x["code"], x["count"]) for x in reasons] == [(e["reason"], 1)], reasons
hny = [g for g in p if g["policy"] == "hny-142-usgi"]
assert hny and hny[0]["overrides"]["rateOfCardsWithFeedback"] == 0.5, hny
assert r["unknownCardFeedback"] == {"items": 1, "byOutcome": {"accepted": 1}}, r
assert all(g["criteria"]["results"] > 0 for g in p), p
PY
check "the clinician's comment is not in the store" \
  bash -c "! grep -qa 'must not be stored' '$tmp/store.db' '$tmp/store.db-wal' 2>/dev/null"

# The page, from the service.
code=$(curl -s -o "$tmp/page.html" -w '%{http_code}' "$url/report")
check "GET /report from loopback: 200" [ "$code" = 200 ]
check "GET /report: the charts and the policy" \
  bash -c "grep -q '<svg id=\"chart-decisions\"' '$tmp/page.html' &&
           grep -q 'hny-142-usgi' '$tmp/page.html' && ! grep -q '<script' '$tmp/page.html'"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/report?from=2099-01-01")
check "GET /report?from=2099-01-01: 200 (an empty period)" [ "$code" = 200 ]
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/report?from=last-week")
check "GET /report?from=last-week: 400" [ "$code" = 400 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: attacker.example' "$url/report")
check "GET /report with a foreign Host (DNS rebinding): 403" [ "$code" = 403 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: attacker.example' \
  -H "Authorization: Bearer $token" "$url/report")
check "GET /report with the admin token: 200" [ "$code" = 200 ]
check "the admin token is never logged" bash -c "! grep -q '$token' '$tmp/serve.err'"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "serve exits 0 after SIGTERM (got $rc)" [ "$rc" -eq 0 ]
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
