#!/usr/bin/env bash
# test_watch_serve.sh — `serve --watch` (issue 14 item 1) end to end: `serve` runs on a copy of
# policies/ and of deployment.json (--config, which sets limits.watchQuietMs) with --watch, and
# the test changes files the way people and tools do, then waits (polling, bounded, never timed)
# on /metrics' cds_reloads_total{result,trigger="watch"} and on the policyVersion a GM070
# order-select request gets:
#  - the GM070 policy's version written in place, then by a rename over it (with an editor's swap
#    and backup files written beside it, which must not count): each one reload, the new version
#    served;
#  - a broken copy (not JSON): refused, its file named in the log, the old version serving on;
#    restored: reloaded;
#  - the config file (another folder) changed: reloaded, the deployment's new name logged;
#  - a burst of 20 writes: far fewer reloads than 20 (the quiet period), the last version served;
#  - the policy moved into a new folder, then changed there: served (new folders are watched);
#  - SIGHUP still reloads, counted under trigger="signal"; SIGTERM: exit 0.
# Then `check --config` accepts server.watch and limits.watchQuietMs and refuses a wrong type,
# and `serve` with server.watch in the file (no --watch) watches too, on --policies given as a
# symlink that is then swapped to another folder: the new folder is served, and watched; and an
# issuer's JWKS file is watched (broken: refused; restored by a rename: reloaded).
# Usage: test_watch_serve.sh BINARY SOURCE_DIR
set -u
. "$(dirname "$0")/cli_lib.sh"
bin=$1 src=$2
policy_name=gm070-facet-joint-injections.policy.json
request="$src/tests/vectors/gm070-cervical-facet-not-commissioned-ifr/request.json"

cp -R "$src/policies" "$tmp/policies"
mkdir "$tmp/etc"
# the config file in a folder of its own, with a quiet period long enough for a loaded machine
sed 's/^{/{"server": {"limits": {"watchQuietMs": 500}},/' "$src/policies/deployment.json" \
  >"$tmp/etc/deployment.json"
policy="$tmp/policies/$policy_name"
original=$(cat "$policy")
check "the shipped GM070 is version 3.1" grep -q '"version": "3.1"' "$policy"
with_version() { sed "s/\"version\": \"3.1\"/\"version\": \"$1\"/" <<<"$original"; }

"$bin" serve --port 0 --policies "$tmp/policies" --config "$tmp/etc/deployment.json" \
  --decision-log - --store - --watch 2>"$tmp/serve.err" &
pid=$!
url=$(wait_serve_url "$tmp/serve.err")
check "serve starts and prints its URL" [ -n "$url" ]
if [ -z "$url" ]; then cat "$tmp/serve.err"; echo "$passed passed, $failed failed"; exit 1; fi

# reloads RESULT TRIGGER: the counter's value now
reloads() {
  curl -s "$url/metrics" | sed -n "s/^cds_reloads_total{result=\"$1\",trigger=\"$2\"} //p"
}
# served: the policyVersion a new GM070 request gets
served() {
  curl -s -H 'Content-Type: application/json' --data-binary "@$request" \
    "$url/cds-services/commissioning-order-select" |
    grep -o '"policyVersion":"[^"]*"' | head -1 | sed 's/.*:"\(.*\)"/\1/'
}
# wait_for DESCRIPTION COMMAND...: polls the command until it succeeds (at most ~60 s)
wait_for() {
  local what=$1; shift
  for _ in $(seq 600); do
    "$@" && { passed=$((passed + 1)); return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  failed=$((failed + 1)); echo "FAIL: $what"; return 1
}
is() { [ "$($1 "${@:3}")" = "$2" ]; } # is FUNCTION EXPECTED ARGS...

wait_for "serve says it watches" grep -q 'watch: reloading when the configuration' "$tmp/serve.err"

check "before any change: policyVersion 3.1" [ "$(served)" = 3.1 ]
check "no reload yet" [ "$(reloads success watch)/$(reloads failure watch)" = 0/0 ]

# 1. written in place (truncate and write: IN_CLOSE_WRITE)
with_version 3.1-a >"$policy"
wait_for "in place: one watched reload" is reloads 1 success watch
wait_for "in place: policyVersion 3.1-a served" is served 3.1-a

# 2. by a rename over it, with an editor's swap and backup files beside it (ignored)
echo swap >"$tmp/policies/.$policy_name.swp"
echo backup >"$policy~"
echo probe >"$tmp/policies/4913"
with_version 3.1-b >"$tmp/policies/.new"
mv "$tmp/policies/.new" "$policy"
wait_for "rename: policyVersion 3.1-b served" is served 3.1-b
# (a reload is counted just after its swap: wait for the count too, then it must be exact)
wait_for "rename: one more reload" is reloads 2 success watch
check "rename: swap and backup files not counted ($(reloads success watch))" \
  [ "$(reloads success watch)/$(reloads failure watch)" = 2/0 ]
check "the swap and backup files are not named as changes" \
  bash -c "! grep 'watch: .*change' '$tmp/serve.err' | grep -q -e '\.swp' -e '~' -e 4913"
rm -f "$tmp/policies/.$policy_name.swp" "$policy~" "$tmp/policies/4913"

# 3. broken (not JSON): refused, the old version serves on
head -c 200 <<<"$original" >"$policy"
wait_for "broken: counted as a refused watched reload" is reloads 1 failure watch
check "broken: policyVersion 3.1-b still served" [ "$(served)" = 3.1-b ]
check "broken: the refusal is logged" grep -q 'cds-commissioning: reload refused:' "$tmp/serve.err"
check "broken: the log names the file" grep -q "reload: $policy: " "$tmp/serve.err"
# restored
with_version 3.1-c >"$tmp/policies/.new" && mv "$tmp/policies/.new" "$policy"
wait_for "restored: reloaded" is reloads 3 success watch
wait_for "restored: policyVersion 3.1-c served" is served 3.1-c

# 4. the config file, in another folder: the deployment's name
sed -i 's/"name": "demo"/"name": "demo-watched"/' "$tmp/etc/deployment.json"
wait_for "config file: reloaded" is reloads 4 success watch
check "config file: the new deployment is served" \
  grep -q "(deployment 'demo-watched', 3 policies)" "$tmp/serve.err"

# 5. a burst of 20 writes: far fewer reloads than 20, the last version served
before=$(($(reloads success watch) + $(reloads failure watch)))
burst_texts=()
for i in $(seq 20); do burst_texts[i]=$(with_version "3.1-burst-$i"); done
for i in $(seq 20); do printf '%s\n' "${burst_texts[i]}" >"$policy"; done # no fork between
wait_for "burst: the last write's version is served" is served 3.1-burst-20
more() { [ $(($(reloads success watch) + $(reloads failure watch))) -gt "$before" ]; }
wait_for "burst: counted" more
burst=$(($(reloads success watch) + $(reloads failure watch) - before))
echo "burst of 20 writes: $burst reload(s)"
check "burst: at most 5 reloads for 20 writes ($burst)" test "$burst" -ge 1 -a "$burst" -le 5

# 6. a new folder: its files are watched from the moment it appears
before=$(($(reloads success watch) + $(reloads failure watch)))
mkdir "$tmp/policies/moved"
mv "$policy" "$tmp/policies/moved/"
policy="$tmp/policies/moved/$policy_name"
wait_for "new folder: the move is reloaded" more
with_version 3.1-moved >"$policy" # in place, in the new folder: only its own watch sees this
wait_for "new folder: a change inside it is served" is served 3.1-moved

# 7. SIGHUP still reloads, counted apart
kill -HUP "$pid"
wait_for "SIGHUP: counted under trigger=signal" is reloads 1 success signal

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "serve exits 0 after SIGTERM (got $rc)" [ "$rc" -eq 0 ]

# The config file: server.watch and limits.watchQuietMs are settings `check` knows.
sed 's/^{/{"server": {"watch": true, "limits": {"watchQuietMs": 50}},/' \
  "$src/policies/deployment.json" >"$tmp/watch.json"
check "check --config accepts server.watch" \
  "$bin" check --policies "$tmp/policies" --config "$tmp/watch.json" >/dev/null 2>&1
sed 's/^{/{"server": {"watch": "yes", "limits": {"watchQuietMs": 5}},/' \
  "$src/policies/deployment.json" >"$tmp/bad.json"
"$bin" check --policies "$tmp/policies" --config "$tmp/bad.json" >/dev/null 2>"$tmp/check.err"
check "check --config refuses a wrong watch" grep -q 'bad.json#/server/watch: must be true or false' "$tmp/check.err"
check "check --config refuses a watchQuietMs out of range" \
  grep -q 'bad.json#/server/limits/watchQuietMs: watchQuietMs must be an integer from 10' "$tmp/check.err"
# serve with server.watch from the file, no --watch, on a symlink to the policies folder that
# is then swapped to another folder (as a deployment does, atomically by rename)
ln -s policies "$tmp/live"
"$bin" serve --port 0 --policies "$tmp/live" --config "$tmp/watch.json" --decision-log - \
  --store - 2>"$tmp/serve2.err" &
pid=$!
url=$(wait_serve_url "$tmp/serve2.err")
check "serve with server.watch starts" [ -n "$url" ]
wait_for "serve with server.watch watches" grep -q 'watch: reloading when' "$tmp/serve2.err"
with_version 3.1-file >"$policy"
[ -n "$url" ] && wait_for "server.watch: the change is served" is served 3.1-file
cp -R "$tmp/policies" "$tmp/policies-2"
with_version 3.1-swapped >"$tmp/policies-2/moved/$policy_name"
ln -s policies-2 "$tmp/live.new" && mv -T "$tmp/live.new" "$tmp/live"
[ -n "$url" ] && wait_for "symlink swapped: the new folder is served" is served 3.1-swapped
with_version 3.1-swapped-b >"$tmp/policies-2/moved/$policy_name"
[ -n "$url" ] && wait_for "symlink swapped: the new folder is watched" is served 3.1-swapped-b
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "serve (server.watch) exits 0 after SIGTERM (got $rc)" [ "$rc" -eq 0 ]

# An issuer's JWKS file (the embedded configuration): broken, refused; restored, reloaded.
mkdir "$tmp/keys"
cp "$src/tests/fixtures/sandbox-jwks.json" "$tmp/keys/jwks.json"
"$bin" serve --port 0 --decision-log - --store - --replay-cache - --watch \
  --issuer "https://sandbox.cds-hooks.org=$tmp/keys/jwks.json" 2>"$tmp/serve3.err" &
pid=$!
url=$(wait_serve_url "$tmp/serve3.err")
check "serve with an issuer's JWKS file starts" [ -n "$url" ]
if [ -n "$url" ]; then
  wait_for "JWKS: serve says it watches" grep -q 'watch: reloading when' "$tmp/serve3.err"
  echo '{' >"$tmp/keys/jwks.json"
  wait_for "JWKS: a broken file is refused" is reloads 1 failure watch
  check "JWKS: the refusal names the file" grep -q "reload: $tmp/keys/jwks.json: " "$tmp/serve3.err"
  cp "$src/tests/fixtures/sandbox-jwks.json" "$tmp/keys/.jwks.new"
  mv "$tmp/keys/.jwks.new" "$tmp/keys/jwks.json"
  wait_for "JWKS: restored by a rename, reloaded" is reloads 1 success watch
fi
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "serve (JWKS) exits 0 after SIGTERM (got $rc)" [ "$rc" -eq 0 ]
[ "$failed" -eq 0 ] || { echo "---- serve's log"; tail -40 "$tmp/serve.err"; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
