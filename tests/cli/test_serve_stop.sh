#!/usr/bin/env bash
# test_serve_stop.sh — SIGTERM and the decision log end to end (issue 12 item 5): `serve`
# answers 200 order-select requests (8 at a time, curl), is sent SIGTERM at once, and must exit
# 0 with one decision-log line per record of every request answered 200 (as many as `eval`
# writes for the same body), each line whole and the file ending in a newline. (That a close
# drains lines still queued is shown deterministically by tests/unit/test_log.c, which can hold
# the writer.) Usage: test_serve_stop.sh BINARY SOURCE_DIR
set -u
. "$(dirname "$0")/cli_lib.sh"
bin=$1 src=$2
body="$src/../shared/examples/uk-msk-order-select-knee-injection.json"
requests=200

# Records one request writes, by the same code path offline.
"$bin" eval --decision-log "$tmp/eval.log" "$body" >/dev/null 2>&1
per=$(wc -l <"$tmp/eval.log")
check "eval writes decision records for the example ($per)" [ "$per" -ge 1 ]

"$bin" serve --port 0 --decision-log "$tmp/decisions.log" 2>"$tmp/serve.err" &
pid=$!
url=$(wait_serve_url "$tmp/serve.err")
check "serve starts and prints its URL" [ -n "$url" ]
seq "$requests" | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
  -H 'Content-Type: application/json' --data-binary "@$body" \
  "$url/cds-services/commissioning-order-select" >"$tmp/codes" 2>/dev/null
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
ok=$(grep -c '^200$' "$tmp/codes")
check "serve exits 0 after SIGTERM (got $rc)" [ "$rc" -eq 0 ]
check "every request answered 200 ($ok of $requests)" [ "$ok" -eq "$requests" ]
lines=$(wc -l <"$tmp/decisions.log")
check "one decision line per record: $lines lines for $ok requests x $per" \
  [ "$lines" -eq $((ok * per)) ]
whole=$(grep -c '^{.*}$' "$tmp/decisions.log")
check "every decision line is one whole JSON object ($whole of $lines)" [ "$whole" -eq "$lines" ]
check "the last byte of the log is a newline" [ "$(tail -c1 "$tmp/decisions.log" | od -An -c | tr -d ' ')" = '\n' ]
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
