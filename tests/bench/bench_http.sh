#!/usr/bin/env bash
# bench_http.sh — our req/s beside a bare libmicrohttpd server (issue 12 items 4 and 7), printed,
# never asserted. Runs wrk against `cds-commissioning serve` and tests/bench/bare_server.c (same
# threading model: one polling thread + 4 workers with suspend/resume; and its --inline variant,
# which answers on the polling thread) on the same bodies: the UK knee example and a coded order
# (a decision vector: a SNOMED-coded MRI shoulder), POSTed to /cds-services/commissioning-order-
# select, at 8 and 64 connections, the servers alternating run by run; prints per run and the
# median of the runs: req/s, the ratio ours / bare, p99 latency and errors (socket errors and
# non-2xx answers). Our decision log and access log go to files, as in production. The
# machine's load is printed first: on a shared 2-core machine the figures move by tens of
# percent; compare ratios from one run of this script.
# Usage: bench_http.sh CDS_BINARY BARE_BINARY SOURCE_DIR [SECONDS_PER_RUN] [RUNS] [SERVE_OPTION...]
# (e.g. `--store -` to measure without the decision store; by default serve keeps its SQLite
# store, in the temporary folder, as deployed).
# BENCH_HTTP_BEFORE=OTHER_CDS_BINARY adds a fourth server to every round, OTHER_CDS_BINARY serve with
# the same options (e.g. a build of an earlier commit), so that before and after are measured in
# the same window: its columns and the median of its per-run ratios follow ours.
# Needs wrk (Debian/Ubuntu: `apt-get install wrk`); without it prints SKIP and exits 0.
set -u
ours=$1 bare=$2 src=$3 secs=${4:-5} runs=${5:-3}
shift $(($# < 5 ? $# : 5))
extra=("$@")
if ! command -v wrk >/dev/null 2>&1; then
  echo "SKIP bench-http: wrk is not installed (Debian/Ubuntu: apt-get install wrk)"
  exit 0
fi
knee="$src/../shared/examples/uk-msk-order-select-knee-injection.json"
coded="$src/tests/vectors/rt11n-mri-shoulder-coded-241633004-bodysite-right-impingement-community-msk/request.json"
path=/cds-services/commissioning-order-select
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT

. "$(dirname "$0")/bench_lib.sh"
bench_post_lua "$tmp/post.lua"

# start NAME COMMAND...: starts a server printing "listening on URL", sets url_NAME
start() {
  local name=$1; shift
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=($!)
  printf -v "pid_$name" '%s' "$!"
  local u
  u=$(bench_wait_url "$tmp/$name.out" "$tmp/$name.err")
  [ -n "$u" ] || { echo "bench-http: $name did not start"; cat "$tmp/$name.err"; exit 1; }
  printf -v "url_$name" '%s' "$u"
}
[ ${#extra[@]} -gt 0 ] || extra=(--store "sqlite:$tmp/store.db")
start ours "$ours" serve --port 0 --decision-log "$tmp/decisions.log" "${extra[@]}"
before=${BENCH_HTTP_BEFORE:-}
if [ -n "$before" ]; then
  # its own store and decision log: the two serve processes share nothing
  bextra=("${extra[@]}")
  for i in "${!bextra[@]}"; do bextra[$i]=${bextra[$i]//$tmp\/store.db/$tmp/before-store.db}; done
  start before "$before" serve --port 0 --decision-log "$tmp/before-decisions.log" "${bextra[@]}"
fi
start bare "$bare" --threads 4 0
start inline "$bare" --inline 0

# cpu_ticks PID: the process's user + system CPU so far, in clock ticks (/proc/PID/stat)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# run NAME BODY CONNS: one wrk run; prints "req/s p99_ms errors cpu_us_per_request", the last
# the server's user + system CPU during the run divided by the requests answered
run() {
  local name=$1 body=$2 conns=$3 u p t0 t1
  u=url_$name p=pid_$name
  t0=$(cpu_ticks "${!p}")
  BENCH_BODY=$body wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$tmp/post.lua" "${!u}$path" \
    >"$tmp/wrk.out" 2>&1
  t1=$(cpu_ticks "${!p}")
  awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
    / requests in / { n = $1 }
    /Requests\/sec:/ { rps = $2 }
    /^ +99%/ { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); p = v / 1000 }
               else if (v ~ /ms$/) { sub(/ms$/, "", v); p = v }
               else if (v ~ /s$/) { sub(/s$/, "", v); p = v * 1000 } }
    /Socket errors:/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 }
    /Non-2xx/ { e += $5 }
    END { printf "%.0f %.3f %d %.1f\n", rps, p, e, (n > 0) ? ticks * 1e6 / hz / n : 0 }' \
    "$tmp/wrk.out"
}

div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "bench-http: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t1, ${secs}s per run, $runs runs alternating"
echo "ours: $ours serve ${extra[*]} (defaults: 4 workers, maxInFlight 64); bare: cds-bare-server --threads 4 / --inline"
[ -n "$before" ] && echo "before: $before serve (same options), in the same rounds"
printf '%-6s %-6s %-4s | %-26s | %-26s | %-26s | %s' body conns run "ours req/s p99ms err" \
  "bare req/s p99ms err" "inline req/s p99ms err" "ours/bare ours/inline"
[ -n "$before" ] && printf ' | %-26s | %s' "before req/s p99ms err" "before/bare"
echo
for body in knee coded; do
  file=$knee; [ "$body" = coded ] && file=$coded
  for conns in 8 64; do
    : >"$tmp/o" ; : >"$tmp/b" ; : >"$tmp/i"; : >"$tmp/op"; : >"$tmp/e"
    : >"$tmp/f"; : >"$tmp/fp"; : >"$tmp/ro"; : >"$tmp/rf"; : >"$tmp/oc"; : >"$tmp/bc"; : >"$tmp/fc"
    for r in $(seq "$runs"); do
      f_rps=0 f_p99=0 f_err=0 f_cpu=0
      [ -n "$before" ] && read -r f_rps f_p99 f_err f_cpu < <(run before "$file" "$conns")
      read -r o_rps o_p99 o_err o_cpu < <(run ours "$file" "$conns")
      read -r b_rps b_p99 b_err b_cpu < <(run bare "$file" "$conns")
      read -r i_rps i_p99 i_err _ < <(run inline "$file" "$conns")
      echo "$o_cpu" >>"$tmp/oc"; echo "$b_cpu" >>"$tmp/bc"; echo "$f_cpu" >>"$tmp/fc"
      echo "$o_rps" >>"$tmp/o"; echo "$b_rps" >>"$tmp/b"; echo "$i_rps" >>"$tmp/i"
      echo "$o_p99" >>"$tmp/op"; echo $((o_err + b_err + i_err + f_err)) >>"$tmp/e"
      echo "$f_rps" >>"$tmp/f"; echo "$f_p99" >>"$tmp/fp"
      div "$o_rps" "$b_rps" >>"$tmp/ro"; echo >>"$tmp/ro"
      div "$f_rps" "$b_rps" >>"$tmp/rf"; echo >>"$tmp/rf"
      printf '%-6s %-6s %-4s | %8s %8s %8s | %8s %8s %8s | %8s %8s %8s | %s %s' \
        "$body" "$conns" "$r" "$o_rps" "$o_p99" "$o_err" "$b_rps" "$b_p99" "$b_err" \
        "$i_rps" "$i_p99" "$i_err" "$(div "$o_rps" "$b_rps")" "$(div "$o_rps" "$i_rps")"
      [ -n "$before" ] && printf ' | %8s %8s %8s | %s' "$f_rps" "$f_p99" "$f_err" \
        "$(div "$f_rps" "$b_rps")"
      echo
    done
    mo=$(median <"$tmp/o") mb=$(median <"$tmp/b") mi=$(median <"$tmp/i") mp=$(median <"$tmp/op")
    printf '%-6s %-6s %-4s | %8s %8s %8s | %8s %8s %8s | %8s %8s %8s | %s %s' \
      "$body" "$conns" median "$mo" "$mp" "$(awk '{ s += $1 } END { print s + 0 }' "$tmp/e")" \
      "$mb" - - "$mi" - - "$(div "$mo" "$mb")" "$(div "$mo" "$mi")"
    [ -n "$before" ] && printf ' | %8s %8s %8s | %s' "$(median <"$tmp/f")" "$(median <"$tmp/fp")" \
      - "$(median <"$tmp/rf")"
    echo
    echo "$body $conns median of the per-run ratios: ours/bare $(median <"$tmp/ro")$([ -n "$before" ] && echo ", before/bare $(median <"$tmp/rf")")"
    oc=$(median <"$tmp/oc") bc=$(median <"$tmp/bc") fc=$(median <"$tmp/fc")
    echo "$body $conns server CPU per request (user + system, median): ours $oc us, bare $bc us (bare/ours $(div "$bc" "$oc"))$([ -n "$before" ] && echo "; before $fc us (bare/before $(div "$bc" "$fc"))")"
  done
done
echo "ours/bare: against the same threading model (polling thread + 4 workers); ours/inline:"
echo "against answering on the polling thread. p99 in ms; err = socket errors + non-2xx, all servers."
echo "CPU per request: what the server process used during its runs ÷ the requests it answered; on a"
echo "shared machine it moves less than req/s, and bare/ours is the req/s ratio a CPU-bound server would reach."
