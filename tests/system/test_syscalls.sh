#!/usr/bin/env bash
# test_syscalls.sh — the unit's seccomp filter and socket families against what `serve` really
# does, since no systemd runs these tests as PID 1 to start the unit itself. `serve` runs under
# `strace -f` with a NOTIFY_SOCKET while it answers discovery, a hook call, /metrics and
# /readyz, then stops on SIGTERM; every system call it made must be allowed by the unit's
# SystemCallFilter= lines (@system-service, minus @privileged and @resources, groups expanded by
# `systemd-analyze syscall-filter`), and every socket it opened must be of a family in
# RestrictAddressFamilies=. It covers the paths this run takes (open demo mode, prefetch present),
# not every one. Exit 77 (SKIP) when strace or systemd-analyze is absent.
# Usage: test_syscalls.sh BINARY UNIT EXAMPLE_REQUEST
set -uo pipefail
bin=$(realpath "$1") unit=$2 request=$3 # serve runs in its own folder: an absolute path
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
check "the unit has a system call filter (${#allowed[@]} allowed, ${#denied[@]} denied)" \
	test "${#allowed[@]}" -gt 100 -a "${#denied[@]}" -gt 10
check "the unit restricts socket families ($families)" test -n "$families"

# serve under strace, as the unit would run it (its own working directory, a notify socket)
# (LeakSanitizer cannot run under ptrace: in the sanitizer build leaks are checked elsewhere)
(cd "$dir" && NOTIFY_SOCKET="$dir/notify" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" exec strace -f -qq -o "$dir/trace" \
	"$bin" serve --port 0 --decision-log "$dir/decisions.log" --replay-cache "$dir/replay.log" \
	2>"$dir/serve.err") &
tracer=$!
port=""
for _ in $(seq 600); do # at most 60 s
	port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$dir/serve.err" 2>/dev/null)
	[ -n "$port" ] && break
	sleep 0.1
done
check "serve starts under strace" test -n "$port"
if [ -n "$port" ]; then
	base="http://127.0.0.1:$port"
	check "discovery answers" curl -sf -o /dev/null "$base/cds-services"
	check "a hook call answers 200" curl -sf -o /dev/null -H 'Content-Type: application/json' \
		--data-binary "@$request" "$base/cds-services/commissioning-order-select"
	check "/metrics answers" curl -sf -o /dev/null "$base/metrics"
	check "/readyz answers" curl -sf -o /dev/null "$base/readyz"
fi
# serve's pid: the process that strace's first line shows
pid=$(awk 'NR == 1 {print $1}' "$dir/trace")
check "serve's pid is known ($pid)" test -n "$pid"
[ -n "$pid" ] && kill -TERM "$pid"
wait "$tracer"
rc=$?
check "serve exits 0 after SIGTERM under strace (rc $rc)" test "$rc" -eq 0

used=$(sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' "$dir/trace" | sort -u)
check "system calls were traced" test -n "$used"
for call in $used; do
	[ "$call" = execve ] && continue # strace's own start of the program: before any filter
	check "system call $call is allowed by the unit's filter" \
		test -n "${is_allowed[$call]-}" -a -z "${is_denied[$call]-}"
done
for family in $(sed -n 's/^[0-9]* *socket(\(AF_[A-Z0-9]*\).*/\1/p' "$dir/trace" | sort -u); do
	check "socket family $family is in RestrictAddressFamilies=" grep -qw "$family" <<<"$families"
done
check "serve opened its notify socket (AF_UNIX)" grep -q 'socket(AF_UNIX' "$dir/trace"

echo "$passed passed, $failed failed ($(wc -w <<<"$used") distinct system calls)"
[ "$failed" -eq 0 ] && rm -rf "$dir"
[ "$failed" -eq 0 ]
