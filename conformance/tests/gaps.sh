# gaps.sh — sourced by test_conformance_self.sh and test_conformance_proxy.sh: the service
# arguments the runner spawns our service with (what its `serve --help` supports), the known gaps
# of known-gaps.txt, and the check that a run's FAIL lines are all known gaps. Needs ok/bad.

# service_args SERVICE PORT_PLACEHOLDER: sets args (serve ...), runner_args (--strict etc.),
# auth (on/off) and help.
service_args() {
  local service=$1 port=$2
  help=$("$service" serve --help 2>&1)
  args=(serve --port "$port" --decision-log -)
  runner_args=(--strict)
  auth=off
  if grep -q -- '--issuer ISS' <<<"$help"; then
    grep -q -- '--allow-http-jwks' <<<"$help" && args+=(--allow-http-jwks)
    args+=(--issuer {issuer})
    grep -q -- '--allow-origin' <<<"$help" && args+=(--allow-origin https://sandbox.cds-hooks.org)
    auth=on
  fi
  # The replay cache in memory: no file shared by the services the self and proxy tests start
  # at once in the same folder (a second server would refuse to start).
  grep -q -- '--replay-cache FILE' <<<"$help" && args+=(--replay-cache -)
  # P3 and A13 against the limits the service is started with (1 MiB keeps the 413 probe small).
  if grep -q -- '--max-body-bytes' <<<"$help"; then
    args+=(--max-body-bytes 1048576); runner_args+=(--max-body-bytes 1048576)
  fi
  if grep -q -- '--clock-skew' <<<"$help"; then
    args+=(--clock-skew 60); runner_args+=(--clock-skew 60)
  fi
}

# load_gaps FILE: fills the associative array known (id -> reason); without authentication in
# this build the A and F3 assertions are gaps.
declare -A known=()
load_gaps() {
  while read -r id reason; do
    case "$id" in ''|'#'*) continue ;; esac
    known[$id]=$reason
  done <"$1"
  if [ "$auth" = off ]; then
    for id in A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 F3; do
      known[$id]="the service has no JWT verification (serve --issuer) in this build"
    done
  fi
}

# only_known_gaps OUTPUT LABEL: every FAIL line of OUTPUT is a known gap; notes gaps that pass.
only_known_gaps() {
  local out=$1 label=$2 id
  for id in $(grep -E '^FAIL ' <<<"$out" | awk '{print $2}'); do
    if [ -n "${known[$id]+x}" ]; then
      echo "known gap: $id — ${known[$id]}"
      ok
    else
      bad "$label: $id failed and is not a known gap: $(grep -E "^FAIL $id " <<<"$out")"
    fi
  done
  for id in "${!known[@]}"; do
    if grep -qE "^PASS $id " <<<"$out"; then
      echo "note: known gap $id now passes; remove it from known-gaps.txt"
    fi
  done
}

# exit_matches OUTPUT RC LABEL: the exit status is non-zero exactly when a must-level FAIL is
# printed, and the last line is the tally.
exit_matches() {
  local out=$1 rc=$2 label=$3 must=0
  grep -qE '^FAIL [A-Z0-9]+ M ' <<<"$out" && must=1
  if { [ $must -eq 1 ] && [ "$rc" -ne 0 ]; } || { [ $must -eq 0 ] && [ "$rc" -eq 0 ]; }; then ok
  else bad "$label: exit status $rc does not match must-level failure=$must"; fi
  if tail -n1 <<<"$out" | grep -qE '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$'; then ok
  else bad "$label: no closing 'N passed, N failed' line"; fi
}
