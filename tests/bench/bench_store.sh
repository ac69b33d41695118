#!/usr/bin/env bash
# bench_store.sh — req/s of `serve` with a decision store (issue 13), printed, never asserted:
# wrk POSTs the UK knee example to /cds-services/commissioning-order-select at 8 and 64
# connections against `serve --store STORE` (default: a SQLite file in a temporary folder, WAL,
# synchronous=FULL: one fsync per commit), and, when a second binary is given (e.g. a build of
# an older commit), against that one too, the binaries alternating run by run on fresh stores;
# prints per run req/s, p99 and errors (socket errors and non-2xx), the median of the runs (a run
# that got no answer at all says why on stderr and is left out), the
# writer's calls per commit (from /metrics) and, with two binaries, the ratio B / A. The machine's
# load is printed first: on a shared 2-core machine the figures move by tens of percent.
# Usage: bench_store.sh SOURCE_DIR BINARY_A [BINARY_B] [SECONDS_PER_RUN] [RUNS] [STORE]
#   STORE: "file" (default, a new SQLite file per run), or a URL ("sqlite::memory:", "-").
# Needs wrk (Debian/Ubuntu: `apt-get install wrk`); without it prints SKIP and exits 0.
set -u
src=$1 a=$2 b=${3:-} secs=${4:-5} runs=${5:-3} store=${6:-file}
if ! command -v wrk >/dev/null 2>&1; then
  echo "SKIP bench-store: wrk is not installed (Debian/Ubuntu: apt-get install wrk)"
  exit 0
fi
knee="$src/../shared/examples/uk-msk-order-select-knee-injection.json"
path=/cds-services/commissioning-order-select
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

. "$(dirname "$0")/bench_lib.sh"
bench_post_lua "$tmp/post.lua"

# one NAME BINARY CONNS RUN: starts serve on a fresh store, one wrk run, stops it; prints
# "req/s p99_ms errors calls_per_commit"
one() {
  local name=$1 bin=$2 conns=$3 n=$4 url= s=$store
  [ "$s" = file ] && s="sqlite:$tmp/$name-$conns-$n.db"
  rm -f "$tmp/serve.out" "$tmp/serve.err" # not the last run's "listening on"
  "$bin" serve --port 0 --store "$s" --decision-log "$tmp/decisions.log" \
    >"$tmp/serve.out" 2>"$tmp/serve.err" &
  pid=$!
  url=$(bench_wait_url "$tmp/serve.out" "$tmp/serve.err")
  [ -n "$url" ] || { echo "bench-store: $name did not start"; cat "$tmp/serve.err"; exit 1; }
  BENCH_BODY=$knee wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$tmp/post.lua" "$url$path" \
    >"$tmp/wrk.out" 2>&1
  local per
  per=$(curl -s "$url/metrics" | awk '
    /^cds_store_writes_total / { w = $2 }
    /^cds_store_commit_duration_seconds_count / { c = $2 }
    END { if (c > 0) printf "%.1f", w / c; else print "-" }')
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  pid=
  grep -q "Requests/sec" "$tmp/wrk.out" || { echo "bench-store: $name: wrk: $(tail -n3 "$tmp/wrk.out"); serve: $(tail -n3 "$tmp/serve.err")" >&2; }
  awk -v per="$per" '
    /Requests\/sec:/ { rps = $2 }
    /^ +99%/ { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) sub(/ms$/, "", v); else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } p99 = v }
    /Socket errors:/ { for (i = 3; i <= NF; i++) { x = $i; gsub(/[^0-9]/, "", x); err += x } }
    /Non-2xx/ { err += $NF }
    END { printf "%.0f %.2f %d %s\n", rps, p99, err, per }' "$tmp/wrk.out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "bench-store: load $(cut -d' ' -f1-3 /proc/loadavg), store $store, ${secs}s x $runs runs, knee example"
for conns in 8 64; do
  : >"$tmp/A.$conns"; : >"$tmp/B.$conns"
  for n in $(seq "$runs"); do
    r=$(one A "$a" "$conns" "$n"); echo "A c=$conns run $n: req/s p99_ms errors calls/commit = $r"
    [ "${r%% *}" != 0 ] && echo "${r%% *}" >>"$tmp/A.$conns"
    if [ -n "$b" ]; then
      r=$(one B "$b" "$conns" "$n"); echo "B c=$conns run $n: req/s p99_ms errors calls/commit = $r"
      [ "${r%% *}" != 0 ] && echo "${r%% *}" >>"$tmp/B.$conns"
    fi
  done
  ma=$(median <"$tmp/A.$conns")
  if [ -n "$b" ]; then
    mb=$(median <"$tmp/B.$conns")
    awk -v c="$conns" -v a="$ma" -v b="$mb" 'BEGIN { printf "c=%s median req/s: A %.0f, B %.0f, B/A %.2f\n", c, a, b, (a > 0 ? b / a : 0) }'
  else
    echo "c=$conns median req/s: $ma"
  fi
done
