# cli_lib.sh — what the shell tests that start `serve` share (sourced).
#
# Sourcing it also starts the test: $tmp is a fresh folder, removed on exit, when the serve
# child whose pid the test keeps in $pid is killed too; passed/failed count `check` results.
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0 failed=0

# check DESCRIPTION COMMAND...: runs COMMAND; counts it passed, or failed with a FAIL line.
check() {
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}

# wait_serve_url ERR: prints the base URL `serve` (its stderr in ERR) says it listens on, from
# "listening on URL/cds-services", waiting up to 10 s; prints nothing when it never says so.
wait_serve_url() {
  local u=
  for _ in $(seq 100); do
    u=$(sed -n 's/.*listening on \(http[^ ]*\)\/cds-services.*/\1/p' "$1")
    [ -n "$u" ] && break
    sleep 0.1
  done
  printf '%s' "$u"
}
