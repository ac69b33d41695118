# cli_lib.sh — what the shell tests that start `serve` share (sourced).

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
