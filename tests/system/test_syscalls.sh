#!/usr/bin/env bash
# test_syscalls.sh — the unit's seccomp filter and socket families against what `serve` really
# does, since no systemd runs these tests as PID 1 to start the unit itself. `serve` runs under
# `strace -f` with a NOTIFY_SOCKET, twice: over HTTP (discovery, a hook call, a hook call that
# fetches from its fhirServer with libcurl, /metrics, /readyz) and over HTTPS (a hook call), each
# stopped by SIGTERM. Every system call made must be allowed by the unit's SystemCallFilter=
# lines (@system-service, minus @privileged and @resources, groups expanded by `systemd-analyze
# syscall-filter`), and every socket opened must be of a family in RestrictAddressFamilies=. It
# With RUNNER (cds-conformance) a third run serves the conformance runner's whole suite with JWT
# verification on. It covers the paths these runs take (not an https JWKS fetch, nor name
# resolution), not every one. Exit 77 (SKIP) when strace, systemd-analyze or curl is absent.
# Usage: test_syscalls.sh BINARY UNIT EXAMPLE_REQUEST [RUNNER]
set -uo pipefail
bin=$(realpath "$1") unit=$2 request=$3 runner=${4:+$(realpath "$4")} # run elsewhere: absolute
for tool in strace systemd-analyze curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed: the unit's system call filter was not checked" >&2
		exit 77
	fi
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/cds-syscalls-XXXXXX")
passed=0 failed=0
check() { # check DESCRIPTION COMMAND...: one assertion
	local what=$1
	shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
}

# A filter group (or syscall) name, expanded to system call names, one a line.
expand() {
	local name=$1
	if [[ $name != @* ]]; then
		echo "$name"
		return
	fi
	systemd-analyze syscall-filter "$name" | sed -n 's/^ \+\([@a-z0-9_-]\+\)$/\1/p' |
		while read -r item; do expand "$item"; done
}
allowed=() denied=()
while IFS= read -r line; do
	list=${line#SystemCallFilter=}
	if [[ $list == "~"* ]]; then
		for g in ${list#\~}; do mapfile -t -O "${#denied[@]}" denied < <(expand "$g"); done
	else
		for g in $list; do mapfile -t -O "${#allowed[@]}" allowed < <(expand "$g"); done
	fi
done < <(grep '^SystemCallFilter=' "$unit")
declare -A is_allowed=() is_denied=()
for call in "${allowed[@]}"; do is_allowed[$call]=1; done
for call in "${denied[@]}"; do is_denied[$call]=1; done
families=$(sed -n 's/^RestrictAddressFamilies=//p' "$unit")
tunables=$(sed -n 's/^Environment=GLIBC_TUNABLES=//p' "$unit") # malloc as the unit sets it
check "the unit has a system call filter (${#allowed[@]} allowed, ${#denied[@]} denied)" \
	test "${#allowed[@]}" -gt 100 -a "${#denied[@]}" -gt 10
check "the unit restricts socket families ($families)" test -n "$families"

# serve under strace, as the unit would run it (its own working directory, a notify socket);
# run NAME [serve options]: starts it, sets $port, $scheme and $pid; stop_run NAME ends it.
# (LeakSanitizer cannot run under ptrace: in the sanitizer build leaks are checked elsewhere)
run() {
	local name=$1
	shift
	(cd "$dir" && NOTIFY_SOCKET="$dir/notify" GLIBC_TUNABLES="$tunables" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		exec strace -f -qq -o "$dir/$name.trace" "$bin" serve --port 0 \
		--decision-log "$dir/decisions.log" --replay-cache "$dir/replay.log" "$@" \
		2>"$dir/$name.err") &
	tracer=$!
	port="" scheme=""
	for _ in $(seq 600); do # at most 60 s
		port=$(sed -n 's|.*listening on https\?://127.0.0.1:\([0-9]*\)/.*|\1|p' "$dir/$name.err" 2>/dev/null)
		scheme=$(sed -n 's|.*listening on \(https\?\)://127.0.0.1:.*|\1|p' "$dir/$name.err" 2>/dev/null)
		[ -n "$port" ] && break
		sleep 0.1
	done
	check "$name: serve starts under strace" test -n "$port"
	pid=$(awk 'NR == 1 {print $1}' "$dir/$name.trace") # the process strace started
	check "$name: serve's pid is known ($pid)" test -n "$pid"
}
stop_run() {
	[ -n "$pid" ] && kill -TERM "$pid"
	wait "$tracer"
	local rc=$?
	check "$1: serve exits 0 after SIGTERM under strace (rc $rc)" test "$rc" -eq 0
}

# plain HTTP: discovery, a hook call, one that fetches from its fhirServer (nothing listens
# there: the fetch fails, 412), /metrics, /readyz
python3 - "$request" "$dir/fetch.json" <<'PY'
import json, sys
body = json.load(open(sys.argv[1]))
body.pop("prefetch", None)
body["fhirServer"] = "http://127.0.0.1:9/fhir"
body["fhirAuthorization"] = {"access_token": "syscalls-test", "token_type": "Bearer",
                             "expires_in": 300, "scope": "patient/*.read", "subject": "cds"}
json.dump(body, open(sys.argv[2], "w"))
PY
run plain --fetch-budget-ms 5000
if [ -n "$port" ]; then
	base="http://127.0.0.1:$port"
	check "plain: discovery answers" curl -sf -o /dev/null "$base/cds-services"
	check "plain: a hook call answers 200" curl -sf -o /dev/null -H 'Content-Type: application/json' \
		--data-binary "@$request" "$base/cds-services/commissioning-order-select"
	status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "@$dir/fetch.json" "$base/cds-services/commissioning-order-select")
	check "plain: a hook call that must fetch answers 412 (got $status)" test "$status" = 412
	check "plain: /metrics answers" curl -sf -o /dev/null "$base/metrics"
	check "plain: /readyz answers" curl -sf -o /dev/null "$base/readyz"
fi
stop_run plain
check "plain: serve opened its notify socket (AF_UNIX)" grep -q 'socket(AF_UNIX' "$dir/plain.trace"
check "plain: the fetch connected to the fhirServer" grep -q 'connect(.*sin_port=htons(9)' "$dir/plain.trace"

# HTTPS (a throwaway self-signed certificate)
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1; then
	run tls --tls-cert "$dir/cert.pem" --tls-key "$dir/key.pem"
	check "tls: it says https ($scheme)" test "$scheme" = https
	if [ -n "$port" ]; then
		check "tls: a hook call over TLS answers 200" curl -skf -o /dev/null \
			-H 'Content-Type: application/json' --data-binary "@$request" \
			"https://127.0.0.1:$port/cds-services/commissioning-order-select"
	fi
	stop_run tls
else
	check "openssl makes a test certificate" false
fi

# JWT verification, a JWKS fetch, feedback and every error path: the conformance runner against
# serve, which it starts itself (--spawn) through a wrapper that runs it under strace, trusting
# the runner's issuer (JWKS over http on loopback). strace -D keeps serve the runner's child, so
# the runner's SIGTERM reaches serve itself (not strace, which would leave serve running).
if [ -n "$runner" ]; then
	printf '#!/bin/sh\nASAN_OPTIONS=%q exec strace -D -f -qq -o %q %q "$@"\n' \
		"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$dir/conformance.trace" "$bin" \
		>"$dir/traced-serve"
	chmod +x "$dir/traced-serve"
	out=$(cd "$dir" && "$runner" --spawn "$dir/traced-serve" serve --port '{port}' \
		--decision-log - --replay-cache - --allow-http-jwks --issuer '{issuer}' 2>&1)
	check "conformance: the service was reached (D1, H1 PASS)" \
		bash -c 'grep -q "^PASS D1 " <<<"$1" && grep -q "^PASS H1 " <<<"$1"' _ "$out"
	check "conformance: JWT verification ran (A1 PASS)" grep -q "^PASS A1 " <<<"$out"
	check "conformance: serve was traced" test -s "$dir/conformance.trace"
	grep -q "^PASS A1 " <<<"$out" || { echo "the runner said:" && tail -20 <<<"$out"; } >&2
	# the runner stops the service it started; if it did not, this test does (by its pid)
	spid=$(awk 'NR == 1 {print $1}' "$dir/conformance.trace" 2>/dev/null)
	if [ -n "$spid" ] && [ "$(readlink "/proc/$spid/exe" 2>/dev/null)" = "$bin" ]; then
		sleep 1
		if [ "$(readlink "/proc/$spid/exe" 2>/dev/null)" = "$bin" ]; then
			kill -TERM "$spid"
			check "conformance: the runner stopped serve" false
		fi
	fi
fi

used=$(cat "$dir"/*.trace | sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' | sort -u)
check "system calls were traced" test -n "$used"
for call in $used; do
	[ "$call" = execve ] && continue # strace's own start of the program: before any filter
	# SQLite gives a new WAL/journal file its database's owner only when it runs as root
	# (robust_fchown in sqlite3.c); the unit's DynamicUser never is, so it never calls it there
	if [ "$(id -u)" -eq 0 ] && [ "$call" = fchown ]; then continue; fi
	check "system call $call is allowed by the unit's filter" \
		test -n "${is_allowed[$call]-}" -a -z "${is_denied[$call]-}"
done
for family in $(cat "$dir"/*.trace | sed -n 's/^[0-9]* *socket(\(AF_[A-Z0-9]*\).*/\1/p' | sort -u); do
	check "socket family $family is in RestrictAddressFamilies=" grep -qw "$family" <<<"$families"
done

echo "$passed passed, $failed failed ($(wc -w <<<"$used") distinct system calls)"
[ "$failed" -eq 0 ] && rm -rf "$dir"
[ "$failed" -eq 0 ]
