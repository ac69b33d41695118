# bench_lib.sh — what the HTTP benchmarks share (sourced by bench_http.sh and bench_store.sh):
# the wrk script that POSTs a file, and waiting for a started server's "listening on URL".

# bench_post_lua FILE: writes a wrk Lua script that POSTs the file named by $BENCH_BODY as JSON.
bench_post_lua() {
  cat >"$1" <<'LUA'
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
LUA
}

# bench_wait_url OUT ERR: prints the URL a server started with its output in OUT and ERR says
# it listens on, waiting up to 10 s; prints nothing when it never says so.
bench_wait_url() {
  local u=
  for _ in $(seq 100); do
    u=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$1" "$2" | head -n1)
    [ -n "$u" ] && break
    sleep 0.1
  done
  printf '%s' "$u"
}
